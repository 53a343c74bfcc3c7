"""Shared helpers of the sync tests (imported by test_sync_*.py): a journal stocked with the
emulator's copies, lending and returning through real journal events, the connector on its
own thread as kiosk.devices.Library runs it, a running Sync, bounded waits on the loop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from library_fixtures import BOOKS, MACHINE, Admin, item, make_connector

from kiosk.config import SyncConfig
from kiosk.connectors import LibraryConnector
from kiosk.devices import Library
from kiosk.journal import (
    ItemStocked, Journal, ReturnIdentified, ReturnShelved, ReturnStarted, StoreStarted,
    VendFetched, VendPresented, VendStarted, VendTaken,
)
from kiosk.sync import Sync, SyncStatus
from sim.library import DEMO_PATRONS

KIM, PARK, OH = (DEMO_PATRONS[i].member_number for i in (0, 2, 8))  # good standing
DUE = date(2099, 1, 1)
FAST = SyncConfig(batch_size=50, retry_initial=0.01, retry_max=0.05)
WAIT = 15.0
QUICK = {"http": {"retries": 0, "read_timeout": 2.0}, "sip2": {"timeout": 2.0}}


class LibraryThread(Library):
    """The controller's Library, noting which connector methods were called."""

    def __init__(self, connector: LibraryConnector) -> None:
        super().__init__(connector)
        self.calls: list[str] = []

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Note the call, then make it in the library thread."""
        self.calls.append(method)
        return await super().call(method, *args, **kwargs)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A journal holding the emulator's demo copies EM00000001.. in slots 0.."""
    with Journal.open(tmp_path / "journal.db", slot_count=BOOKS) as j:
        for n in range(1, BOOKS + 1):
            j.append(ItemStocked(item(n), f"E004{n:012X}", f"Book {n}", n - 1))
        yield j


@pytest.fixture
def connect(library: Any, tmp_path: Path) -> Iterator[Callable[..., LibraryThread]]:
    """Factory of a connector to the emulator on its own thread; closed at teardown."""
    threads: list[LibraryThread] = []

    def factory(kind: str, **options: Any) -> LibraryThread:
        connector = make_connector(kind, library.endpoint, tmp_path, **{**QUICK[kind.split("-")[0]], **options})
        threads.append(LibraryThread(connector))
        return threads[-1]

    yield factory
    for thread in threads:
        thread.close()


def lend(journal: Journal, item_id: str, patron: str, offline: bool = False) -> str:
    """Vend a copy from its slot until the patron takes it; the vend_taken event's uuid."""
    slot = journal.item(item_id).slot
    journal.append(VendStarted(item_id, slot, patron, "S1", 1))
    journal.append(VendFetched(item_id))
    journal.append(VendPresented(item_id))
    return journal.append(VendTaken(item_id, patron, DUE, offline)).uuid


def give_back(journal: Journal, item_id: str, slot: int) -> str:
    """Return a lent copy through the slot and shelve it; the return_identified event's uuid."""
    started = journal.append(ReturnStarted("S2", 2))
    identified = journal.append(ReturnIdentified(started.uuid, item_id, 0))
    journal.append(StoreStarted(item_id, slot, 3))
    journal.append(ReturnShelved(item_id))
    return identified.uuid


def round_trips(journal: Journal, count: int, patrons: tuple[str, ...] = (KIM, PARK, OH)) -> int:
    """`count` loans and returns over the copies in turn; the outbox events written (2 each)."""
    for n in range(count):
        item_id = item(n % BOOKS + 1)
        slot = journal.item(item_id).slot
        lend(journal, item_id, patrons[n % len(patrons)])
        give_back(journal, item_id, slot)
    return 2 * count


async def until(condition: Callable[[], Any], message: str, timeout: float = WAIT) -> Any:
    """Poll `condition()` on the loop until truthy and return it; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        await asyncio.sleep(0.01)
    return value


@contextlib.asynccontextmanager
async def running(sync: Sync) -> AsyncIterator[Sync]:
    """Sync.run as a task for the block's duration."""
    task = asyncio.create_task(sync.run())
    try:
        yield sync
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def make_sync(journal: Journal, library: LibraryThread, config: SyncConfig = FAST,
              seen: list[SyncStatus] | None = None, **options: Any) -> Sync:
    """A Sync of the test machine, recording every status it reports into `seen`."""
    return Sync(journal, library, config, MACHINE,
                None if seen is None else seen.append, **options)


def drained(sync: Sync) -> bool:
    """Nothing left to deliver."""
    return sync.status.backlog == 0


def count_requests(admin: Admin) -> None:
    """Make the emulator count kiosk-facing HTTP requests (a zero-latency fault on each)."""
    admin.fault("http", "latency", seconds=0)


def requests_seen(admin: Admin) -> int:
    """Kiosk-facing HTTP requests since count_requests."""
    return admin.call("GET", "/admin/faults")["http"]["hits"]


def clear_faults(admin: Admin) -> None:
    """The library answers normally again."""
    admin.call("DELETE", "/admin/faults")


def loans(admin: Admin, item_id: str) -> list[tuple[str, bool]]:
    """(patron, returned) of every loan the library recorded of a copy, in order."""
    return [(loan["patron"], loan["returned_at"] is not None)
            for loan in admin.item(item_id)["loans"]]


def transactions(admin: Admin) -> list[dict[str, Any]]:
    """Every transaction the library recorded, oldest first."""
    return list(reversed(admin.call("GET", "/admin/transactions?limit=1000")))


def outbox_row(journal: Journal, event_id: str) -> dict[str, Any]:
    """The journal's delivery record of one event."""
    return next(journal.db.query("SELECT * FROM outbox WHERE uuid = ?", (event_id,)))
