"""Sync hands the library's holds to the controller: a pulled list (HTTP) and the hold a
return made ready (HTTP and SIP2)."""

from __future__ import annotations

import asyncio

import pytest
from library_fixtures import admin, background_loop, item, library  # noqa: F401
from test_sync_support import (  # noqa: F401 - fixtures
    KIM, OH, connect, drained, give_back, journal, lend, make_sync, running, until,
)

from kiosk.config import SyncConfig

PULLING = SyncConfig(batch_size=50, retry_initial=0.01, retry_max=0.05, holds_every=1.0)


def test_holds_placed_anywhere_are_pulled_over_http(journal, admin, connect):
    lend(journal, item(1), KIM)
    seen: list[tuple[list, bool]] = []

    async def scenario() -> None:
        sync = make_sync(journal, connect("http"), PULLING,
                         on_holds=lambda holds, complete: seen.append((list(holds), complete)))
        async with running(sync):
            await until(lambda: drained(sync), "the loan delivered")
            admin.call("POST", f"/admin/items/{item(1)}/hold", {"patron": OH}, expect=201)
            await until(lambda: any(h for h, complete in seen if complete), "a pulled hold")

    asyncio.run(scenario())
    holds, complete = next((h, c) for h, c in seen if h)
    assert complete and [(h.item_id, h.patron, h.ready) for h in holds] == [(item(1), OH, False)]


def test_sip2_offers_no_list_and_is_not_asked_again(journal, connect):
    library = connect("sip2-koha")
    seen: list = []

    async def scenario() -> None:
        sync = make_sync(journal, library, PULLING, on_holds=lambda h, c: seen.append(h))
        async with running(sync):
            await until(lambda: "holds_here" in library.calls, "one ask")
            await asyncio.sleep(1.5)  # past holds_every: a second ask would have gone out

    asyncio.run(scenario())
    assert library.calls.count("holds_here") == 1 and seen == []


@pytest.mark.parametrize("kind", ["http", "sip2", "sip2-koha"])
def test_the_hold_a_return_made_ready_is_handed_over(journal, admin, connect, kind):
    lend(journal, item(1), KIM)
    seen: list[tuple[list, bool]] = []

    async def scenario() -> None:
        sync = make_sync(journal, connect(kind), on_holds=lambda h, c: seen.append((list(h), c)))
        async with running(sync):
            await until(lambda: drained(sync), "the loan delivered")
            admin.call("POST", f"/admin/items/{item(1)}/hold", {"patron": OH}, expect=201)
            give_back(journal, item(1), 0)
            sync.kick()
            await until(lambda: drained(sync), "the return delivered")

    asyncio.run(scenario())
    with_returns = [(h.item_id, h.patron, h.ready) for holds, c in seen if not c for h in holds]
    assert with_returns == [(item(1), OH, True)]
