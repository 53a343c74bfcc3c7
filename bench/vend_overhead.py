"""Controller overhead per vend next to the mechanics: real controller on kiosk-sim, scaled."""

from __future__ import annotations

import csv
import http.client
import json
import os
import platform
import random
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from drivers.carousel.config import CarouselConfig
from drivers.carousel.geometry import REFERENCE_GEOMETRY, REFERENCE_TIMING, Geometry, Timing
from kiosk.planner import Position, fetch_seconds
from sim.collection import demo_collection

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from conftest import SimHandle, start_sim  # noqa: E402  (the machine the end-to-end tests run)
from kiosk_rig import CONFIG, DEMO_TOKEN, KioskRig  # noqa: E402

TITLE = "Vend overhead"
SPEED = 10.0
MEMBERS = ("111001000001", "111002000003", "111001000009")  # good standing, no PIN, 2 loans each
BOOKS_PER_SESSION = 2
SEED = 7
WAIT = 30.0


@dataclass(frozen=True)
class Vend:
    """One book: real seconds from its trigger to the open door, and the model's seconds."""

    item_id: str
    slot: int
    after_take: bool  # from the previous book's take (close, fetch, open), else from confirm
    measured: float  # real seconds
    mechanics: float  # reference (1x) seconds of the same motions


@dataclass(frozen=True)
class Overhead:
    """Every vend of a run at `speed`, and what they add up to."""

    speed: float
    vends: tuple[Vend, ...]

    @property
    def measured(self) -> float:
        """Real seconds of every vend."""
        return sum(v.measured for v in self.vends)

    @property
    def mechanics(self) -> float:
        """Real seconds the motions take at this speed (reference seconds / speed)."""
        return sum(v.mechanics for v in self.vends) / self.speed

    @property
    def per_vend(self) -> float:
        """Controller overhead per vend, real seconds (measured - mechanics)."""
        return (self.measured - self.mechanics) / len(self.vends)

    @property
    def ratio(self) -> float:
        """Measured / mechanics at this speed."""
        return self.measured / self.mechanics

    @property
    def ratio_at_1x(self) -> float:
        """Measured / mechanics at speed 1, the overhead taken as real time that does not scale."""
        reference = self.mechanics * self.speed
        return (reference + self.per_vend * len(self.vends)) / reference


def segment_seconds(start: Position, slots: Sequence[int], geometry: Geometry = REFERENCE_GEOMETRY,
                    timing: Timing = REFERENCE_TIMING) -> list[float]:
    """Model seconds per book: [close the door,] FETCH from where the picker is, open the door."""
    seconds, at = [], start
    for n, slot in enumerate(slots):
        fetch, at = fetch_seconds(at, slot, geometry, timing)
        seconds.append((timing.door if n else 0.0) + fetch + timing.door)
    return seconds


class StateFeed:
    """The patron API's server-sent snapshots, each stamped with perf_counter on arrival."""

    def __init__(self, ui_url: str) -> None:
        url = urlsplit(ui_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port)
        self.conn.request("GET", "/api/events", headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.seen: list[tuple[float, dict]] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for line in iter(self.response.readline, b""):
                if line.startswith(b"data: "):
                    snapshot = json.loads(line[6:])
                    with self.changed:
                        self.seen.append((time.perf_counter(), snapshot))
                        self.changed.notify_all()
        except Exception:  # noqa: BLE001  closed under the reader (http.client fails variously)
            pass

    def mark(self) -> int:
        """A cursor: wait() after it looks only at snapshots that come later."""
        with self.changed:
            return len(self.seen)

    def wait(self, cursor: int, test: Callable[[dict], bool], timeout: float = WAIT) -> float:
        """Arrival time of the first snapshot after `cursor` that passes `test`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for stamp, snapshot in self.seen[cursor:]:
                    if test(snapshot):
                        return stamp
                    if snapshot["state"] == "out_of_service":
                        raise RuntimeError(f"the kiosk went out of service: {snapshot['fault']}")
                cursor = len(self.seen)
                if not self.changed.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"no such state within {timeout} s: last {self.seen[-1:]}")

    def close(self) -> None:
        """Stop reading."""
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):  # already closed
            pass
        self.thread.join(5)
        self.conn.close()


def door_open(item_id: str) -> Callable[[dict], bool]:
    """The test for: this book is presented, its door open (published right after OPEN_PICKUP)."""
    wanted = {"step": "take_your_book", "item_id": item_id}
    return lambda snapshot: snapshot.get("progress") == wanted


def choose_books(count: int, seed: int = SEED) -> list[str]:
    """`count` distinct demo copies, picked by popularity (ratings_count)."""
    rng, books = random.Random(seed), demo_collection()
    weights = [max(b.title.ratings_count, 1) for b in books]
    chosen: list[str] = []
    while len(chosen) < count:
        item_id = rng.choices(books, weights)[0].item_id
        if item_id not in chosen:
            chosen.append(item_id)
    return chosen


def lend(rig: KioskRig, feed: StateFeed, member: str, items: Sequence[str]) -> list[Vend]:
    """One session: scan the member code, confirm the cart, take each book as its door opens."""
    rig.sim.world_post("/barcode/scan", {"data": member, "symbology": "]Q1"})
    rig.wait_state("browsing")
    for item_id in items:
        rig.api("/api/cart/add", {"item_id": item_id})
    world = rig.sim.world_get()  # the ground truth: where the picker and the books are
    start = (world["plc"]["level"], world["plc"]["position"])
    cursor, began = feed.mark(), time.perf_counter()
    order = rig.api("/api/cart/confirm")["result"]["order"]
    home = {book["item_id"]: int(slot) for slot, book in world["slots"].items()}
    slots = [home[item_id] for item_id in order]
    vends = []
    for n, (item_id, model) in enumerate(zip(order, segment_seconds(start, slots))):
        opened = feed.wait(cursor, door_open(item_id))
        vends.append(Vend(item_id, slots[n], n > 0, opened - began, model))
        cursor = feed.mark()
        rig.sim.world_post("/pickup/take")
        began = time.perf_counter()
    rig.wait_state(lambda s: s["state"] == "browsing" and not s["progress"])
    rig.api("/api/session/end")
    rig.wait_state("ready")
    return vends


def release_feed(rig: KioskRig) -> None:
    """Make the kiosk publish once, so its SSE handler sees the closed feed and ends."""
    # Otherwise the handler waits for its next keep-alive, and SIGTERM waits for the handler.
    before = rig.state()["identifications"]
    rig.sim.world_post("/barcode/scan", {"data": "000000000000", "symbology": "]Q1"})
    rig.wait_state(lambda s: s["identifications"] > before and s["state"] == "ready")


def kiosk_rig(sim: SimHandle, directory: Path) -> KioskRig:
    """The controller's config and rig as tests/kiosk_rig.make_rig writes them (not started)."""
    directory.mkdir(parents=True)
    (directory / "token").write_text(DEMO_TOKEN)
    config = directory / "kiosk.toml"
    config.write_text(CONFIG.format(endpoints=sim.state_dir / "endpoints.json",
                                    policy="always_open = true", pickup_timeout=10.0))
    return KioskRig(sim=sim, directory=directory, config_path=config)


def measure(root: Path, members: Sequence[str] = MEMBERS, per_session: int = BOOKS_PER_SESSION,
            speed: float = SPEED, seed: int = SEED) -> Overhead:
    """Start kiosk-sim and `kiosk run` as the end-to-end tests do; lend per_session books each."""
    books = choose_books(len(members) * per_session, seed)
    sim = start_sim(root / "sim", "--speed", f"{speed:g}")
    rig = kiosk_rig(sim, root / "kiosk")
    try:
        rig.start(wait_ready=False)
        rig.wait_state("ready")
        with (sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
            rig.control("stock", {"items": list(csv.DictReader(f))})
        feed = StateFeed(rig.ui_url)
        try:
            vends = [vend for n, member in enumerate(members) for vend in
                     lend(rig, feed, member, books[n * per_session:(n + 1) * per_session])]
        finally:
            feed.close()
        release_feed(rig)
    finally:
        rig.stop()
        sim.stop()
    return Overhead(speed, tuple(vends))


def report(run: Overhead) -> str:
    """The markdown section."""
    speed = run.speed
    rows = "\n".join(
        f"| {v.item_id} | {v.slot} | {'take → open' if v.after_take else 'confirm → open'} | "
        f"{1000 * v.measured:.0f} | {1000 * v.mechanics / speed:.0f} | "
        f"{1000 * (v.measured - v.mechanics / speed):.0f} |" for v in run.vends)
    return (
        f"The real controller (`kiosk run`) on `kiosk-sim --speed {speed:g}`, started as "
        f"tests/kiosk_rig.py does; {len(run.vends)} vends, {len(MEMBERS)} sessions of "
        f"{BOOKS_PER_SESSION} popularity-picked books (member QR code, cart, confirm), each "
        "book taken through the world API as soon as its door opens. Measured: wall time from "
        "the cart confirm (first book) or from the world's answer to the previous take (later "
        "books: take detected, door closed, next FETCH) to the patron API's server-sent "
        "snapshot of the open door. Mechanics: the planner's timing model for those exact "
        f"moves (`fetch_seconds` from the picker's position + door times) / {speed:g}.\n\n"
        "| item | slot | segment | measured ms | mechanics ms | overhead ms |\n"
        "|---|---:|---|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"**Overhead per vend: {1000 * run.per_vend:.0f} ms** (measured {run.measured:.2f} s, "
        f"mechanics {run.mechanics:.2f} s); **measured / mechanics: {run.ratio:.2f}x at "
        f"{speed:g}x speed, {run.ratio_at_1x:.3f}x scaled back to the real machine** (the "
        "overhead is real time that does not shrink with the simulator's speed: status "
        f"polling every {1000 * CarouselConfig.poll_interval:.0f} ms per PLC command and for "
        "the take, the tag read and AFI write over the RFID line, journal commits, HTTP).\n\n"
        f"Run with `.venv/bin/python -m bench vend_overhead` (seed {SEED}) on {_machine()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.")


def _machine() -> str:
    return (f"{platform.machine()} {os.cpu_count()} CPU, Linux {platform.release()}, "
            f"Python {sys.version.split()[0]}")


def main() -> str:
    """Run the machine once; return the markdown section."""
    with tempfile.TemporaryDirectory(prefix="bench-vend-") as tmp:
        return report(measure(Path(tmp)))


if __name__ == "__main__":
    print(main())
