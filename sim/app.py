"""The simulator: every device on its real transport, one asyncio loop, one ground truth."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from sim import store
from sim.barcode_device import BarcodeSim
from sim.clock import SimClock
from sim.collection import CatalogRow, DemoBook, demo_collection, popularity, spare_copies
from sim.keypad import Keypad
from sim.library import LibrarySim
from sim.library.demo import panel_patrons
from sim.pcsc_link import PcscLink
from sim.plc import PlcSim
from sim.rfid_device import RfidSim
from sim.vcard import VirtualCard
from sim.world import PlaceKind, World
from sim.world_api import make_app

log = logging.getLogger(__name__)

VPCD_PORT = 35963  # vsmartcard-vpcd's first reader, "Virtual PCD 00 00"
SWITCH_OFF_GRACE = 20.0  # s of real time a motion may take to end at a clean stop
SAVE_DELAY = 0.1  # s of real time from a change to its save: a kill loses at most this much


@dataclass(frozen=True)
class SimOptions:
    """How to run the simulator."""

    state_dir: Path
    speed: float = 1.0
    empty: bool = False
    host: str = "127.0.0.1"
    modbus_port: int = 0
    world_port: int = 0
    vpcd_port: int = VPCD_PORT
    scaled_library_clock: bool = False  # the library's clock runs at `speed` too


class Simulator:
    """Owns the world and every device component; starts and stops them together."""

    def __init__(self, options: SimOptions):
        self.options = options
        options.state_dir.mkdir(parents=True, exist_ok=True)
        self.clock = SimClock(options.speed)
        self.world = World()
        self.world_file = options.state_dir / store.WORLD_FILE
        self._book_texts = store.BookTexts()
        retained = store.load(self.world_file, self.world)
        self.restored = retained is not None
        self.collection = [] if options.empty else demo_collection(geometry=self.world.geometry)
        if not self.restored:
            self.world.load(self.collection)
        self.plc = PlcSim(self.world, self.clock)
        if retained is not None:
            self.plc.power_up_from(retained)
            log.info("world restored from %s: %d books", self.world_file, len(self.world.books))
        self.rfid = RfidSim(self.world)
        self.scanner = BarcodeSim()
        self.keypad = Keypad()
        self.card = VirtualCard(host="127.0.0.1", port=options.vpcd_port)
        self.pcsc_link = PcscLink(folder=options.state_dir)  # the card reader's cable
        self.library = LibrarySim(
            options.state_dir / "library.db",
            clock_rate=options.speed if options.scaled_library_clock else 1.0)
        self.spares = spare_copies()  # the library's copies a technician may load (`new` books)
        self.library.load_demo(self.collection, self.spares)
        self.endpoints: dict = {}
        self._runner: web.AppRunner | None = None
        self._pending_save: asyncio.TimerHandle | None = None

    async def start(self) -> dict:
        """Start every component and write endpoints.json; returns the endpoints."""
        host = self.options.host
        modbus_host, modbus_port = await self.plc.start_tcp(host=host, port=self.options.modbus_port)
        rtu_path = await self.plc.start_rtu()
        rfid_path = self.rfid.start()
        barcode_path = self.scanner.start()
        pcsc_socket = await self.pcsc_link.start()
        await self.library.start(host=host)
        world_url = await self._start_world_api(host)
        self.endpoints = {
            "modbus": {"host": modbus_host, "port": modbus_port},
            "modbus_rtu": {"path": rtu_path},
            "rfid": {"path": rfid_path},
            "barcode": {"path": barcode_path},
            "card": {"reader": self.card.reader_name, "pcsc_socket": pcsc_socket},
            "world": {"url": world_url},
            "library": self.library.endpoint(),
            "speed": self.options.speed,
            "pid": os.getpid(),
        }
        self.save()
        self.world.subscribe(self._world_changed)
        write_loading_list(self.options.state_dir / "loading-list.csv", self.world, self.collection)
        write_json_atomically(self.options.state_dir / "endpoints.json", self.endpoints)
        return self.endpoints

    async def stop(self) -> None:
        """Switch off: the motion under way ends, every component stops, the world is saved."""
        (self.options.state_dir / "endpoints.json").unlink(missing_ok=True)
        await self.plc.finish_motion(SWITCH_OFF_GRACE)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.card.close()
        await self.pcsc_link.stop()
        await self.library.stop()
        self.scanner.stop()
        self.rfid.stop()
        await self.plc.stop()
        if self._pending_save is not None:
            self._pending_save.cancel()
        self.save()

    def save(self) -> None:
        """Write the world and the PLC's retentive registers to world.json now."""
        self._pending_save = None
        try:
            store.save(self.world_file, self.world, self.plc.retained(), self._book_texts)
        except OSError as exc:  # a full disk must not stop the machine; the next change retries
            log.error("cannot save the world to %s: %s", self.world_file, exc)

    def _world_changed(self) -> None:
        """Save soon after a change; a burst of changes (one motion's steps) is one write."""
        if self._pending_save is None:
            self._pending_save = asyncio.get_running_loop().call_later(SAVE_DELAY, self.save)

    def world_state(self) -> dict:
        """The ground truth, the PLC's registers, the card, armed faults and the demo patrons."""
        return {**self.world.snapshot(), "plc": self.plc.snapshot(), **self.device_state(),
                "demo_patrons": panel_patrons(), "spares": self.spares_outside()}

    def spares_outside(self) -> list[dict]:
        """The library's spare copies no one has brought to the machine yet (item id, title)."""
        inside = {book.item_id for book in self.world.books.values()
                  if self.world.place_of(book.uid).kind is not PlaceKind.OUT}
        return [{"item_id": b.item_id, "title": b.title.title} for b in self.spares
                if b.item_id not in inside]

    def device_state(self) -> dict:
        """What the world's snapshot does not hold: the card in the field, the keypad's jack and
        keys, faults still armed."""
        present = self.card.present
        return {
            "card": {"reader": self.card.reader_name,
                     "present": None if present is None else present.hex().upper(),
                     "lost": self.pcsc_link.cut},
            "keypad": self.keypad.state(),
            "faults": {"rfid_read_errors": self.rfid.read_errors_pending,
                       "rfid_collisions": self.rfid.collisions_pending,
                       "library": self.library.faults.describe()},
        }

    async def _start_world_api(self, host: str) -> str:
        self._runner = web.AppRunner(make_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, self.options.world_port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # aiohttp exposes the bound port only here
        return f"http://{host}:{port}"


LOADING_LIST_COLUMNS = ("item_id", "uid", "slot", "title", "authors", "year", "subject",
                        "popularity")


def write_loading_list(path: Path, world: World, collection: list[DemoBook]) -> None:
    """The loading list of the books in the drum now: item, tag UID, slot and catalogue facts."""
    titles = {book.item_id: book.title for book in collection}
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(LOADING_LIST_COLUMNS)
        for slot in range(world.geometry.slot_count):
            book = world.slot_book(slot)
            if book is not None:
                row = titles.get(book.item_id)
                facts = _facts(row) if row is not None and row.title == book.title else _NO_FACTS
                writer.writerow([book.item_id, book.uid_hex, slot, book.title, *facts])
    os.replace(tmp, path)


_NO_FACTS = ("", "", "", "")  # a copy this collection does not describe (a world from before)


def _facts(row: CatalogRow) -> tuple[str, str, str, str]:
    """Authors, year, KDC subject and popularity (0..1) of a catalogue title, as CSV text."""
    year = "" if row.year is None else str(row.year)
    return row.authors, year, row.subject, f"{popularity(row):.3f}"


def write_json_atomically(path: Path, data: dict) -> None:
    """Write JSON so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
