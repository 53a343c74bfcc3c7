"""`kiosk stats` and `kiosk collection suggest` against the real controller on the simulator,
its journal holding a simulated month written before it started."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from conftest import ROOT, start_sim
from kiosk.control import ask
from kiosk.journal import Journal
from kiosk_rig import make_rig
from scripts.simulate_month import MonthClock, write_month

ZONE = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def month_kiosk(tmp_path_factory):
    """A controller whose journal holds a settled, delivered month of the simulator's books;
    also what the month's events say, counted here. One for the module: its tests only ask."""
    root = tmp_path_factory.mktemp("month")
    sim = start_sim(root / "sim", "--speed", "20")
    try:
        since, events = write_month_journal(sim, root / "kiosk")
        rig = make_rig(sim, root / "kiosk", stock=False)
        yield rig, since, events
        rig.stop()
    finally:
        sim.stop()


def write_month_journal(sim, directory) -> tuple[str, list]:
    """A new journal holding the month; the first day it covers, and its events."""
    (directory / "state").mkdir(parents=True, mode=0o700)
    with (sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    end = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    clock = MonthClock(end)
    with Journal.open(directory / "state" / "journal.db", slot_count=1000, clock=clock) as j:
        write_month(j, clock, loading_list=rows, end=end, seed=3, settle=True, delivered=True,
                    sessions_per_day=25)
        events = j.events(limit=10 ** 7)
        assert not j.open_loans() and not j.open_intents() and not j.pending_outbox()
    return (end - timedelta(days=30)).astimezone(ZONE).date().isoformat(), events


def kiosk_cli(rig, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(rig.config_path),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_stats_and_suggestions_of_a_month_through_the_socket_and_the_cli(month_kiosk, tmp_path):
    rig, since, events = month_kiosk
    taken = [e for e in events if e.kind.value == "vend_taken"]
    report = rig.control("stats", {"since": since})
    assert report["loans"] == len(taken) > 100
    assert report["unique_borrowers"] == len({e.payload.patron_id for e in taken})
    by_hour = Counter(e.at.astimezone(ZONE).hour for e in taken)
    assert [r["loans"] for r in report["loans_per_hour"]] == [by_hour[h] for h in range(24)]
    assert report["returns"]["returned"] == len(
        [e for e in events if e.kind.value == "return_identified"])

    shown = kiosk_cli(rig, "stats", "--since", since, "--json", "--csv", str(tmp_path / "csv"))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["loans"] == len(taken)
    with (tmp_path / "csv" / "loans_per_hour.csv").open(encoding="utf-8") as f:
        assert [int(r["loans"]) for r in csv.DictReader(f)] == [by_hour[h] for h in range(24)]
    human = kiosk_cli(rig, "stats", "--since", since)
    assert human.returncode == 0 and "Loans per hour" in human.stdout

    catalogue = str(ROOT / "sim" / "data" / "books.csv")
    shown = kiosk_cli(rig, "collection", "suggest", "5", "--catalogue", catalogue, "--json",
                      "--since", since)
    assert shown.returncode == 0, shown.stderr
    advice = json.loads(shown.stdout)
    lent = {e.payload.item_id for e in taken}
    assert len(advice["withdraw"]) == 5
    assert all(row["item_id"] not in lent for row in advice["withdraw"])
    titles = {row["title"] for row in csv.DictReader((ROOT / "sim/data/books.csv").open())}
    assert len(advice["add"]) == 5 and all(row["title"] in titles for row in advice["add"])


def test_bad_arguments_get_a_clear_refusal(month_kiosk, tmp_path):
    rig = month_kiosk[0]
    answer = ask(rig.control_socket, "collection.suggest", {"count": 0})
    assert not answer["ok"] and "count" in answer["error"]
    answer = ask(rig.control_socket, "stats", {"since": "last tuesday"})
    assert not answer["ok"] and "not a date" in answer["error"]
    bad = tmp_path / "bad.csv"
    bad.write_text("title,popularity\nA,0.5\nB,high\n", encoding="utf-8")
    shown = kiosk_cli(rig, "collection", "suggest", "3", "--catalogue", str(bad))
    assert shown.returncode == 1 and "row 2" in shown.stderr and "popularity" in shown.stderr
    shown = kiosk_cli(rig, "stats", "--since", "2025-02-30")
    assert shown.returncode == 2
