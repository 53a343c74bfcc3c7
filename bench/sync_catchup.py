"""Sync catch-up after a week offline: batched delivery against one request per event.

Both runs deliver the same N journal events (loans and returns written over a week) through
kiosk.sync.Sync and the HttpConnector to a fresh library emulator over loopback.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

from kiosk.config import SyncConfig
from kiosk.connectors import HttpConnector, HttpConnectorConfig
from kiosk.devices import Library
from kiosk.journal import (
    Event, ItemStocked, Journal, Payload, ReturnIdentified, ReturnShelved, ReturnStarted,
    StoreStarted, VendFetched, VendPresented, VendStarted, VendTaken,
)
from kiosk.sync import Sync, SyncStatus
from sim.collection import demo_collection
from sim.library import DEMO_PATRONS, DEMO_TOKEN, LibrarySim
from sim.library.sip2_profiles import DEFAULT_PROFILE

TITLE = "Sync catch-up"
EVENTS = 2000  # outbox events: a week offline at a busy machine (~140 loans and returns a day)
BOOKS = 60
MACHINE = "kiosk-1"
PATRONS = tuple(DEMO_PATRONS[i].member_number for i in (0, 2, 8))  # good standing, no PIN
WEEK = timedelta(days=7)
TIMEOUT = 600.0


@dataclass(frozen=True)
class Run:
    """One catch-up: how it was delivered and what it took."""

    label: str
    batch_size: int
    events: int
    requests: int
    seconds: float

    @property
    def rate(self) -> float:
        """Events delivered per second."""
        return self.events / self.seconds



class Emulator:
    """A fresh library emulator on a background loop (as the simulator runs it)."""

    def __init__(self, root: Path, transport: str = "http",
                 sip2_profile: str = DEFAULT_PROFILE) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = LibrarySim(root / "library.sqlite", machine_id=MACHINE,
                              sip2_profile=sip2_profile)
        self.sim.load_demo(demo_collection(BOOKS))
        self._run(self.sim.start())
        self.url = str(self.sim.endpoint()["url"])
        self.transport = transport
        # A zero-latency fault on every kiosk-facing request: the emulator counts them.
        self._admin("POST", "/admin/faults", {"transport": transport, "kind": "latency",
                                              "seconds": 0})

    def requests_seen(self) -> int:
        """Kiosk-facing requests (HTTP, or SIP2 messages) so far."""
        return self._admin("GET", "/admin/faults")[self.transport]["hits"]

    def close(self) -> None:
        """Stop the emulator and its loop."""
        self._run(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, self.url + path, json=body, timeout=10)
        response.raise_for_status()
        return response.json()


def offline_week(journal: Journal, events: int, end: datetime) -> None:
    """Stock the copies, then `events` / 2 loans and returns spread over the week before `end`."""
    books = demo_collection(BOOKS)
    payloads: list[tuple[str, Payload]] = [
        (_uid(), ItemStocked(book.item_id, book.uid.hex().upper(), book.title.title, n))
        for n, book in enumerate(books)]
    for n in range(events // 2):
        payloads.extend(_round_trip(books[n % BOOKS].item_id, n % BOOKS,
                                    PATRONS[n % len(PATRONS)]))
    step = WEEK / len(payloads)
    start = end - WEEK
    journal.restore(Event(0, event_id, payload.kind, start + i * step, payload)
                    for i, (event_id, payload) in enumerate(payloads))


def _round_trip(item_id: str, slot: int, patron: str) -> list[tuple[str, Payload]]:
    """A loan and its return, with the uuids the return intent needs."""
    return_intent = _uid()
    return [
        (_uid(), VendStarted(item_id, slot, patron, "S1", 1)), (_uid(), VendFetched(item_id)),
        (_uid(), VendPresented(item_id)),
        (_uid(), VendTaken(item_id, patron, date(2099, 1, 1), offline=True)),
        (return_intent, ReturnStarted("S2", 2)),
        (_uid(), ReturnIdentified(return_intent, item_id, 0)),
        (_uid(), StoreStarted(item_id, slot, 3)), (_uid(), ReturnShelved(item_id)),
    ]


def _uid() -> str:
    return str(uuid.uuid4())


async def _catch_up(journal: Journal, library: Library, config: SyncConfig) -> float:
    """Seconds for Sync to deliver the whole backlog."""
    done = asyncio.Event()

    def changed(status: SyncStatus) -> None:
        if status.backlog == 0:
            done.set()

    sync = Sync(journal, library, config, MACHINE, changed)
    started = time.perf_counter()
    task = asyncio.create_task(sync.run())
    try:
        await asyncio.wait_for(done.wait(), TIMEOUT)
        seconds = time.perf_counter() - started
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if sync.status.conflicts or sync.status.backlog:
        raise RuntimeError(f"catch-up incomplete: {sync.status}")
    return seconds


def measure(label: str, batch_size: int, root: Path, events: int = EVENTS) -> Run:
    """Deliver a week's backlog to a fresh emulator with `batch_size` events per request."""
    root.mkdir()
    emulator = Emulator(root)
    token = root / "token"
    token.write_text(DEMO_TOKEN + "\n")
    connector = HttpConnector(HttpConnectorConfig(emulator.url, MACHINE, str(token)))
    library = Library(connector)
    try:
        with Journal.open(root / "journal.db", slot_count=BOOKS) as journal:
            offline_week(journal, events, datetime.now(timezone.utc))
            before = emulator.requests_seen()
            config = SyncConfig(batch_size=batch_size)
            seconds = asyncio.run(_catch_up(journal, library, config))
        return Run(label, batch_size, events, emulator.requests_seen() - before, seconds)
    finally:
        library.close()
        emulator.close()


def report(batched: Run, single: Run) -> str:
    """The markdown section: both runs side by side and their ratio."""
    rows = "\n".join(
        f"| {r.label} | {r.batch_size} | {r.requests} | {r.seconds:.2f} | {r.rate:,.0f} |"
        for r in (batched, single))
    return (
        f"{EVENTS:,} queued journal events (loans and returns of a week offline) delivered by "
        "`kiosk.sync.Sync` through the HttpConnector to a fresh library emulator over "
        "loopback, the same backlog both ways, in one run.\n\n"
        "| delivery | events per request | HTTP requests | seconds | events/s |\n"
        "|---|---:|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"**Batched / one request per event: {batched.rate / single.rate:.1f}x** "
        f"(events/s).\n\n"
        f"Run with `.venv/bin/python -m bench sync_catchup` on {_machine()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.")


def _machine() -> str:
    return (f"{platform.machine()} {os.cpu_count()} CPU, Linux {platform.release()}, "
            f"Python {sys.version.split()[0]}")


def main() -> str:
    """Measure both ways in one run; return the markdown section."""
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        batched = measure("batched (SyncConfig default)", SyncConfig().batch_size,
                          Path(tmp) / "batched")
        single = measure("one request per event", 1, Path(tmp) / "single")
    return report(batched, single)


if __name__ == "__main__":
    print(main())
