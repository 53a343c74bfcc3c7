"""The library chaos campaign: the library unreachable for hours to days (both clocks moved),
5xx, resets, duplicate, reordered, slow and garbage answers, requests carried out after the
kiosk stopped waiting, while the machine lends, takes back, renews and holds; afterwards every
journal event is applied in the library exactly once.

Each case is one seed: a journal stocked with the emulator's copies, the real `kiosk.sync`
worker through the real HTTP connector (SIP2 for every third seed, against each ACS profile of
the emulator in turn) to the real emulator on loopback, and a seeded schedule of periods, each
with its fault and the circulation written meanwhile. At the end the faults are cleared and
the backlog drained; then the library's loans, returns, renewals and holds must be the
machine's, each once, the outbox empty but for objections a patron's standing explains, and
every failed attempt logged and counted. Bounded: PERIODS periods of at most a few seconds,
the drain at most DRAIN seconds. `make test` runs the FAST seeds.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from library_chaos import (
    EXPLAINED, PATRONS, SLOW, TIMEOUT, Circulation, MovedClock, Period, hold_differences,
    loan_differences, move_clocks, schedule,
)
from library_fixtures import BOOKS, admin, background_loop, item, library  # noqa: F401
from test_sync_support import (  # noqa: F401 - fixtures
    clear_faults, connect, drained, make_sync, running, transactions, until,
)

from kiosk.config import SyncConfig
from kiosk.journal import ItemStocked, Journal
from kiosk.sync import SyncStatus

SEEDS = range(80)
FAST = (0, 1, 2)  # two over HTTP, one over SIP2 (the project's ACS)
PROFILES = ("sip2", "sip2-koha", "sip2-evergreen", "sip2-strict")  # "sip2": the project's ACS
PERIODS = 10
DRAIN = 60.0  # s at most to deliver the backlog once the library answers well again
ABOUT = ("The library system misbehaves while the machine works: outages of hours to days "
         "(the kiosk's and the library's clocks moved forward together, the kiosk lending "
         "offline), 5xx, connection resets before and after the library applied a request, "
         "lost, duplicated, reordered (late), slow and garbage answers, requests carried out "
         "after the kiosk stopped waiting, over HTTP and over "
         "SIP2 (the project's ACS, Koha, Evergreen and a strict 2.00 ACS). Each run is a seed: "
         f"{PERIODS} periods of faults and circulation (loans, returns, renewals, holds) "
         "through the real sync worker, connector and library emulator on loopback; then "
         "every journal event must be applied in the library exactly once (no loan, return, "
         "renewal or hold doubled or missing, the library's times the machine's), the outbox "
         "empty but for objections a patron's standing explains, every failed attempt logged.")


def transport_of(seed: int) -> str:
    """The connector of a seed: HTTP, or SIP2 (every third seed, each ACS profile in turn)."""
    return PROFILES[seed // 3 % len(PROFILES)] if seed % 3 == 2 else "http"


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock()


@pytest.fixture
def stocked(tmp_path: Path, clock: MovedClock):
    """A journal on the moved clock holding the emulator's copies in slots 0.."""
    with Journal.open(tmp_path / "journal.db", slot_count=BOOKS, clock=clock) as journal:
        for n in range(1, BOOKS + 1):
            journal.append(ItemStocked(item(n), f"E004{n:012X}", f"Book {n}", n - 1))
        yield journal


class FaultLog:
    """The periods' faults as injected, and how many requests each hit. Each period's fault
    replaces the last (a quiet period's is a latency of 0): an answer a duplicate or reorder
    held back is given to the next request even in a later period."""

    def __init__(self, admin: Any, transport: str) -> None:
        self.admin, self.transport = admin, transport.split("-")[0]
        self.injected = self.hits = 0
        self.outage_hours = 0.0

    def start(self, period: Period) -> None:
        if period.fault is None:
            self.admin.fault(self.transport, "latency", seconds=0)
            return
        self.injected += 1
        if period.fault == "outage":
            self.outage_hours += period.hours
            self.admin.fault(self.transport, period.params["kind"])
        else:
            self.admin.fault(self.transport, period.fault, count=period.count, **period.params)

    def end(self, period: Period) -> None:
        active = self.admin.call("GET", "/admin/faults").get(self.transport)
        if period.fault is not None:
            self.hits += active["hits"] if active else (period.count or 0)


async def run_period(period: Period, circulation: Circulation, sync: Any, clock: MovedClock,
                     admin: Any, faults: FaultLog) -> None:
    """The period's fault on, its actions spread over its simulated time (its hits counted)."""
    faults.start(period)
    if period.overdue_elsewhere is not None:
        patron = circulation.patrons[period.overdue_elsewhere]
        admin.call("POST", f"/admin/patrons/{patron}/loans-elsewhere", {"days_overdue": 3},
                   expect=201)
    step = timedelta(hours=period.hours) / (period.actions + 1)
    for _ in range(period.actions):
        move_clocks(clock, admin, step)
        circulation.act(offline=not sync.status.online)
        sync.kick()
        await asyncio.sleep(period.dwell)
    move_clocks(clock, admin, step)
    await asyncio.sleep(period.dwell)
    faults.end(period)


def failures_counted(seen: list[SyncStatus]) -> int:
    """Failed attempts as the status told them (consecutive_failures going up)."""
    total, last = 0, 0
    for status in seen:
        if status.consecutive_failures > last:
            total += status.consecutive_failures - last
        last = status.consecutive_failures
    return total


@pytest.mark.parametrize("seed", [
    pytest.param(seed, id=f"seed{seed}",
                 marks=pytest.mark.campaign(name="library_chaos", fast=seed in FAST))
    for seed in SEEDS])
def test_every_event_is_applied_once_whatever_the_library_does(
        seed, stocked, clock, admin, connect, campaign_facts, caplog):
    rng = random.Random(seed)
    transport = transport_of(seed)
    options = ({"read_timeout": TIMEOUT, "retries": rng.choice([0, 1, 2])}
               if transport == "http" else {"timeout": TIMEOUT})
    library = connect(transport, **options)
    patrons = [admin.patron() for _ in range(PATRONS)]
    circulation = Circulation(stocked, clock, rng, patrons,
                              {item(n): n - 1 for n in range(1, BOOKS + 1)})
    plan = schedule(rng, transport.split("-")[0], PERIODS)
    config = SyncConfig(batch_size=rng.choice([3, 10, 50]), retry_initial=0.01, retry_max=0.05)
    faults, seen = FaultLog(admin, transport), []
    caplog.set_level(logging.WARNING, logger="kiosk.sync")

    async def scenario() -> None:
        sync = make_sync(stocked, library, config, seen, clock=clock)
        async with running(sync):
            for period in plan:
                await run_period(period, circulation, sync, clock, admin, faults)
            clear_faults(admin)  # also forgets an answer held back
            sync.kick()
            await until(lambda: drained(sync) and sync.status.online,
                        "the backlog delivered once the library answers", timeout=DRAIN)
            if any(p.fault == "latency" for p in plan):  # one may still be asleep in the library:
                await asyncio.sleep(SLOW + 0.2)  # what it does when it wakes is checked too

    asyncio.run(scenario())
    outbox = list(stocked.db.query("SELECT * FROM outbox"))
    refused = {row["uuid"] for row in outbox if row["refused"]}
    loans_twice, loans_lacking, loan_diff = loan_differences(circulation, admin)
    holds_twice, holds_lacking, hold_diff = hold_differences(circulation, admin, refused)
    logged = sum(1 for r in caplog.records if r.getMessage().startswith("sync attempt "))
    campaign_facts.update({
        "runs": 1, "events": len(outbox), "faults": faults.injected, "fault_hits": faults.hits,
        "outage_hours": round(faults.outage_hours), "failed_attempts": logged,
        "duplicates": loans_twice + holds_twice, "missing": loans_lacking + holds_lacking,
        "objections": sum(1 for row in outbox if row["conflict"]), "refused": len(refused),
        "transport": transport.split("-")[0], "about": ABOUT})
    if transport.startswith("sip2"):
        campaign_facts["acs"] = transport.removeprefix("sip2-").replace("sip2", "project")

    assert len(outbox) == circulation.outbox
    assert stocked.pending_outbox() == []
    assert not loan_diff + hold_diff, "\n".join(loan_diff + hold_diff)
    unexplained = [(row["kind"], row["conflict"]) for row in outbox
                   if row["conflict"] and row["conflict"] not in EXPLAINED]
    assert unexplained == []
    assert all(row["kind"] == "hold_placed" for row in outbox if row["refused"])
    assert logged == failures_counted(seen)  # every failed attempt logged and counted
    assert all(row["last_error"] for row in outbox if row["attempts"])
    if transport in ("http", "sip2"):  # the library keeps transaction ids: each once
        ids = [t["transaction_id"] for t in transactions(admin)]
        assert sorted(ids) == sorted(row["uuid"] for row in outbox)


class Reports:
    """The admin API's item reports, as given (a unit test of the campaign's comparison)."""

    def __init__(self, items: dict[str, dict[str, list]]) -> None:
        self.items = items

    def item(self, item_id: str) -> dict[str, list]:
        return self.items.get(item_id, {"loans": [], "holds": []})


def test_the_check_counts_what_the_library_has_twice_or_lacks(tmp_path, clock):
    """The campaign's comparison itself: a doubled loan, renewal or hold, a missing return or
    hold are counted; a hold the library refused is not expected there."""
    with Journal.open(tmp_path / "j.db", slot_count=2, clock=clock) as journal:
        for n in (1, 2):
            journal.append(ItemStocked(item(n), f"E004{n:012X}", f"Book {n}", n - 1))
        circulation = Circulation(journal, clock, random.Random(0), ["P1", "P2"],
                                  {item(1): 0, item(2): 1})
        while len(circulation.loans) < 2:  # a loan of each copy, then one of them back
            circulation._lend(offline=False)
        circulation._return(offline=False)
        loan = next(r for r in circulation.loans if r.returned is not None)

        def report(record, renewals: int, returned: bool) -> dict:  # as the library keeps it
            return {"patron": record.patron, "loaned_at": _iso(record.taken.at),
                    "returned_at": _iso(record.returned.at) if returned else None,
                    "renewals": renewals}

        exact = {r.item_id: {"loans": [report(r, r.renewals, r.returned is not None)],
                             "holds": []} for r in circulation.loans}
        assert loan_differences(circulation, Reports(exact)) == (0, 0, [])
        doubled = {**exact, loan.item_id: {"loans": [report(loan, 1, True)] * 2, "holds": []}}
        assert loan_differences(circulation, Reports(doubled))[:2] == (2, 0)  # loan + renewal
        lacking = {**exact, loan.item_id: {"loans": [report(loan, 0, False)], "holds": []}}
        assert loan_differences(circulation, Reports(lacking))[:2] == (0, 1)  # the return
        circulation._hold(offline=False)  # on the copy still out
        [hold] = circulation.holds
        held = {hold.item_id: {"loans": [], "holds": [{"patron": hold.patron}]}}
        assert hold_differences(circulation, Reports(held), set()) == (0, 0, [])
        twice = {hold.item_id: {"loans": [], "holds": [{"patron": hold.patron}] * 2}}
        assert hold_differences(circulation, Reports(twice), set())[:2] == (1, 0)
        assert hold_differences(circulation, Reports({}), set())[:2] == (0, 1)
        assert hold_differences(circulation, Reports({}), {hold.placed.uuid}) == (0, 0, [])


def _iso(at) -> str:
    return at.replace(microsecond=0).isoformat()
