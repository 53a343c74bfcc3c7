"""`kiosk stats` and `kiosk collection suggest` on a simulated month (scripts/simulate_month.py),
checked against counts the test makes itself from the journal's events."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.collection_advice import RECENCY_WEIGHT, normal, parse_catalogue, ratings_popularity
from kiosk.journal import Journal
from kiosk.usage import Period, collection_suggestions, usage_report
from scripts.simulate_month import MonthClock, write_month
from sim.collection import DEMO_COPIES, demo_collection, popularity

ZONE = ZoneInfo("Asia/Seoul")
END = datetime(2025, 6, 30, 15, 0, tzinfo=timezone.utc)  # midnight in Seoul
MONTH = Period(END - timedelta(days=30), END)
DATA = __import__("pathlib").Path(__file__).resolve().parent.parent / "sim" / "data"


def loading_list(count: int = DEMO_COPIES) -> list[dict]:
    """The simulator's loading list of its demo collection, as `kiosk stock` reads it."""
    return [{"item_id": b.item_id, "uid": b.uid.hex().upper(), "slot": str(b.slot),
             "title": b.title.title, "authors": b.title.authors,
             "year": "" if b.title.year is None else str(b.title.year),
             "subject": b.title.subject, "popularity": f"{popularity(b.title):.3f}"}
            for b in demo_collection(count)]


@pytest.fixture(scope="module")
def journal():
    clock = MonthClock(END)
    with Journal.open(":memory:", slot_count=1000, clock=clock) as j:
        write_month(j, clock, loading_list=loading_list(), end=END, seed=7)
        yield j


@pytest.fixture(scope="module")
def report(journal):
    return usage_report(journal, MONTH, ZONE)


def events(journal, kind: str) -> list:
    return [e for e in journal.events(limit=10 ** 7) if e.kind.value == kind]


def test_loans_per_day_and_hour_and_borrowers(journal, report):
    taken = events(journal, "vend_taken")
    assert report["loans"] == len(taken) > 300
    by_hour = Counter(e.at.astimezone(ZONE).hour for e in taken)
    assert report["loans_per_hour"] == [{"hour": h, "loans": by_hour[h]} for h in range(24)]
    by_day = Counter(e.at.astimezone(ZONE).date().isoformat() for e in taken)
    assert {r["day"]: r["loans"] for r in report["loans_per_day"]} == {
        (date(2025, 6, 1) + timedelta(days=n)).isoformat():
            by_day[(date(2025, 6, 1) + timedelta(days=n)).isoformat()] for n in range(30)}
    assert report["unique_borrowers"] == len({e.payload.patron_id for e in taken})
    assert report["renewals"] == len(events(journal, "renewed")) > 0


def test_the_peak_hours_are_the_commuters(report):
    hours = {r["hour"]: r["loans"] for r in report["loans_per_hour"]}
    busiest = sorted(hours, key=hours.get, reverse=True)[:3]
    assert set(busiest) <= {7, 8, 9, 17, 18, 19, 20}
    assert all(hours[h] == 0 for h in range(0, 5))  # closed 00:00-05:30


def test_the_most_lent_titles_are_the_popular_ones(journal, report):
    lent = Counter(e.payload.item_id for e in events(journal, "vend_taken"))
    items = {i.item_id: i for i in journal.items()}
    top = [items[i].popularity for i, _ in lent.most_common(50)]
    never = [i.popularity for i in items.values() if i.item_id not in lent]
    assert statistics.fmean(top) > statistics.fmean(never) + 0.1
    first = report["turnover"][0]
    copies = [i for i in items.values() if i.title == first["title"]]
    assert first["loans"] == sum(lent[c.item_id] for c in copies)
    assert first["loans_per_copy"] == max(r["loans_per_copy"] for r in report["turnover"])


def test_late_returns_and_refusals(journal, report):
    identified = events(journal, "return_identified")
    late = [e.payload.days_late for e in identified if e.payload.days_late]
    assert report["returns"]["returned"] == len(identified)
    assert report["returns"]["late"] == len(late) > 0
    assert report["returns"]["max_days_late"] == max(late)
    rejected = Counter(e.payload.reason.value for e in events(journal, "return_rejected"))
    refused = sum(not e.payload.good_standing for e in events(journal, "patron_verified"))
    assert {(r["what"], r["reason"]): r["count"] for r in report["refusals"]} == {
        **{("return", reason): n for reason, n in rejected.items()},
        ("patron", "not_in_good_standing"): refused}


def test_faults_and_vend_seconds(journal, report):
    failed = Counter(e.payload.reason.value for e in events(journal, "vend_failed"))
    assert {r["reason"]: r["count"] for r in report["faults"]["failed_moves"]} == failed
    assert failed["jam"] == 1
    assert report["faults"]["audit_flags"] == [{"reason": "move_jammed", "count": 1}]
    recorded = Counter(e.payload.code for e in events(journal, "fault_recorded"))
    assert {r["code"]: r["count"] for r in report["faults"]["out_of_service"]} == recorded
    assert recorded == {"device": 1}
    started = {e.payload.item_id: e.at for e in events(journal, "vend_started")}
    fetch = []
    for e in journal.events(limit=10 ** 7):
        if e.kind.value == "vend_started":
            started[e.payload.item_id] = e.at
        elif e.kind.value == "vend_fetched":
            fetch.append((e.at - started[e.payload.item_id]).total_seconds())
    row = next(r for r in report["vend_seconds"] if r["step"] == "fetch")
    assert row["max"] == pytest.approx(max(fetch), abs=0.01)
    assert 0 < row["mean"] <= row["max"]


def test_a_period_counts_only_its_own_loans(journal):
    first_days = Period.of_days(date(2025, 6, 1), date(2025, 6, 10), ZONE)
    report = usage_report(journal, first_days, ZONE)
    taken = [e for e in events(journal, "vend_taken") if e.at in first_days]
    assert report["loans"] == len(taken) and len(report["loans_per_day"]) == 10


def test_idle_titles_are_the_ones_not_lent(journal, report):
    lent_at = {}
    for e in events(journal, "vend_taken"):
        lent_at[e.payload.item_id] = e.at
    cutoff = END - timedelta(days=report["idle_days"])
    for row in report["idle_titles"]:
        assert all(lent_at.get(i, cutoff) <= cutoff for i in row["item_ids"]), row
    never = [i for i in journal.items() if i.item_id not in lent_at and i.place.value == "slot"]
    assert never and {i.item_id for i in never} <= {
        i for row in report["idle_titles"] for i in row["item_ids"]}


@pytest.fixture(scope="module")
def suggestions(journal):
    rows = [*csv.DictReader((DATA / "books.csv").open(encoding="utf-8")),
            *csv.DictReader((DATA / "korean-books.csv").open(encoding="utf-8"))]
    return collection_suggestions(journal, MONTH, parse_catalogue(rows), 10)


def test_copies_never_lent_and_unpopular_are_withdrawn(journal, suggestions):
    lent = Counter(e.payload.item_id for e in events(journal, "vend_taken") if e.at in MONTH)
    withdraw = suggestions["withdraw"]
    assert len(withdraw) == 10
    assert all(lent[row["item_id"]] == 0 for row in withdraw)
    assert all("never_lent" in row["reasons"] and row["why"] for row in withdraw)
    items = journal.items()
    never = sorted(i.popularity for i in items if i.item_id not in lent and i.popularity)
    assert statistics.fmean(r["popularity"] for r in withdraw) < statistics.fmean(never)


def test_additions_are_popular_titles_not_in_the_machine(journal, suggestions):
    held = {normal(i.title) for i in journal.items()}
    add = suggestions["add"]
    assert len(add) == 10 and all(normal(r["title"]) not in held for r in add)
    assert [r["score"] for r in add] == sorted((r["score"] for r in add), reverse=True)
    with (DATA / "books.csv").open(encoding="utf-8") as f:
        outside = [ratings_popularity(int(r["ratings_count"])) for r in csv.DictReader(f)
                   if normal(r["title"]) not in held]
    assert add[0]["popularity"] + RECENCY_WEIGHT >= max(outside)
    assert all(r["reasons"] and r["why"] for r in add)


def test_more_copies_of_titles_lent_most(journal, suggestions):
    lent = Counter(e.payload.item_id for e in events(journal, "vend_taken") if e.at in MONTH)
    by_title = {i.title: i.item_id for i in journal.items()}
    assert suggestions["more_copies"]
    for row in suggestions["more_copies"]:
        assert lent[by_title[row["title"]]] >= 3 and row["reasons"] == ["high_turnover"]


def test_a_bad_catalogue_row_is_named():
    with pytest.raises(ValueError, match="row 2: popularity '1.5'"):
        parse_catalogue([{"title": "A", "popularity": "0.5"}, {"title": "B", "popularity": "1.5"}])
    with pytest.raises(ValueError, match="row 1: no title"):
        parse_catalogue([{"authors": "X"}])
    assert parse_catalogue([{"title": "C", "year": "", "ratings_count": "4780653"}])[0] \
        .popularity == 1.0
