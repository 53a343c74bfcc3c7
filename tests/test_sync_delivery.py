"""Sync over real transports: online delivery, outages, replays, per-item order, catch-up."""

from __future__ import annotations

import asyncio
import math
import pytest
from library_fixtures import CONNECTORS, admin, background_loop, item, library  # noqa: F401
from test_sync_support import (  # noqa: F401 - fixtures
    FAST, KIM, OH, PARK, clear_faults, connect, count_requests, drained, give_back,
    journal, lend, loans, make_sync, outbox_row, requests_seen, round_trips, running,
    transactions, until,
)

from kiosk.config import SyncConfig
from kiosk.connectors import ItemStatus, Outcome
from kiosk.sync import SyncError, SyncStatus, library_event

IDLE = SyncConfig(batch_size=50, retry_initial=0.01, retry_max=300)  # only a kick wakes it


@pytest.mark.parametrize("kind", CONNECTORS)
def test_online_checkout_and_checkin_reach_the_library_when_kicked(journal, admin, connect,
                                                                   kind):
    library = connect(kind)

    async def scenario() -> None:
        sync = make_sync(journal, library, IDLE)
        async with running(sync):
            await until(lambda: "info" in library.calls, "the first probe")
            lent = lend(journal, item(1), KIM)
            sync.kick()
            await until(lambda: drained(sync), "the checkout delivered")
            assert loans(admin, item(1)) == [(KIM, False)]
            assert (await library.call("item_info", item(1))).status is ItemStatus.ON_LOAN
            give_back(journal, item(1), 0)
            sync.kick()
            await until(lambda: drained(sync), "the checkin delivered")
        assert loans(admin, item(1)) == [(KIM, True)]
        assert (await library.call("item_info", item(1))).status is ItemStatus.AVAILABLE
        status = sync.status
        assert status.online and status.last_delivery_at is not None
        assert (status.consecutive_failures, status.conflicts, status.last_error) == (0, 0, None)
        assert outbox_row(journal, lent)["attempts"] == 0

    asyncio.run(scenario())


@pytest.mark.parametrize(("kind", "fault"), [("http", "status"), ("http", "drop"),
                                             ("sip2", "drop")])
def test_outage_queues_everything_then_delivers_each_event_once(journal, admin, connect,
                                                                kind, fault):
    library = connect(kind)
    seen: list[SyncStatus] = []
    admin.fault(kind, fault)  # until cleared

    async def scenario() -> None:
        sync = make_sync(journal, library, seen=seen)
        async with running(sync):
            written = round_trips(journal, 6)
            sync.kick()
            await until(lambda: sync.status.consecutive_failures >= 3, "failed attempts")
            status = sync.status
            assert not status.online and status.backlog == written
            assert status.last_error is SyncError.UNAVAILABLE and transactions(admin) == []
            clear_faults(admin)
            await until(lambda: drained(sync), "the backlog delivered")
            assert sync.status.online and sync.status.consecutive_failures == 0

    asyncio.run(scenario())
    delivered = transactions(admin)
    outbox = {e.uuid for e in journal.events() if e.payload.outbox}
    assert sorted(t["transaction_id"] for t in delivered) == sorted(outbox)  # once each
    patrons = (KIM, PARK, OH)
    for n in range(6):
        assert loans(admin, item(n + 1)) == [(patrons[n % 3], True)]
    assert any(not s.online and s.backlog == 12 for s in seen)
    assert seen[-1].online and seen[-1].backlog == 0


def test_a_batch_applied_but_unanswered_is_replayed_as_duplicates(journal, admin, connect):
    library = connect("http")
    written = round_trips(journal, 2)
    sent = [library_event(e, "kiosk-1") for e in journal.events() if e.payload.outbox]
    admin.fault("http", "drop_after", count=1)  # the library applies the batch, then hangs up

    async def scenario() -> None:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: drained(sync), "the backlog delivered")
        assert library.calls.count("deliver_events") == 2

    asyncio.run(scenario())
    pending = [e for e in journal.events() if e.payload.outbox]
    assert all(outbox_row(journal, e.uuid)["attempts"] == 1 for e in pending)
    assert len(transactions(admin)) == written  # the replay changed nothing
    assert loans(admin, item(1)) == [(KIM, True)] and loans(admin, item(2)) == [(PARK, True)]
    again = library.connector.deliver_events(sent)  # as sent: delivered, the journal keeps hashes
    assert {r.outcome for r in again} == {Outcome.DUPLICATE}


@pytest.mark.parametrize(("kind", "fault", "count"), [("http", "drop", 2),
                                                      ("sip2", "drop_after", 1)])
def test_per_item_order_holds_when_a_batch_fails_part_way(journal, admin, connect, kind, fault,
                                                          count):
    library = connect(kind)
    config = SyncConfig(batch_size=3, retry_initial=0.01, retry_max=0.05)
    lend(journal, item(1), KIM)
    give_back(journal, item(1), 0)
    lend(journal, item(1), PARK)
    give_back(journal, item(1), 0)
    lend(journal, item(2), OH)

    async def scenario() -> None:
        await library.call("info")  # connected (and logged in): the fault hits an event
        admin.fault(kind, fault, count=count)
        sync = make_sync(journal, library, config)
        async with running(sync):
            await until(lambda: drained(sync), "the backlog delivered")
        assert sync.status.conflicts == 0

    asyncio.run(scenario())
    assert loans(admin, item(1)) == [(KIM, True), (PARK, True)]
    assert loans(admin, item(2)) == [(OH, False)]
    journal_order = [e.uuid for e in journal.events() if e.payload.outbox]
    assert [t["transaction_id"] for t in transactions(admin)] == journal_order


def test_a_week_offline_catches_up_in_batches(journal, admin, connect):
    library = connect("http")
    written = round_trips(journal, 250)
    count_requests(admin)

    async def scenario() -> None:
        sync = make_sync(journal, library, FAST)
        async with running(sync):
            await until(lambda: drained(sync), "the week delivered", timeout=30)
        assert sync.status.conflicts == 0

    asyncio.run(scenario())
    batches = math.ceil(written / FAST.batch_size)
    assert batches <= requests_seen(admin) <= batches + 1  # not one request per event
    assert len({t["transaction_id"] for t in transactions(admin)}) == written == 500
