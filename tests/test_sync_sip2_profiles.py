"""Sync over SIP2 against each ACS profile: exactly once without XT, refused events, broken
batches, and what the 98 allows."""

from __future__ import annotations

import asyncio

import pytest
from library_fixtures import PROFILES, admin, background_loop, item, library  # noqa: F401
from test_sync_support import (  # noqa: F401 - fixtures
    FAST, KIM, OH, clear_faults, connect, drained, give_back, journal, lend, loans, make_sync,
    outbox_row, running, until,
)

from kiosk.connectors import Reason

SIP2_KINDS = ["sip2", *(f"sip2-{p}" for p in PROFILES)]
NOBODY = "999999999999"  # a member number the library does not know


def renewals(admin, item_id: str) -> list[int]:
    return [loan["renewals"] for loan in admin.item(item_id)["loans"]]


@pytest.mark.parametrize("kind", SIP2_KINDS)
def test_a_lost_answer_mid_batch_keeps_the_events_before_it(journal, admin, connect, kind):
    library = connect(kind)
    first = lend(journal, item(1), KIM)
    back = give_back(journal, item(1), 0)
    lend(journal, item(2), OH)

    async def scenario() -> None:
        await library.call("info")  # logged in: the fault hits the return's 09
        admin.fault("sip2", "drop_after", count=1, message="09")
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: drained(sync), "the backlog delivered")
        assert sync.status.conflicts == 0

    asyncio.run(scenario())
    assert loans(admin, item(1)) == [(KIM, True)] and renewals(admin, item(1)) == [0]
    assert loans(admin, item(2)) == [(OH, False)]
    assert outbox_row(journal, first)["attempts"] == 0  # answered before the break: not resent
    assert outbox_row(journal, back)["attempts"] == 1


@pytest.mark.parametrize("kind", SIP2_KINDS)
def test_a_checkout_whose_answer_was_lost_is_not_sent_again_after_a_restart(
        journal, admin, connect, kind):
    lent = lend(journal, item(1), KIM)

    async def lose_the_answer() -> None:
        library = connect(kind)
        await library.call("info")
        admin.fault("sip2", "drop_after", count=1, message="11")
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: outbox_row(journal, lent)["attempts"] >= 1, "a failed attempt")

    async def restart() -> None:
        clear_faults(admin)
        sync = make_sync(journal, connect(kind))  # a new connector: it remembers nothing
        async with running(sync):
            await until(lambda: drained(sync), "the checkout settled")
        assert sync.status.conflicts == 0

    asyncio.run(lose_the_answer())
    assert loans(admin, item(1)) == [(KIM, False)]  # the lost answer had taken effect
    asyncio.run(restart())
    assert loans(admin, item(1)) == [(KIM, False)] and renewals(admin, item(1)) == [0]


@pytest.mark.parametrize("kind", SIP2_KINDS)
def test_a_refused_event_is_reported_refused_and_the_batch_goes_on(journal, admin, connect,
                                                                   kind):
    library = connect(kind)
    lend(journal, item(1), KIM)
    refused = lend(journal, item(3), NOBODY)
    lend(journal, item(2), OH)

    async def scenario() -> None:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: drained(sync), "the backlog settled")
        status = sync.status
        assert (status.conflicts, status.refused) == (1, 1)
        [conflict] = sync.conflicts()
        assert (conflict.event_id, conflict.refused, conflict.reason) == (
            refused, True, Reason.UNKNOWN_PATRON)

    asyncio.run(scenario())
    assert loans(admin, item(1)) == [(KIM, False)] and loans(admin, item(2)) == [(OH, False)]
    assert loans(admin, item(3)) == []  # nothing invented


@pytest.mark.parametrize("kind", SIP2_KINDS)
def test_sync_learns_whether_the_library_allows_offline_lending(journal, connect, kind):
    library = connect(kind)

    async def scenario() -> bool:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: sync.status.online and "info" in library.calls, "the probe")
            await until(lambda: sync._policy_known, "the 98 read")
            return sync.status.offline_lending

    # Koha's and Evergreen's example configurations say offline N in their 98.
    assert asyncio.run(scenario()) is (kind not in ("sip2-koha", "sip2-evergreen"))


def test_the_library_s_word_on_offline_lending_outlives_a_restart(journal, connect):
    async def learn() -> None:
        sync = make_sync(journal, connect("sip2-koha"))
        async with running(sync):
            await until(lambda: sync._policy_known, "the 98 read")

    assert make_sync(journal, connect("sip2-koha")).status.offline_lending is True  # unknown
    asyncio.run(learn())
    restarted = make_sync(journal, connect("sip2-koha"))  # the library not asked yet
    assert restarted.status.offline_lending is False


@pytest.mark.parametrize("kind", ["http", *SIP2_KINDS])
def test_a_renewal_in_the_outbox_reaches_the_library_once(journal, admin, connect, kind):
    from test_sync_support import DUE
    from kiosk.journal import Renewed
    lend(journal, item(1), KIM)
    journal.append(Renewed(item_id=item(1), patron_id=KIM, due=DUE))

    async def scenario() -> None:
        sync = make_sync(journal, connect(kind))
        async with running(sync):
            await until(lambda: drained(sync), "the loan and its renewal delivered")
        assert sync.status.conflicts == 0

    asyncio.run(scenario())
    assert renewals(admin, item(1)) == [1]
