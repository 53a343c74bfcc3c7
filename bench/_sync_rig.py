"""What the sync benchmarks share: a library emulator, an offline backlog, a catch-up, a tally.

The backlog is lending at a given rate, journaled offline: each loan (vend started, fetched,
presented, taken) to one of many patrons, returned hours later (return started, identified,
store started, shelved) before the copy is lent again; two outbox events per loan.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from kiosk.config import SyncConfig
from kiosk.connectors import (
    HttpConnector, HttpConnectorConfig, Sip2Connector, Sip2ConnectorConfig,
)
from kiosk.devices import Library
from kiosk.journal import (
    Event, ItemStocked, Journal, Payload, ReturnIdentified, ReturnShelved, ReturnStarted,
    StoreStarted, VendFetched, VendPresented, VendStarted, VendTaken,
)
from kiosk.sync import Sync, SyncStatus
from sim.collection import OWNER_ISIL, DemoBook, demo_collection
from sim.library import DEMO_TOKEN, LibrarySim, demo, world
from sim.library.sip2_profiles import DEFAULT_PROFILE

MACHINE = "kiosk-1"
TIMEOUT = 600.0  # seconds a catch-up may take before the bench gives up
PATRON_BASE = 222_000_000_000  # member numbers of the bench's patrons (12 digits)


@dataclass(frozen=True)
class Lending:
    """Offline lending at one kiosk: `loans` over `days`, round-robin over its copies."""

    loans: int
    days: float
    books: int
    seed: int = 13
    item_prefix: str = ""  # "" : the demo collection's barcodes; else the fleet's own
    patron_offset: int = 0  # its patrons are member_number(patron_offset + n)

    @property
    def events(self) -> int:
        """Outbox events: each loan and its return."""
        return 2 * self.loans

    @property
    def patrons(self) -> int:
        """Patrons enough that none holds the machine's loan limit (2) when lending again: a
        copy comes back within 0.9 of its cycle, so a patron's cycle of half of it suffices."""
        return self.books // 2 + 1

    def copies(self) -> list[DemoBook]:
        """The kiosk's copies (the demo collection's, or renamed with the prefix)."""
        books = demo_collection(self.books)
        if not self.item_prefix:
            return books
        return [DemoBook(f"{self.item_prefix}{n:05d}", b.uid, b.slot, b.title)
                for n, b in enumerate(books, start=1)]


def member_number(n: int) -> str:
    """The nth bench patron's member number."""
    return str(PATRON_BASE + n)


class Emulator:
    """A fresh library emulator on a background loop (as the simulator runs it)."""

    def __init__(self, root: Path, transport: str = "http", sip2_profile: str = DEFAULT_PROFILE,
                 machines: Sequence[tuple[str, Lending]] = (),
                 sim_class: type[LibrarySim] = LibrarySim) -> None:
        self.db_path = root / "library.sqlite"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = sim_class(self.db_path, machine_id=machines[0][0] if machines else MACHINE,
                             sip2_profile=sip2_profile)
        for machine_id, lending in machines:
            stock(self.sim, machine_id, lending.copies())
            add_patrons(self.sim, lending)
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


def http_library(emulator: Emulator, root: Path, machine_id: str = MACHINE) -> Library:
    """The kiosk's library thread with the HttpConnector to the emulator."""
    token = root / f"token-{machine_id}"
    token.write_text(DEMO_TOKEN + "\n")
    return Library(HttpConnector(HttpConnectorConfig(emulator.url, machine_id, str(token))))


def sip2_connector(emulator: Emulator, root: Path, machine_id: str = MACHINE) -> Sip2Connector:
    """The Sip2Connector to the emulator's ACS."""
    endpoint = emulator.sim.endpoint()
    login = root / f"sip2-login-{machine_id}"
    login.write_text(f"{machine_id}:{DEMO_TOKEN}\n")
    return Sip2Connector(Sip2ConnectorConfig(
        str(endpoint["sip2_host"]), int(str(endpoint["sip2_port"])), machine_id,
        institution_id=OWNER_ISIL, credentials_file=str(login)))


def stock(sim: LibrarySim, machine_id: str, books: Sequence[DemoBook]) -> None:
    """Register the machine at the owner library and home its copies there (before start)."""
    lib = sim.library
    with lib.atomic():
        world.ensure_machine(lib, machine_id, OWNER_ISIL)
    demo.load_demo(lib, list(books), machine_id)


def add_patrons(sim: LibrarySim, lending: Lending) -> None:
    """The lending's patrons: members of the owner library in good standing (before start)."""
    with sim.library.atomic():
        for n in range(lending.patron_offset, lending.patron_offset + lending.patrons):
            number = member_number(n)
            if sim.library.one("SELECT 1 FROM patrons WHERE member_number = ?", number) is None:
                world.create_patron(sim.library, {"member_number": number,
                                                  "name": f"Patron {n}",
                                                  "home_library": OWNER_ISIL})


def journal_backlog(journal: Journal, lending: Lending, end: datetime) -> None:
    """Stock the copies, then the loans and returns of `lending` in the days before `end`."""
    books = lending.copies()
    start = end - timedelta(days=lending.days)
    stocked = [(start, _uid(), ItemStocked(b.item_id, b.uid.hex().upper(), b.title.title, n))
               for n, b in enumerate(books)]
    journal.restore(Event(0, event_id, payload.kind, at, payload)
                    for at, event_id, payload in stocked + _circulation(lending, books, start,
                                                                        end))


def _circulation(lending: Lending, books: Sequence[DemoBook], start: datetime,
                 end: datetime) -> list[tuple[datetime, str, Payload]]:
    """Every loan's four events and its return's four, in time order, each group at one
    moment (its events at least 1 µs apart)."""
    rng = random.Random(lending.seed)
    step = (end - start) / (lending.loans + 1)
    cycle = step * len(books)  # a copy is lent again after this long
    groups = []
    for n in range(lending.loans):
        lent = start + (n + 1) * step
        book, slot = books[n % len(books)], n % len(books)
        patron = member_number(lending.patron_offset + n % lending.patrons)
        longest = min(0.9 * cycle, end - lent - step / 2)
        back = lent + min(longest, max(step / 4, rng.uniform(0.1, 0.9) * cycle))
        groups.append((lent, 2 * n, _loan(book.item_id, slot, patron, lent)))
        groups.append((back, 2 * n + 1, _return(book.item_id, slot)))
    groups.sort(key=lambda g: g[:2])
    timeline, last = [], start
    for at, _, group in groups:
        for event_id, payload in group:
            last = max(at, last + timedelta(microseconds=1))  # time order, as appended
            timeline.append((last, event_id, payload))
    return timeline


def _loan(item_id: str, slot: int, patron: str, at: datetime) -> list[tuple[str, Payload]]:
    due = (at + timedelta(days=15)).date()
    return [(_uid(), VendStarted(item_id, slot, patron, "S1", 1)), (_uid(), VendFetched(item_id)),
            (_uid(), VendPresented(item_id)),
            (_uid(), VendTaken(item_id, patron, due, offline=True))]


def _return(item_id: str, slot: int) -> list[tuple[str, Payload]]:
    intent = _uid()
    return [(intent, ReturnStarted("S2", 2)), (_uid(), ReturnIdentified(intent, item_id, 0)),
            (_uid(), StoreStarted(item_id, slot, 3)), (_uid(), ReturnShelved(item_id))]


def _uid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Drained:
    """How long a catch-up took: until the worker rested (its anonymising pass after the last
    delivery included), until the backlog was down, and until it first fell to a mark."""

    seconds: float
    delivered: float
    to_mark: float | None = None


async def catch_up(journal: Journal, library: Library, config: SyncConfig, machine_id: str,
                   stop_at: int = 0, mark: int | None = None) -> Drained:
    """Run Sync until the backlog is down to `stop_at` events (0: all delivered) and the
    worker's step is over; also note when the backlog first fell to `mark`."""
    done = asyncio.Event()
    started = time.perf_counter()
    seen: dict[str, float] = {}

    def changed(status: SyncStatus) -> None:
        if mark is not None and status.backlog <= mark:
            seen.setdefault("mark", time.perf_counter() - started)
        if status.backlog <= stop_at:
            seen.setdefault("delivered", time.perf_counter() - started)
            gate.closed = True
            done.set()

    gate = _Gate(library)
    sync = Sync(journal, gate, config, machine_id, changed)
    task = asyncio.create_task(sync.run())
    waiter = asyncio.create_task(done.wait())
    try:
        await _first_of(waiter, task)
        seconds = time.perf_counter() - started
    finally:
        for pending in (task, waiter):
            pending.cancel()
        await asyncio.gather(task, waiter, return_exceptions=True)
    if sync.status.conflicts or sync.status.backlog > stop_at:
        raise RuntimeError(f"catch-up incomplete: {sync.status}")
    return Drained(seconds, seen["delivered"], seen.get("mark"))


async def _first_of(waiter: asyncio.Task[Any], worker: asyncio.Task[Any]) -> None:
    """Wait for the waiter; a worker that ends first (the controller would restart it, this
    bench has no supervisor) fails the run at once with its error instead of after TIMEOUT."""
    finished, _ = await asyncio.wait({waiter, worker}, timeout=TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
    if not finished:
        raise TimeoutError(f"catch-up not done in {TIMEOUT} s")
    if waiter not in finished:
        worker.result()
        raise RuntimeError("Sync's worker stopped before the catch-up was done")


class _Gate:
    """The library as Sync sees it, closed once the run has delivered what it measures: a call
    after that waits to be cancelled, so that no event is left in flight when it stops."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.closed = False

    async def call(self, method: str, *args: Any) -> Any:
        """The library's call, unless closed."""
        if self.closed:
            await asyncio.Event().wait()
        return await self.library.call(method, *args)


@dataclass(frozen=True)
class Tally:
    """The library's record against the journals': what was lost, invented or doubled."""

    delivered: int  # outbox events the journals hold delivered
    recorded: int  # of the journals' events, those the library has a transaction of
    missing: int  # delivered per the journal, unknown to the library
    invented: int  # transactions of these machines that no journal event explains
    loans: int  # the library's loans lent by these machines
    returned: int
    doubled: int  # loans or returns beyond the journals' delivered ones (per copy)
    lacking: int  # journal loans or returns the library has not (per copy)

    @property
    def exactly_once(self) -> bool:
        """Every delivered event recorded once, nothing else."""
        return not (self.missing or self.invented or self.doubled or self.lacking)


def tally(library_db: Path, journals: dict[str, Path], by_transaction: bool = True) -> Tally:
    """Compare the library's transactions and loans with each machine's journal (not by
    transaction: SIP2 without XT leaves the library no transaction ids, only its loans)."""
    library = sqlite3.connect(f"file:{library_db}?mode=ro", uri=True)
    try:
        parts = [_machine_tally(library, machine_id, path, by_transaction)
                 for machine_id, path in journals.items()]
    finally:
        library.close()
    return Tally(*(sum(p[i] for p in parts) for i in range(8)))


def _machine_tally(library: sqlite3.Connection, machine_id: str, journal_path: Path,
                   by_transaction: bool) -> tuple[int, ...]:
    journal = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True)
    try:
        rows = journal.execute("SELECT uuid, item_id, kind, delivered_at IS NOT NULL "
                               "FROM outbox").fetchall()
    finally:
        journal.close()
    delivered = {r[0] for r in rows if r[3]}
    known = {r[0] for r in rows}
    seen = {r[0] for r in library.execute(
        "SELECT transaction_id FROM transactions WHERE machine_id = ?", (machine_id,))}
    if not by_transaction:
        seen = delivered
    lent = Counter(r[1] for r in rows if r[3] and r[2] == "vend_taken")
    back = Counter(r[1] for r in rows if r[3] and r[2] == "return_identified")
    loans = library.execute("SELECT item_id, returned_at IS NOT NULL FROM loans "
                            "WHERE machine_id = ?", (machine_id,)).fetchall()
    lib_lent = Counter(item for item, _ in loans)
    lib_back = Counter(item for item, returned in loans if returned)
    doubled = sum(((lib_lent - lent) + (lib_back - back)).values())
    lacking = sum(((lent - lib_lent) + (back - lib_back)).values())
    return (len(delivered), len(delivered & seen), len(delivered - seen), len(seen - known),
            len(loans), sum(lib_back.values()), doubled, lacking)
