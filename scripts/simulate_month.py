"""A simulated month of a stocked machine, written into a journal through its own append API.

    python scripts/simulate_month.py JOURNAL.db --loading-list LIST.csv [--days 30] [--seed 1]
        [--settle] [--delivered]

Sessions follow a subway station's rhythm (open 05:30-24:00, morning and evening peaks, quieter
weekends); a patron borrows one or two books, more often the popular ones (weight
10^(2 x popularity)); each vend goes VendStarted -> VendFetched (seconds from the planner's
timing model and the picker's position) -> VendPresented -> VendTaken, now and then not taken
(retracted) or not started. Books come back with the policy's due dates (15 days, one renewal
of 7), some late, some not within the month; returns go back to the slot they came from.
Some returns are handed back (another library's book, an unreadable tag, nothing inserted),
some patrons are refused by the library, and one vend jams and is fixed by a technician.

--settle returns every book still lent at the month's end (the journal then agrees with a
simulator whose books never left their slots); --delivered marks every event as delivered to
the library (its patrons are invented, the library must not see them). Used by the tests and
for a demo of `kiosk stats` and `kiosk collection suggest` (docs/controller.md).
"""

from __future__ import annotations

import argparse
import csv
import heapq
import itertools
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.carousel.geometry import REFERENCE_GEOMETRY, REFERENCE_TIMING  # noqa: E402
from kiosk import policy  # noqa: E402
from kiosk.journal import (  # noqa: E402
    AuditCleared, FaultRecorded, ItemLocated, ItemStocked, Journal, MoveFailure, PatronVerified,
    Place, Renewed,
    RetractStarted, ReturnIdentified, ReturnRejected, ReturnRejection, ReturnShelved,
    ReturnStarted, StoreStarted, VendFailed, VendFetched, VendPresented, VendRetracted,
    VendStarted, VendTaken,
)
from kiosk.planner import fetch_seconds  # noqa: E402

# Relative demand per local hour (a subway station: morning and evening peaks).
HOURLY = {5: 0.3, 6: 1.0, 7: 3.0, 8: 4.0, 9: 2.0, 10: 1.0, 11: 1.0, 12: 1.5, 13: 1.2, 14: 1.0,
          15: 1.0, 16: 1.2, 17: 2.0, 18: 4.0, 19: 3.5, 20: 2.0, 21: 1.5, 22: 1.0, 23: 0.6}
WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6)  # Monday .. Sunday
REFUSED = 0.06  # sessions the library refuses (not in good standing)
TWO_BOOKS = 0.35
NOT_TAKEN = 0.02  # a fetched book the patron leaves: retracted
NOT_STARTED = 0.005  # a FETCH the PLC refuses
RENEWED = 0.12
LATE = 0.2
KEPT = 0.1  # not returned within the month
REJECTED_RETURNS_PER_DAY = 1.0
MAX_LOANS = 2  # the policy's limit of books from this machine at once
SETTLE_MARGIN = timedelta(hours=4)  # with --settle: the month's last hours are for the returns


@dataclass
class MonthClock:
    """The journal's clock: the simulated moment, set before each event."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Month:
    """What was written, for the caller's report."""

    sessions: int = 0
    loans: int = 0
    returns: int = 0
    events: int = 0
    refusals: Counter = field(default_factory=Counter)


def stock_payloads(rows: list[dict]) -> list[ItemStocked]:
    """ItemStocked events of loading-list rows (the columns of `kiosk stock`)."""
    def value(row: dict, key: str) -> str | None:
        return (row.get(key) or "").strip() or None

    return [ItemStocked(item_id=row["item_id"], uid=row["uid"].upper(), title=row["title"],
                        slot=int(row["slot"]), authors=value(row, "authors"),
                        year=int(row["year"]) if value(row, "year") else None,
                        subject=value(row, "subject"),
                        popularity=float(row["popularity"]) if value(row, "popularity") else None)
            for row in rows]


class MonthWriter:
    """Writes one machine's month, event by event, at simulated times."""

    def __init__(self, journal: Journal, clock: MonthClock, *, start: datetime, days: int,
                 seed: int, sessions_per_day: float = 40.0, patrons: int = 600,
                 zone: ZoneInfo = ZoneInfo("Asia/Seoul")) -> None:
        self.journal, self.clock, self.zone = journal, clock, zone
        self.start, self.end = start, start + timedelta(days=days)
        self.rng = random.Random(seed)
        self.sessions_per_day = sessions_per_day
        self.members = [f"9{n:011d}" for n in range(1, patrons + 1)]
        self.member_weights = [1 / (rank + 1) ** 0.8 for rank in range(patrons)]
        self.policy = policy.PolicyConfig()
        self.plc_seq = itertools.count(1)
        self.queue: list = []
        self.order = itertools.count()
        self.free_at = start
        self.picker = (REFERENCE_GEOMETRY.pickup_level, 0)
        self.month = Month()
        self.jam_done = False
        self.shelf = {item.item_id: item for item in journal.items(Place.SLOT)}
        self.weight = {item_id: 10 ** (2 * (0.3 if item.popularity is None else item.popularity))
                       for item_id, item in self.shelf.items()}

    # -- the plan ----------------------------------------------------------------------------
    def run(self, settle: bool = False) -> Month:
        """Write the whole month (and, with `settle`, the returns of every book still lent)."""
        day = self.start.astimezone(self.zone).date()
        while datetime.combine(day, time(), tzinfo=self.zone) < self.end:
            self._plan_day(day)
            day += timedelta(days=1)
        last = self.end - (SETTLE_MARGIN if settle else timedelta(0))
        while self.queue:
            at, _, action, args = heapq.heappop(self.queue)
            at = max(at, self.free_at)
            if at >= last:
                continue
            self.clock.now = at
            action(*args)
            self.free_at = self.clock.now + timedelta(seconds=self.rng.uniform(5, 40))
        if settle:
            self._settle()
        return self.month

    def _plan_day(self, day: date) -> None:
        mean = self.sessions_per_day * WEEKDAY[day.weekday()]
        for _ in range(self._poisson(mean)):
            self._at(self._moment(day), self._session, ())
        for _ in range(self._poisson(REJECTED_RETURNS_PER_DAY)):
            self._at(self._moment(day), self._rejected_return, ())

    def _moment(self, day: date) -> datetime:
        hour = self.rng.choices(list(HOURLY), weights=list(HOURLY.values()))[0]
        minute = self.rng.uniform(30 if hour == 5 else 0, 60)
        local = datetime.combine(day, time(hour), tzinfo=self.zone) + timedelta(minutes=minute)
        return local.astimezone(timezone.utc)

    def _poisson(self, mean: float) -> int:
        count, limit, product = 0, pow(2.718281828459045, -mean), self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def _at(self, when: datetime, action, args: tuple) -> None:
        heapq.heappush(self.queue, (when, next(self.order), action, args))

    # -- writing ----------------------------------------------------------------------------
    def _write(self, payload, seconds: float = 1.0):
        event = self.journal.append(payload)
        self.month.events += 1
        self.clock.now += timedelta(seconds=seconds)
        return event

    def _session(self) -> None:
        self.month.sessions += 1
        member = self.rng.choices(self.members, weights=self.member_weights)[0]
        good = self.rng.random() >= REFUSED
        self._write(PatronVerified(patron_id=member, good_standing=good), 20)
        if not good:
            self.month.refusals["not_in_good_standing"] += 1
            return
        room = MAX_LOANS - len(self.journal.open_loans(member))
        wanted = min(room, 2 if self.rng.random() < TWO_BOOKS else 1)
        session = f"month-{self.month.sessions}"
        for item in self._choose(wanted):
            self._vend(item, member, session)

    def _choose(self, count: int) -> list:
        """Books on the shelf, more likely the more popular (between sessions none is moving)."""
        ids = sorted(self.shelf)
        chosen: list = []
        while ids and len(chosen) < count:
            pick = self.rng.choices(ids, weights=[self.weight[i] for i in ids])[0]
            chosen.append(self.shelf[pick])
            ids.remove(pick)
        return chosen

    def _vend(self, item, member: str, session: str) -> None:
        seq = self._seq()
        self._write(VendStarted(item_id=item.item_id, slot=item.slot, patron_id=member,
                                session_id=session, plc_seq=seq), 0.0)
        if self.rng.random() < NOT_STARTED:
            self._write(VendFailed(item_id=item.item_id, reason=MoveFailure.NOT_STARTED))
            return
        if not self.jam_done and self.clock.now > self.start + (self.end - self.start) / 2:
            self._jam(item)
            return
        seconds, self.picker = fetch_seconds(self.picker, item.slot, REFERENCE_GEOMETRY,
                                             REFERENCE_TIMING)
        self.clock.now += timedelta(seconds=seconds)
        self._write(VendFetched(item_id=item.item_id), REFERENCE_TIMING.door)
        self._write(VendPresented(item_id=item.item_id), self.rng.uniform(2, 12))
        if self.rng.random() < NOT_TAKEN:
            self.clock.now += timedelta(seconds=60)
            self._write(RetractStarted(item_id=item.item_id, slot=item.slot,
                                       plc_seq=self._seq()), 8)
            self._write(VendRetracted(item_id=item.item_id))
            return
        due = policy.due_date(self.clock.now, self.policy)
        self._write(VendTaken(item_id=item.item_id, patron_id=member, due=due))
        del self.shelf[item.item_id]
        self.month.loans += 1
        self._plan_return(item, member, due)

    def _jam(self, item) -> None:
        """The FETCH jams; a technician finds the book in its slot and clears the flag."""
        self.jam_done = True
        failed = self._write(VendFailed(item_id=item.item_id, reason=MoveFailure.JAM), 1800)
        self._write(FaultRecorded(code="device", detail="CarouselJammed: FETCH jammed"))
        self._write(ItemLocated(item_id=item.item_id, place=Place.SLOT, slot=item.slot))
        self._write(AuditCleared(flag_id=failed.uuid, cleared_by="technician"))

    def _plan_return(self, item, member: str, due: date) -> None:
        taken = self.clock.now
        if self.rng.random() < RENEWED:
            at = taken + timedelta(days=self.rng.uniform(5, 14))
            self._at(at, self._renew, (item.item_id, member, due))
            due += timedelta(days=self.policy.renewal_days)
        if self.rng.random() < KEPT:
            return
        late = self.rng.random() < LATE
        days = ((due - taken.astimezone(self.zone).date()).days + self.rng.randint(1, 10)
                if late else self.rng.triangular(2, 15, 8))
        day = (taken + timedelta(days=days)).astimezone(self.zone).date()
        self._at(self._moment(day), self._return, (item.item_id, item.slot))

    def _renew(self, item_id: str, member: str, due: date) -> None:
        loan = self.journal.open_loan(item_id)
        if loan is not None and loan.patron_id == member and loan.renewals == 0:
            new_due = due + timedelta(days=self.policy.renewal_days)
            self._write(Renewed(item_id=item_id, patron_id=member, due=new_due))

    def _return(self, item_id: str, slot: int) -> None:
        loan = self.journal.open_loan(item_id)
        if loan is None:
            return
        self.month.returns += 1
        started = self._write(ReturnStarted(session_id=f"return-{self.month.returns}",
                                            plc_seq=self._seq()), self.rng.uniform(3, 10))
        late = policy.days_late(loan.due, self.clock.now, self.policy)
        self._write(ReturnIdentified(intent_id=started.uuid, item_id=item_id, days_late=late))
        self._write(StoreStarted(item_id=item_id, slot=slot, plc_seq=self._seq()), 9)
        self._write(ReturnShelved(item_id=item_id))
        self.shelf[item_id] = self.journal.item(item_id)

    def _rejected_return(self) -> None:
        reason = self.rng.choice([ReturnRejection.NOT_FROM_THIS_MACHINE,
                                  ReturnRejection.NOT_FROM_THIS_MACHINE,
                                  ReturnRejection.UNREADABLE_TAG, ReturnRejection.NOTHING_INSERTED])
        started = self._write(ReturnStarted(session_id=f"rejected-{self.month.events}",
                                            plc_seq=self._seq()), 6)
        uid = f"E0040150{self.rng.randrange(16 ** 8):08X}" if reason is \
            ReturnRejection.NOT_FROM_THIS_MACHINE else None
        self._write(ReturnRejected(intent_id=started.uuid, reason=reason, uid=uid))
        self.month.refusals[reason.value] += 1

    def _settle(self) -> None:
        """Every book still lent comes back in the month's last minutes."""
        self.clock.now = max(self.free_at, self.end - SETTLE_MARGIN)
        for loan in self.journal.open_loans():
            self._return(loan.item_id, self._home_slot(loan.item_id))

    def _home_slot(self, item_id: str) -> int:
        row = self.journal.db.execute(
            "SELECT json_extract(payload, '$.slot') FROM events WHERE kind = 'item_stocked' "
            "AND json_extract(payload, '$.item_id') = ? ORDER BY seq DESC LIMIT 1",
            (item_id,)).fetchone()
        return row[0]

    def _seq(self) -> int:
        return next(self.plc_seq) % 65535 + 1


def write_month(journal: Journal, clock: MonthClock, *, loading_list: list[dict] | None,
                end: datetime, days: int = 30, seed: int = 1, settle: bool = False,
                delivered: bool = False, **options) -> Month:
    """Stock the journal (when it has no books) a day before the month, then write the month."""
    start = end - timedelta(days=days)
    newest = journal.db.execute("SELECT MAX(at) FROM events").fetchone()[0]
    if newest is not None and datetime.fromisoformat(newest) >= start - timedelta(days=1):
        raise ValueError(f"the journal has events from {newest}, after the month's start: "
                         "write a month into a new journal")
    if not journal.items() and loading_list:
        clock.now = start - timedelta(days=1)
        journal.append_many(stock_payloads(loading_list))
    month = MonthWriter(journal, clock, start=start, days=days, seed=seed, **options).run(settle)
    if delivered:
        journal.mark_delivered([event.uuid for event in journal.pending_outbox(limit=10 ** 7)])
    return month


def main(argv: list[str] | None = None) -> None:
    """Command line: write a month into a journal file (the controller must not be running)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("journal", type=Path, help="the journal file (created if missing)")
    parser.add_argument("--loading-list", type=Path, help="stock from this list if no books")
    parser.add_argument("--days", type=int, default=30, help="length of the month (30)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--slots", type=int, default=REFERENCE_GEOMETRY.slot_count,
                        help="slot count (the reference drum's 1000)")
    parser.add_argument("--settle", action="store_true", help="return every lent book at the end")
    parser.add_argument("--delivered", action="store_true",
                        help="mark every event delivered to the library")
    args = parser.parse_args(argv)
    rows = None
    if args.loading_list:
        with args.loading_list.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    end = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    clock = MonthClock(end)
    with Journal.open(args.journal, slot_count=args.slots, clock=clock) as journal:
        journal.db.execute("PRAGMA synchronous=OFF")  # a generator, not a live machine
        try:
            month = write_month(journal, clock, loading_list=rows, end=end, days=args.days,
                                seed=args.seed, settle=args.settle, delivered=args.delivered)
        except ValueError as exc:
            sys.exit(f"simulate_month: {exc}")
    print(f"{month.sessions} sessions, {month.loans} loans, {month.returns} returns, "
          f"{month.events} events written to {args.journal}")


if __name__ == "__main__":
    main()
