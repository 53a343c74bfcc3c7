"""The simulator's reader faults: several tags in an antenna's field (books pushed into the
return port together, or an injected COLLISION), and the card reader's link to pcscd cut."""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from drivers.carousel import Carousel, CarouselJammed, Command, FaultCode, Result
from drivers.config import build_config
from drivers.rfid import Antenna, Collision, RfidConfig, RfidReader
from sim import store
from sim.pcsc_link import PcscLink
from sim.rfid_device import RfidSim
from sim.world import Place, PlaceKind, World, WorldError, make_book
from test_carousel_support import (
    PlcRig,
    drive,
    homed,
    rig,  # noqa: F401  (fixture)
    uid_of,
)

RETURN = Place(PlaceKind.RETURN_PORT)
OPENING = Place(PlaceKind.RETURN_OPENING)
OUT = Place(PlaceKind.OUT)
FIRST, SECOND, PICKED = "EM00000101", "EM00000102", "EM00000103"


def book(item_id: str):
    return make_book(uid_of(item_id), item_id)


@pytest.fixture
def world(sim_loop):
    world = World()
    sim_loop.call(world.add, book(PICKED), Place(PlaceKind.PICKUP_PORT))
    return world


@pytest.fixture
def reader(sim_loop, world):
    device = RfidSim(world)
    path = sim_loop.call(device.start)
    reader = RfidReader(build_config(RfidConfig, {"port": path, "retries": 2}, "rfid"))
    reader.open()
    yield reader, device
    reader.close()
    sim_loop.call(device.stop)


def uids(reader: RfidReader, antenna: Antenna) -> list[str]:
    return sorted(tag.uid.hex().upper() for tag in reader.inventory(int(antenna)))


# -- several tags in the return antenna's field --------------------------------------
def test_books_pushed_in_together_lie_as_a_stack_with_every_tag_in_the_field(sim_loop, world,
                                                                             reader):
    rfid, _ = reader
    sim_loop.call(world.add, book(FIRST), RETURN)
    sim_loop.call(lambda: world.add(book(SECOND), RETURN, stacked=True))
    assert uids(rfid, Antenna.RETURN) == sorted(uid_of(i).hex().upper() for i in (FIRST, SECOND))
    snapshot = sim_loop.call(world.snapshot)
    assert snapshot["return_port"]["item_id"] == FIRST
    assert [e["item_id"] for e in snapshot["stacked"]["return_port"]] == [SECOND]
    with pytest.raises(WorldError):  # only a patron's push stacks books; a move into a taken
        sim_loop.call(lambda: world.add(book("EM00000104"), RETURN))  # port is refused


def test_a_stack_moves_whole_and_every_book_stays_in_one_place(sim_loop, world):
    sim_loop.call(world.add, book(FIRST), RETURN)
    sim_loop.call(lambda: world.add(book(SECOND), RETURN, stacked=True))
    moved = sim_loop.call(world.move_stack, RETURN, OPENING)
    assert [b.item_id for b in moved] == [FIRST, SECOND]
    assert sim_loop.call(world.books_at, RETURN) == []
    assert [b.item_id for b in sim_loop.call(world.books_at, OPENING)] == [FIRST, SECOND]
    sim_loop.call(world.move_stack, OPENING, OUT)
    assert {sim_loop.call(world.place_of, uid_of(i)) for i in (FIRST, SECOND)} == {OUT}
    snapshot = sim_loop.call(world.snapshot)
    assert snapshot["stacked"] == {"return_port": [], "return_opening": []}
    assert {e["item_id"] for e in snapshot["out"]} == {FIRST, SECOND}


def test_taking_the_bottom_book_leaves_the_one_above_in_the_port(sim_loop, world):
    sim_loop.call(world.add, book(FIRST), RETURN)
    sim_loop.call(lambda: world.add(book(SECOND), RETURN, stacked=True))
    sim_loop.call(world.move, uid_of(FIRST), OUT)
    assert [b.item_id for b in sim_loop.call(world.books_at, RETURN)] == [SECOND]


def test_a_saved_stack_is_loaded_back(tmp_path, sim_loop, world):
    sim_loop.call(world.add, book(FIRST), RETURN)
    sim_loop.call(lambda: world.add(book(SECOND), RETURN, stacked=True))
    path = tmp_path / "world.json"
    sim_loop.call(store.save, path, world, store.Retained())
    again = World()
    store.load(path, again)
    assert {b.item_id for b in again.books_at(RETURN)} == {FIRST, SECOND}


# -- an injected collision ---------------------------------------------------------------
def test_an_injected_collision_answers_the_next_inventories_of_its_antenna(sim_loop, world,
                                                                          reader):
    rfid, device = reader
    sim_loop.call(world.add, book(FIRST), RETURN)
    sim_loop.call(device.inject_collisions, 2, int(Antenna.RETURN))
    assert uids(rfid, Antenna.PICKUP) == [uid_of(PICKED).hex().upper()]  # another antenna
    for _ in range(2):
        with pytest.raises(Collision):
            rfid.inventory(int(Antenna.RETURN))
    assert uids(rfid, Antenna.RETURN) == [uid_of(FIRST).hex().upper()]
    assert rfid.read_tag(int(Antenna.RETURN), uid_of(FIRST)).item_id == FIRST  # addressed: fine


def test_a_collision_on_any_antenna_hits_the_next_inventory_whichever_it_is(sim_loop, reader):
    rfid, device = reader
    sim_loop.call(device.inject_collisions, 1, None)
    assert device.collisions_pending == {"count": 1, "antenna": None}
    with pytest.raises(Collision):
        rfid.inventory(int(Antenna.PICKER))
    assert device.collisions_pending["count"] == 0
    assert uids(rfid, Antenna.PICKUP) == [uid_of(PICKED).hex().upper()]


# -- the PLC and a stack in the return port ------------------------------------------------
def stacked_in_port(rig: PlcRig) -> None:
    rig.call(rig.world.add, book(FIRST), RETURN)
    rig.call(lambda: rig.world.add(book(SECOND), RETURN, stacked=True))


def test_eject_pushes_a_stack_out_whole(rig):
    stacked_in_port(rig)

    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        assert (await carousel.execute(Command.EJECT_RETURN)).result is Result.OK
    drive(rig.config(), body)
    assert {rig.place(FIRST), rig.place(SECOND)} == {OPENING}


def test_a_store_of_a_stack_jams_the_picker_and_moves_nothing(rig):
    stacked_in_port(rig)

    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        with pytest.raises(CarouselJammed) as jammed:
            await carousel.execute(Command.STORE, 7)
        assert jammed.value.fault is FaultCode.PICKER_JAM
    drive(rig.config(), body)
    assert {rig.place(FIRST), rig.place(SECOND)} == {RETURN}


def test_a_divert_drops_a_stack_whole_into_the_bin(rig):
    stacked_in_port(rig)

    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        assert (await carousel.execute(Command.DIVERT_RETURN)).result is Result.OK
    drive(rig.config(), body)
    assert {rig.place(FIRST), rig.place(SECOND)} == {Place(PlaceKind.OVERFLOW_BIN)}


# -- the card reader's link ---------------------------------------------------------------
class EchoDaemon:
    """Stands in for pcscd's socket in this unit test of the link alone: echoes every byte."""

    def __init__(self, path: Path):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(connection,), daemon=True).start()

    @staticmethod
    def _echo(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(4096):
                connection.sendall(data)


def talk(path: str, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(5)
        client.connect(path)
        client.sendall(data)
        return client.recv(4096)


def test_the_card_readers_link_carries_bytes_until_cut_and_again_once_mended(sim_loop, tmp_path):
    daemon = EchoDaemon(tmp_path / "pcscd.comm")
    link = PcscLink(str(tmp_path / "pcscd.comm"))
    path = asyncio.run_coroutine_threadsafe(link.start(), sim_loop.loop).result(10)
    try:
        assert len(path) < 108 and talk(path, b"hello") == b"hello"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as held:  # a context kept open
            held.settimeout(5)
            held.connect(path)
            held.sendall(b"x")
            assert held.recv(1) == b"x"
            asyncio.run_coroutine_threadsafe(link.set_cut(True), sim_loop.loop).result(10)
            assert held.recv(1) == b""  # closed under the client: as pcscd going away
        assert link.cut
        with pytest.raises(OSError):  # no socket: a new context finds no service
            talk(path, b"again")
        asyncio.run_coroutine_threadsafe(link.set_cut(False), sim_loop.loop).result(10)
        assert not link.cut and talk(path, b"again") == b"again"
    finally:
        asyncio.run_coroutine_threadsafe(link.stop(), sim_loop.loop).result(10)
        daemon.server.close()
    assert not Path(path).exists()


def test_the_link_lies_in_the_state_dir_unless_that_path_is_too_long_for_a_socket(sim_loop):
    def started(folder: Path) -> tuple[PcscLink, str]:
        link = PcscLink("/nonexistent/pcscd.comm", folder=folder)
        return link, asyncio.run_coroutine_threadsafe(link.start(), sim_loop.loop).result(10)

    short = Path(tempfile.mkdtemp(prefix="sim-"))
    deep = short / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    try:
        for folder in (short, deep):
            link, path = started(folder)
            assert len(path) < 108 and Path(path).is_socket()
            assert (Path(path).parent == folder) == (folder == short)
            asyncio.run_coroutine_threadsafe(link.stop(), sim_loop.loop).result(10)
            assert not Path(path).exists()
            assert folder.is_dir() and (folder == short or not Path(path).parent.exists())
    finally:
        shutil.rmtree(short)
