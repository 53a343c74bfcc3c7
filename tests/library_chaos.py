"""The library chaos campaign's parts (tests/test_library_chaos.py): the kiosk's moved clock, a
seeded stream of circulation written to the journal as the controller writes it, a seeded
schedule of library faults, and what the library must hold at the end."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from library_fixtures import Admin

from kiosk.journal import (
    Event, HoldCancelled, HoldEnd, HoldPlaced, Journal, Renewed, ReturnIdentified,
    ReturnShelved, ReturnStarted, StoreStarted, VendFetched, VendPresented, VendStarted,
    VendTaken,
)

LIBRARY_TZ = ZoneInfo("Asia/Seoul")  # the emulator's (sim/library/clock.py)
LOAN_DAYS, RENEWAL_DAYS, MACHINE_LIMIT = 15, 7, 2  # sim/library/rules.py, the kiosk's policy
PATRONS = 5  # members in good standing at the start of a run
# s an answer is late by: past the connector's timeout. slow and reorder: the request carried
# out at once, the answer late; latency: the request carried out late (after the kiosk gave up)
SLOW = 0.6
TIMEOUT = 0.25  # s the connector waits for an answer in the campaign


class MovedClock:
    """The kiosk's clock: the wall clock, moved forward as the library's is (outages)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


def move_clocks(clock: MovedClock, admin: Admin, delta: timedelta) -> None:
    """Move the kiosk's and the library's clocks forward together."""
    clock.offset += delta
    admin.call("POST", "/admin/clock", {"advance_seconds": delta.total_seconds()})


@dataclass
class LoanRecord:
    """One loan as the machine made it: taken, maybe renewed, maybe returned."""

    item_id: str
    patron: str
    taken: Event
    due: date
    renewals: int = 0
    returned: Event | None = None


@dataclass
class HoldRecord:
    """One hold placed at the machine."""

    item_id: str
    patron: str
    placed: Event
    active: bool = True


@dataclass
class Circulation:
    """What the machine did, written to the journal the way the controller writes it."""

    journal: Journal
    clock: MovedClock
    rng: random.Random
    patrons: list[str]
    slots: dict[str, int]  # item -> its slot
    loans: list[LoanRecord] = field(default_factory=list)
    holds: list[HoldRecord] = field(default_factory=list)
    outbox: int = 0  # outbox events written

    def act(self, offline: bool) -> str | None:
        """One seeded action (lend, return, renew, hold, cancel); its name, or None."""
        actions = [(self._lend, 5), (self._return, 4), (self._renew, 1), (self._hold, 1),
                   (self._cancel, 0.5)]
        for _ in range(4):
            act = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
            if (done := act(offline)) is not None:
                return done
        return None

    def open_loan(self, item_id: str) -> LoanRecord | None:
        """The item's loan not yet returned."""
        return next((r for r in self.loans if r.item_id == item_id and r.returned is None), None)

    def active_hold(self, item_id: str) -> HoldRecord | None:
        """The item's hold not yet ended."""
        return next((h for h in self.holds if h.item_id == item_id and h.active), None)

    def _lendable(self, patron: str) -> bool:
        return sum(1 for r in self.loans if r.patron == patron and r.returned is None) < \
            MACHINE_LIMIT

    def _lend(self, offline: bool) -> str | None:
        shelved = [i for i in self.slots if self.open_loan(i) is None]
        self.rng.shuffle(shelved)
        for item_id in shelved:
            hold = self.active_hold(item_id)
            takers = [hold.patron] if hold else self.patrons
            takers = [p for p in takers if self._lendable(p)]
            if takers:
                return self._vend(item_id, self.rng.choice(takers), offline, hold)
        return None

    def _vend(self, item_id: str, patron: str, offline: bool, hold: HoldRecord | None) -> str:
        self.journal.append(VendStarted(item_id, self.slots[item_id], patron, "S1", 1))
        self.journal.append(VendFetched(item_id))
        self.journal.append(VendPresented(item_id))
        now = self.clock()
        due = now.astimezone(LIBRARY_TZ).date() + timedelta(days=LOAN_DAYS)
        taken = self.journal.append(VendTaken(item_id, patron, due, offline))
        self.loans.append(LoanRecord(item_id, patron, taken, due))
        if hold is not None:
            hold.active = False  # fulfilled
        self.outbox += 1
        return "lend"

    def _return(self, offline: bool) -> str | None:
        lent = [r for r in self.loans if r.returned is None]
        if not lent:
            return None
        loan = self.rng.choice(lent)
        started = self.journal.append(ReturnStarted("S2", 2))
        loan.returned = self.journal.append(ReturnIdentified(started.uuid, loan.item_id, 0))
        self.journal.append(StoreStarted(loan.item_id, self.slots[loan.item_id], 3))
        self.journal.append(ReturnShelved(loan.item_id))
        self.outbox += 1
        return "return"

    def _renew(self, offline: bool) -> str | None:
        today = self.clock().astimezone(LIBRARY_TZ).date()
        renewable = [r for r in self.loans if r.returned is None and r.renewals == 0
                     and today <= r.due and self.active_hold(r.item_id) is None]
        if not renewable:
            return None
        loan = self.rng.choice(renewable)
        loan.due += timedelta(days=RENEWAL_DAYS)
        loan.renewals += 1
        self.journal.append(Renewed(loan.item_id, loan.patron, loan.due))
        self.outbox += 1
        return "renew"

    def _hold(self, offline: bool) -> str | None:
        lent = [r for r in self.loans if r.returned is None
                and self.active_hold(r.item_id) is None]
        if not lent:
            return None
        loan = self.rng.choice(lent)
        patron = self.rng.choice([p for p in self.patrons if p != loan.patron])
        placed = self.journal.append(HoldPlaced(loan.item_id, patron))
        self.holds.append(HoldRecord(loan.item_id, patron, placed))
        self.outbox += 1
        return "hold"

    def _cancel(self, offline: bool) -> str | None:
        active = [h for h in self.holds if h.active]
        if not active:
            return None
        hold = self.rng.choice(active)
        self.journal.append(HoldCancelled(hold.item_id, hold.patron, HoldEnd.CANCELLED))
        hold.active = False
        self.outbox += 1
        return "cancel"


# Faults of a period: (kind, parameters). An outage takes the library away for hours to days.
FAULTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "http": [("status", {}), ("status", {"status": 502}), ("reset", {}), ("reset_after", {}),
             ("drop_after", {}), ("duplicate", {}), ("reorder", {"seconds": SLOW}),
             ("slow", {"seconds": SLOW}), ("latency", {"seconds": SLOW}), ("garbage", {}),
             ("nonsense", {})],
    "sip2": [("reset", {}), ("reset_after", {}), ("drop_after", {}), ("duplicate", {}),
             ("reorder", {"seconds": SLOW}), ("slow", {"seconds": SLOW}),
             ("latency", {"seconds": SLOW}), ("garbage", {}), ("nonsense", {}),
             ("bad_checksum", {})],
}
OUTAGES = {"http": ("drop", "status", "reset"), "sip2": ("drop", "reset")}
TRANSACTIONS = ("11", "09", "29", "15")  # SIP2 checkout, checkin, renew, hold


@dataclass(frozen=True)
class Period:
    """A stretch of simulated time: the library's fault meanwhile and the machine's actions."""

    fault: str | None  # None: the library answers well; "outage": unreachable
    params: dict[str, Any]
    count: int | None  # requests the fault takes (None: the whole period)
    hours: float  # simulated time the period lasts
    actions: int  # circulation actions spread over it
    dwell: float  # real seconds sync runs after each action
    overdue_elsewhere: int | None = None  # a patron (index) the library finds overdue meanwhile


def schedule(rng: random.Random, transport: str, periods: int) -> list[Period]:
    """A seeded chaos schedule: mostly faults, some quiet stretches, outages of hours to days
    (during some of which a patron turns out overdue with a loan elsewhere: what the kiosk
    lent them offline is then recorded with an objection, a hold refused)."""
    plan = []
    for _ in range(periods):
        roll = rng.random()
        actions, dwell = rng.randint(0, 5), rng.uniform(0.02, 0.12)
        if roll < 0.2:
            kind = rng.choice(OUTAGES[transport])
            hours = rng.choice([rng.uniform(1, 12), rng.uniform(12, 96)])
            blocked = rng.randrange(PATRONS) if rng.random() < 0.3 else None
            plan.append(Period("outage", {"kind": kind}, None, hours, actions, dwell, blocked))
        elif roll < 0.35:
            plan.append(Period(None, {}, None, rng.uniform(0.1, 6), actions, dwell))
        else:
            kind, params = rng.choice(FAULTS[transport])
            if transport == "sip2":  # often aimed at a transaction, not the reads around it
                params = {**params, "message": rng.choice([None, *TRANSACTIONS])}
            count = rng.choice([1, 2, 3, None])
            plan.append(Period(kind, dict(params), count, rng.uniform(0.1, 6), actions, dwell))
    return plan


# What the library may object to and still record (no_block), or refuse a hold for: a patron's
# standing (late returns while offline suspend). Anything else would be a sign of a lost,
# doubled or reordered event.
EXPLAINED = frozenset({"suspended", "overdue", "limit_reached", "held_for_other",
                       "renewal_limit", "patron_blocked"})


def _second(at: datetime | None) -> datetime | None:
    return None if at is None else at.replace(microsecond=0)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def loan_differences(circulation: Circulation, admin: Admin) -> tuple[int, int, list[str]]:
    """(loans, returns and renewals the library has twice, those it lacks, what differs)."""
    duplicates = missing = 0
    differences = []
    for item_id in circulation.slots:
        made = [(r.patron, _second(r.taken.at), _second(r.returned and r.returned.at),
                 r.renewals) for r in circulation.loans if r.item_id == item_id]
        held = [(x["patron"], _moment(x["loaned_at"]), _moment(x["returned_at"]), x["renewals"])
                for x in admin.item(item_id)["loans"]]
        if made == held:
            continue
        differences.append(f"{item_id}: machine {made} library {held}")
        duplicates += max(0, len(held) - len(made))
        missing += max(0, len(made) - len(held))
        for ours, theirs in zip(made, held):
            duplicates += max(0, theirs[3] - ours[3]) + (theirs[2] is not None and ours[2] is None)
            missing += max(0, ours[3] - theirs[3]) + (ours[2] is not None and theirs[2] is None)
    return duplicates, missing, differences


def hold_differences(circulation: Circulation, admin: Admin,
                     refused: set[str]) -> tuple[int, int, list[str]]:
    """(holds the library has twice, holds it lacks, what differs): one library hold for each
    hold placed at the machine that the library did not refuse."""
    duplicates = missing = 0
    differences = []
    for item_id in circulation.slots:
        made = sorted(h.patron for h in circulation.holds
                      if h.item_id == item_id and h.placed.uuid not in refused)
        held = sorted(h["patron"] for h in admin.item(item_id)["holds"])
        if made != held:
            differences.append(f"{item_id}: holds placed {made} library {held}")
            for patron in set(made) | set(held):
                gap = held.count(patron) - made.count(patron)
                duplicates, missing = duplicates + max(0, gap), missing + max(0, -gap)
    return duplicates, missing, differences
