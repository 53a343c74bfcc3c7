"""Offline mode: conflicts reported after the outage, probes, error kinds."""

from __future__ import annotations

import asyncio

import pytest
from library_fixtures import admin, background_loop, item, library  # noqa: F401 - fixtures
from test_sync_support import (  # noqa: F401 - fixtures
    FAST, KIM, LibraryThread, clear_faults, connect, drained, give_back, journal, lend, loans,
    make_sync, outbox_row, round_trips, running, until,
)

from kiosk.connectors import EventKind, HttpConnector, HttpConnectorConfig, Reason
from kiosk.journal import PatronVerified
from kiosk.machine_key import KEY_FILE, MachineKey
from kiosk.sync import SyncConflict, SyncError


def test_an_offline_loan_to_a_patron_blocked_meanwhile_is_a_conflict(journal, admin, connect):
    member = admin.patron()
    journal.append(PatronVerified(member, True))
    library = connect("http")
    admin.fault("http", "status")

    async def scenario() -> None:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: not sync.status.online, "offline")
            lent = lend(journal, item(3), member, offline=True)
            give_back(journal, item(3), 2)  # acknowledged after the conflict, in order
            sync.kick()
            admin.call("POST", f"/admin/patrons/{member}/loans-elsewhere",
                       {"days_overdue": 3}, expect=201)
            clear_faults(admin)
            await until(lambda: drained(sync), "the backlog delivered")
        assert sync.status.conflicts == 1 and sync.status.last_error is None
        at = next(e.at for e in journal.events() if e.uuid == lent)
        # returned and delivered: the journal names the patron by their keyed hash only
        alias = MachineKey(journal.path.parent / KEY_FILE).patron(member)
        assert alias.startswith("h:") and alias != member
        assert sync.conflicts() == [
            SyncConflict(lent, EventKind.CHECKOUT, item(3), alias, at, Reason.OVERDUE)]
        assert outbox_row(journal, lent)["conflict"] == "overdue"

    asyncio.run(scenario())
    assert loans(admin, item(3)) == [(member, True)]  # recorded despite the block


def test_conflicts_survive_a_restart(journal, admin, connect):
    member = admin.patron(blocked=True)
    lent = lend(journal, item(4), member, offline=True)
    library = connect("http")

    async def deliver() -> None:
        async with running(make_sync(journal, library)) as sync:
            await until(lambda: drained(sync), "the checkout delivered")

    asyncio.run(deliver())
    later = make_sync(journal, library)  # a new controller over the same journal
    assert later.status.conflicts == 1
    assert [(c.event_id, c.reason) for c in later.conflicts()] == [(lent, Reason.PATRON_BLOCKED)]


def test_a_probe_learns_the_library_is_back_with_nothing_to_deliver(journal, admin, connect):
    library = connect("http")
    admin.fault("http", "drop")

    async def scenario() -> None:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: not sync.status.online, "offline")
            clear_faults(admin)
            await until(lambda: sync.status.online, "online again")
        assert sync.status.consecutive_failures == 0

    asyncio.run(scenario())
    assert "deliver_events" not in library.calls


ERRORS = [  # fault, its parameters, what status says, whether that counts as offline
    ("status", {}, SyncError.UNAVAILABLE, True),
    ("latency", {"seconds": 0.5}, SyncError.TIMEOUT, True),
    ("garbage", {}, SyncError.PROTOCOL, False),
    ("nonsense", {}, SyncError.PROTOCOL, False),
]


@pytest.mark.parametrize(("fault", "params", "error", "offline"), ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_each_error_kind_is_reported_and_retried(journal, admin, connect, fault, params, error,
                                                 offline):
    library = connect("http", read_timeout=0.2)
    admin.fault("http", fault, **params)
    lent = lend(journal, item(5), KIM)

    async def scenario() -> None:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: sync.status.consecutive_failures >= 2, "failed attempts")
            status = sync.status
            assert (status.last_error, status.online, status.backlog) == (error, not offline, 1)
            assert outbox_row(journal, lent)["last_error"] == error.value
            clear_faults(admin)
            await until(lambda: drained(sync), "delivered after the fault")
        assert sync.status.last_error is None and sync.status.online

    asyncio.run(scenario())
    assert loans(admin, item(5)) == [(KIM, False)]


def test_refused_credentials_are_an_auth_error_and_nothing_is_lost(journal, library, tmp_path):
    token = tmp_path / "wrong-token"
    token.write_text("not-the-token\n")
    config = HttpConnectorConfig(library.endpoint["url"], "kiosk-1", str(token), retries=0)
    thread = LibraryThread(HttpConnector(config))
    round_trips(journal, 1)

    async def scenario() -> None:
        sync = make_sync(journal, thread)
        async with running(sync):
            await until(lambda: sync.status.consecutive_failures >= 2, "failed attempts")
        status = sync.status
        assert (status.last_error, status.online, status.backlog) == (SyncError.AUTH, True, 2)

    try:
        asyncio.run(scenario())
    finally:
        thread.close()
