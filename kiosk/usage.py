"""Usage statistics read from the journal (`kiosk stats`): typed reads, then one JSON-able report.

Everything here reads; nothing writes. Days and hours are the machine's local time
(`[policy] timezone`). What the journal does not record is not invented: a patron refused
by this machine's own policy (a limit, closed hours) writes no event, so "refusals" are the
returns handed back (`return_rejected`, by reason) and the patrons the library said are not in
good standing (`patron_verified` with good_standing false); "faults" are the times the machine
went out of service (`fault_recorded`, by code), the failed moves (by kind and PLC result) and
the audit flags raised, by reason.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from kiosk.collection_advice import copies_of, suggest
from kiosk.job_stock import technician_load
from kiosk.journal import Event, Item, Loan, Place
from kiosk.journal.codec import decode
from kiosk.journal.events import EventKind, decode_payload
from kiosk.journal.reads import JournalReader
from kiosk.reslot_plan import item_weight

IDLE_DAYS = 14  # a title not lent for this long is idle
MOVE_FAILURES = (EventKind.VEND_FAILED, EventKind.RETRACT_FAILED, EventKind.STORE_FAILED,
                 EventKind.TRANSFER_FAILED)
VEND_STEPS = (EventKind.VEND_STARTED, EventKind.VEND_FETCHED, EventKind.VEND_PRESENTED,
              EventKind.VEND_TAKEN)
IN_MACHINE = (Place.SLOT, Place.BIN, Place.PICKUP_PORT, Place.RETURN_PORT, Place.PICKER)


@dataclass(frozen=True)
class Period:
    """From `since` (inclusive) to `until` (exclusive), aware datetimes."""

    since: datetime
    until: datetime

    @classmethod
    def of_days(cls, first: date, last: date, zone: tzinfo) -> Period:
        """Whole local days `first` .. `last`, both included."""
        if last < first:
            raise ValueError(f"--until {last} is before --since {first}")
        return cls(datetime.combine(first, time(), tzinfo=zone),
                   datetime.combine(last + timedelta(days=1), time(), tzinfo=zone))

    def __contains__(self, moment: datetime) -> bool:
        return self.since <= moment < self.until

    @property
    def days(self) -> float:
        """Its length in days."""
        return (self.until - self.since).total_seconds() / 86400


# -- typed reads ---------------------------------------------------------------------------
def loans_taken(journal: JournalReader, period: Period) -> list[Loan]:
    """Loans that began in the period, oldest first."""
    rows = journal.db.query("SELECT * FROM loans WHERE taken_at >= ? AND taken_at < ?",
                            _coarse(period))
    loans = [decode(Loan, row, strict=False) for row in rows]
    return sorted((loan for loan in loans if loan.taken_at in period), key=lambda x: x.taken_at)


def loans_returned(journal: JournalReader, period: Period) -> list[Loan]:
    """Loans that ended (a return) in the period."""
    rows = journal.db.query("SELECT * FROM loans WHERE returned_at >= ? AND returned_at < ?",
                            _coarse(period))
    loans = [decode(Loan, row, strict=False) for row in rows]
    return [loan for loan in loans if loan.returned_at in period]


def events_of(journal: JournalReader, kinds: Iterable[EventKind], period: Period) -> list[Event]:
    """Stored events of these kinds in the period, in journal order."""
    names = [kind.value for kind in kinds]
    marks = ",".join("?" * len(names))
    rows = journal.db.query(
        f"SELECT * FROM events WHERE kind IN ({marks}) AND at >= ? AND at < ? ORDER BY seq",
        (*names, *_coarse(period)))
    found = (Event(row["seq"], row["uuid"], EventKind(row["kind"]),
                   datetime.fromisoformat(row["at"]),
                   decode_payload(row["kind"], json.loads(row["payload"]))) for row in rows)
    return [event for event in found if event.at in period]


def last_taken(journal: JournalReader) -> dict[str, datetime]:
    """Each item's latest loan start, ever."""
    rows = journal.db.query("SELECT item_id, MAX(taken_at) AS at FROM loans GROUP BY item_id")
    return {row["item_id"]: datetime.fromisoformat(row["at"]) for row in rows}


def first_stocked(journal: JournalReader) -> dict[str, datetime]:
    """When each item was first stocked into this machine."""
    rows = journal.db.query(
        """SELECT json_extract(payload, '$.item_id') AS item_id, MIN(at) AS at FROM events
           WHERE kind = 'item_stocked' GROUP BY 1""")
    return {row["item_id"]: datetime.fromisoformat(row["at"]) for row in rows}


def loan_counts(journal: JournalReader, period: Period) -> Counter[str]:
    """Loans per item_id that began in the period."""
    return Counter(loan.item_id for loan in loans_taken(journal, period))


def _coarse(period: Period) -> tuple[str, str]:
    """String bounds around the period for SQL (stored times are ISO UTC; exact test after)."""
    return ((period.since - timedelta(days=1)).date().isoformat(),
            (period.until + timedelta(days=2)).date().isoformat())


# -- the report -----------------------------------------------------------------------------
def usage_report(journal: JournalReader, period: Period, zone: tzinfo,
                 idle_days: int = IDLE_DAYS) -> dict[str, Any]:
    """Every statistic of `kiosk stats` for the period, JSON-able."""
    loans = loans_taken(journal, period)
    items = journal.items()
    returned = loans_returned(journal, period)
    return {
        "since": period.since.isoformat(), "until": period.until.isoformat(),
        "loans": len(loans),
        "renewals": len(events_of(journal, [EventKind.RENEWED], period)),
        "unique_borrowers": len({loan.patron_id for loan in loans}),
        "loans_per_day": _per_day(loans, period, zone),
        "loans_per_hour": _per_hour(loans, zone),
        "turnover": _turnover(loans, items, period),
        "idle_titles": _idle_titles(journal, items, period, idle_days),
        "idle_days": idle_days,
        "refusals": _refusals(journal, period),
        "returns": _returns(returned),
        "faults": _faults(journal, period),
        "vend_seconds": _vend_seconds(events_of(journal, VEND_STEPS, period)),
    }


def _per_day(loans: Sequence[Loan], period: Period, zone: tzinfo) -> list[dict]:
    counts = Counter(loan.taken_at.astimezone(zone).date() for loan in loans)
    day, last = period.since.astimezone(zone).date(), (period.until - timedelta(
        microseconds=1)).astimezone(zone).date()
    days = []
    while day <= last:
        days.append({"day": day.isoformat(), "loans": counts.get(day, 0)})
        day += timedelta(days=1)
    return days


def _per_hour(loans: Sequence[Loan], zone: tzinfo) -> list[dict]:
    counts = Counter(loan.taken_at.astimezone(zone).hour for loan in loans)
    return [{"hour": hour, "loans": counts.get(hour, 0)} for hour in range(24)]


def _title_key(item: Item) -> tuple[str, str]:
    return item.title, item.authors or ""


def _turnover(loans: Sequence[Loan], items: Sequence[Item], period: Period) -> list[dict]:
    """Loans per copy of each title over the period (copies: in the machine or lent then)."""
    by_id = {item.item_id: item for item in items}
    lent = Counter(loan.item_id for loan in loans)
    copies: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in items:
        if item.place is not Place.REMOVED or item.item_id in lent:
            copies[_title_key(item)].add(item.item_id)
    rows = []
    for (title, authors), ids in copies.items():
        count = sum(lent[i] for i in ids)
        popularity = [by_id[i].popularity for i in ids if by_id[i].popularity is not None]
        rows.append({"title": title, "authors": authors or None, "copies": len(ids),
                     "loans": count, "loans_per_copy": round(count / len(ids), 3),
                     "popularity": max(popularity) if popularity else None})
    return sorted(rows, key=lambda r: (-r["loans_per_copy"], -r["loans"], r["title"]))


def _idle_titles(journal: JournalReader, items: Sequence[Item], period: Period,
                 idle_days: int) -> list[dict]:
    """Titles in the machine none of whose copies was lent in the last `idle_days`."""
    taken, stocked = last_taken(journal), first_stocked(journal)
    cutoff = period.until - timedelta(days=idle_days)
    titles: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in items:
        if item.place in IN_MACHINE or item.place is Place.ON_LOAN:
            titles[_title_key(item)].append(item)
    rows = []
    for (title, authors), copies in titles.items():
        last = max((taken[c.item_id] for c in copies if c.item_id in taken), default=None)
        since = last or min((stocked[c.item_id] for c in copies if c.item_id in stocked),
                            default=None)
        if any(c.place is Place.ON_LOAN for c in copies) or since is None or since > cutoff:
            continue
        rows.append({"title": title, "authors": authors or None,
                     "item_ids": sorted(c.item_id for c in copies),
                     "slots": sorted(c.slot for c in copies if c.slot is not None),
                     "last_lent": last.isoformat() if last else None,
                     "idle_days": (period.until - since).days,
                     "popularity": copies[0].popularity, "year": copies[0].year})
    return sorted(rows, key=lambda r: (-r["idle_days"], r["popularity"] or 0.0, r["title"]))


def _refusals(journal: JournalReader, period: Period) -> list[dict]:
    counts: Counter[tuple[str, str]] = Counter()
    for event in events_of(journal, [EventKind.RETURN_REJECTED, EventKind.PATRON_VERIFIED],
                           period):
        if event.kind is EventKind.RETURN_REJECTED:
            if not technician_load(journal, event.payload.intent_id):
                counts["return", event.payload.reason.value] += 1
        elif not event.payload.good_standing:
            counts["patron", "not_in_good_standing"] += 1
    return [{"what": what, "reason": reason, "count": n}
            for (what, reason), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _returns(returned: Sequence[Loan]) -> dict[str, Any]:
    late = [loan.days_late for loan in returned if loan.days_late]
    histogram = Counter(late)
    return {"returned": len(returned), "late": len(late),
            "mean_days_late": round(statistics.fmean(late), 2) if late else None,
            "max_days_late": max(late) if late else None,
            "days_late": [{"days_late": d, "returns": histogram[d]} for d in sorted(histogram)]}


def _faults(journal: JournalReader, period: Period) -> dict[str, list[dict]]:
    moves = Counter((e.kind.value.removesuffix("_failed"), e.payload.reason.value)
                    for e in events_of(journal, MOVE_FAILURES, period))
    rows = journal.db.query("SELECT reason, raised_at FROM audit_flags "
                            "WHERE raised_at >= ? AND raised_at < ?", _coarse(period))
    flags = Counter(row["reason"] for row in rows
                    if datetime.fromisoformat(row["raised_at"]) in period)
    out_of_service = Counter(e.payload.code for e in events_of(
        journal, [EventKind.FAULT_RECORDED], period))
    return {"out_of_service": [{"code": c, "count": n} for c, n in sorted(out_of_service.items())],
            "failed_moves": [{"move": m, "reason": r, "count": n}
                             for (m, r), n in sorted(moves.items())],
            "audit_flags": [{"reason": r, "count": n} for r, n in sorted(flags.items())]}


def _vend_seconds(events: Sequence[Event]) -> list[dict]:
    """Seconds of each vend step: fetch (started→fetched), door (fetched→presented), take
    (presented→taken), total (started→taken)."""
    started: dict[str, dict[EventKind, datetime]] = {}
    spans: dict[str, list[float]] = {"fetch": [], "door": [], "take": [], "total": []}
    for event in events:
        item = event.payload.item_id
        if event.kind is EventKind.VEND_STARTED:
            started[item] = {}
        if item not in started:
            continue  # its start was before the period
        started[item][event.kind] = event.at
        if event.kind is EventKind.VEND_TAKEN:
            at = started.pop(item)
            for name, (a, b) in _STEPS.items():
                if a in at and b in at:
                    spans[name].append((at[b] - at[a]).total_seconds())
    return [{"step": name, **_summary(values)} for name, values in spans.items()]


_STEPS = {"fetch": (EventKind.VEND_STARTED, EventKind.VEND_FETCHED),
          "door": (EventKind.VEND_FETCHED, EventKind.VEND_PRESENTED),
          "take": (EventKind.VEND_PRESENTED, EventKind.VEND_TAKEN),
          "total": (EventKind.VEND_STARTED, EventKind.VEND_TAKEN)}


def _summary(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"vends": 0, "mean": None, "median": None, "p90": None, "max": None}
    p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
    return {"vends": len(values), "mean": round(statistics.fmean(values), 2),
            "median": round(statistics.median(values), 2), "p90": round(p90, 2),
            "max": round(max(values), 2)}


# -- what the collection advice and the re-slotting planner are given -------------------------
def collection_suggestions(journal: JournalReader, period: Period, catalogue: Sequence[Any],
                           count: int, idle_days: int = IDLE_DAYS) -> dict[str, Any]:
    """`kiosk collection suggest`: the machine's copies and their use, against the catalogue."""
    copies = copies_of(journal.items(), loan_counts(journal, period), last_taken(journal),
                       first_stocked(journal), period.until)
    return {"since": period.since.isoformat(), "until": period.until.isoformat(),
            "idle_days": idle_days,
            **suggest(copies, catalogue, count, period_days=period.days, idle_days=idle_days,
                      now=period.until)}


def reslot_inputs(journal: JournalReader, period: Period
                  ) -> tuple[dict[str, int], dict[str, float], list[int]]:
    """For kiosk/reslot_plan.plan_reslot: item -> slot, item -> weight (loans in the period
    and catalogue popularity), and the free slots."""
    loans = loan_counts(journal, period)
    shelved = journal.items(Place.SLOT)
    placed = {item.item_id: item.slot for item in shelved
              if journal.open_intent_for(item.item_id) is None}
    weights = {item.item_id: item_weight(loans.get(item.item_id, 0), item.popularity)
               for item in shelved if item.item_id in placed}
    return placed, weights, journal.free_slots()


# -- tables, for the CLI's rich and CSV output ------------------------------------------------
def report_tables(report: dict[str, Any], top: int | None = None) -> dict[str, tuple[list, list]]:
    """The report as named tables: (columns, rows); `top` limits the long ones."""
    def cut(rows: list) -> list:
        return rows if top is None else rows[:top]

    faults = report["faults"]
    return {
        "summary": (["statistic", "value"], [
            ["since", report["since"]], ["until", report["until"]], ["loans", report["loans"]],
            ["renewals", report["renewals"]], ["unique borrowers", report["unique_borrowers"]],
            ["returns", report["returns"]["returned"]], ["returns late", report["returns"]["late"]],
            ["mean days late", report["returns"]["mean_days_late"]],
            ["max days late", report["returns"]["max_days_late"]]]),
        "loans_per_day": (["day", "loans"],
                          [[r["day"], r["loans"]] for r in report["loans_per_day"]]),
        "loans_per_hour": (["hour", "loans"],
                           [[f"{r['hour']:02d}:00", r["loans"]] for r in report["loans_per_hour"]]),
        "turnover": (["title", "authors", "copies", "loans", "loans per copy", "popularity"],
                     [[r["title"], r["authors"], r["copies"], r["loans"], r["loans_per_copy"],
                       r["popularity"]] for r in cut(report["turnover"])]),
        "idle_titles": (["title", "items", "slots", "last lent", "idle days", "popularity", "year"],
                        [[r["title"], " ".join(r["item_ids"]), " ".join(map(str, r["slots"])),
                          r["last_lent"], r["idle_days"], r["popularity"], r["year"]]
                         for r in cut(report["idle_titles"])]),
        "refusals": (["what", "reason", "count"],
                     [[r["what"], r["reason"], r["count"]] for r in report["refusals"]]),
        "returns_late": (["days late", "returns"],
                         [[r["days_late"], r["returns"]] for r in report["returns"]["days_late"]]),
        "out_of_service": (["fault", "times"],
                           [[r["code"], r["count"]] for r in faults["out_of_service"]]),
        "failed_moves": (["move", "reason", "count"],
                         [[r["move"], r["reason"], r["count"]] for r in faults["failed_moves"]]),
        "audit_flags": (["reason", "count"],
                        [[r["reason"], r["count"]] for r in faults["audit_flags"]]),
        "vend_seconds": (["step", "vends", "mean", "median", "p90", "max"],
                         [[r["step"], r["vends"], r["mean"], r["median"], r["p90"], r["max"]]
                          for r in report["vend_seconds"]]),
    }
