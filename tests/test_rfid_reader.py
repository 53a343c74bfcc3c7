"""The RFID driver against the simulated reader over a real pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import random
import select
import struct
import termios
import threading
import time
import tty

import pytest

from drivers.config import build_config
from drivers.errors import DeviceTimeout, DeviceUnavailable, DriverConfigError
from drivers.rfid import (AFI_ON_LOAN, AFI_SECURED, AfiNotSet, Antenna, BadAntenna, NoTag,
                          RfidConfig, RfidReader, TagData, TagError, TagInfo, Usage, encode_tag)
from drivers.rfid.frames import Command, Frame, FrameDecoder, Status, encode_frame
from drivers.rfid.messages import encode_inventory
from sim.rfid_device import RfidSim
from sim.world import Place, PlaceKind, World, make_book

SLOT = 123
BOOKS = {  # uid -> (item id, place)
    bytes.fromhex("E004015000000001"): ("EM00000001", Place(PlaceKind.PICKUP_PORT)),
    bytes.fromhex("E004015000000002"): ("EM00000002", Place(PlaceKind.RETURN_PORT)),
    bytes.fromhex("E004015000000003"): ("EM00000003", Place(PlaceKind.PICKER)),
    bytes.fromhex("E004015000000004"): ("EM00000004", Place(PlaceKind.SLOT, SLOT)),
    bytes.fromhex("E004015000000005"): ("EM00000005", Place(PlaceKind.SLOT, SLOT + 1)),
}
PICKUP_UID, RETURN_UID, PICKER_UID, FACED_UID, OTHER_UID = BOOKS


@pytest.fixture
def world(sim_loop):
    world = World()
    for uid, (item_id, place) in BOOKS.items():
        sim_loop.call(world.add, make_book(uid, item_id), place)
    world.picker_facing = SLOT
    return world


@pytest.fixture
def rfid(sim_loop, world):
    device = RfidSim(world)
    path = sim_loop.call(device.start)
    device.path = path
    yield device
    sim_loop.call(device.stop)


def make_reader(port: str, **values) -> RfidReader:
    return RfidReader(build_config(RfidConfig, {"port": port, **values}, "rfid"))


@pytest.fixture
def reader(rfid):
    with make_reader(rfid.path, response_timeout=2.0, retries=2) as reader:
        yield reader


def test_reader_info_reports_three_antennas(reader):
    assert reader.reader_info().antenna_count == 3


@pytest.mark.parametrize("antenna, uids", [
    (Antenna.PICKUP, {PICKUP_UID}),
    (Antenna.RETURN, {RETURN_UID}),
    (Antenna.PICKER, {PICKER_UID, FACED_UID}),  # the book on the picker and the slot it faces
])
def test_inventory_lists_the_tags_in_each_antennas_field(reader, antenna, uids):
    tags = reader.inventory(antenna)
    assert {t.uid for t in tags} == uids
    assert all(t.afi == AFI_SECURED for t in tags)


def test_inventory_of_an_empty_field_is_empty(reader, sim_loop, world):
    sim_loop.call(world.move, RETURN_UID, Place(PlaceKind.OUT))
    assert reader.inventory(Antenna.RETURN) == []


@pytest.mark.parametrize("antenna, uid", [
    (Antenna.PICKUP, PICKUP_UID), (Antenna.RETURN, RETURN_UID),
    (Antenna.PICKER, PICKER_UID), (Antenna.PICKER, FACED_UID),
])
def test_read_tag_decodes_the_book_at_each_antenna(reader, antenna, uid):
    tag = reader.read_tag(antenna, uid)
    assert tag.item_id == BOOKS[uid][0]
    assert (tag.usage, tag.parts, tag.part) == (Usage.CIRCULATING, 1, 1)


def test_write_blocks_then_read_back_changes_the_tag(reader, sim_loop, world):
    new = TagData(usage=Usage.NOT_FOR_LOAN, parts=2, part=2, item_id="REF-0042", country="KR", isil="111002")
    reader.write_blocks(Antenna.RETURN, RETURN_UID, 0, encode_tag(new))
    assert reader.read_tag(Antenna.RETURN, RETURN_UID) == new
    assert sim_loop.call(lambda: bytes(world.books[RETURN_UID].memory)) == encode_tag(new)


def test_write_blocks_at_an_offset_changes_only_those_blocks(reader):
    before = reader.read_blocks(Antenna.PICKUP, PICKUP_UID, 0, 8)
    reader.write_blocks(Antenna.PICKUP, PICKUP_UID, 6, b"ABCDEFGH")
    assert reader.read_blocks(Antenna.PICKUP, PICKUP_UID, 0, 8) == before[:24] + b"ABCDEFGH"


@pytest.mark.parametrize("antenna, uid", [(Antenna.PICKUP, PICKUP_UID), (Antenna.PICKER, FACED_UID)])
def test_set_afi_verified_changes_the_world_and_inventory(reader, sim_loop, world, antenna, uid):
    version = sim_loop.call(lambda: world.version)
    reader.set_afi_verified(antenna, uid, AFI_ON_LOAN)
    assert sim_loop.call(lambda: world.version) > version  # listeners were told
    assert sim_loop.call(lambda: world.books[uid].afi) == AFI_ON_LOAN
    assert TagInfo(uid, 0, AFI_ON_LOAN) in reader.inventory(antenna)
    reader.write_afi(antenna, uid, AFI_SECURED)
    assert reader.system_info(antenna, uid).afi == AFI_SECURED


def test_system_info_reports_the_tag_memory(reader):
    info = reader.system_info(Antenna.RETURN, RETURN_UID)
    assert (info.afi, info.block_count, info.block_size) == (AFI_SECURED, 8, 4)


def test_set_afi_verified_raises_when_the_afi_does_not_stick(reader, sim_loop, world):
    def locked_tag():  # an AFI-locked tag: the write "succeeds" but nothing changes
        world.books[RETURN_UID].afi = AFI_SECURED
    sim_loop.call(world.subscribe, locked_tag)
    with pytest.raises(AfiNotSet) as caught:
        reader.set_afi_verified(Antenna.RETURN, RETURN_UID, AFI_ON_LOAN)
    assert (caught.value.expected, caught.value.actual) == (AFI_ON_LOAN, AFI_SECURED)


@pytest.mark.parametrize("antenna, uid", [
    (Antenna.PICKUP, RETURN_UID),  # the book is elsewhere
    (Antenna.PICKER, OTHER_UID),  # in a slot the picker does not face
])
def test_a_tag_outside_the_field_is_no_tag(reader, antenna, uid):
    with pytest.raises(NoTag):
        reader.read_tag(antenna, uid)
    with pytest.raises(NoTag):
        reader.write_afi(antenna, uid, AFI_ON_LOAN)


def test_an_antenna_the_reader_lacks_is_bad_antenna(reader):
    with pytest.raises(BadAntenna):
        reader.inventory(3)
    with pytest.raises(BadAntenna):
        reader.system_info(7, PICKUP_UID)


def test_injected_tag_errors_are_retried_until_success(reader, rfid, sim_loop):
    sim_loop.call(rfid.inject_read_errors, 2)  # the config allows 2 retries
    assert reader.read_tag(Antenna.RETURN, RETURN_UID).item_id == BOOKS[RETURN_UID][0]


def test_more_tag_errors_than_retries_raise_tag_error_then_recover(reader, rfid, sim_loop):
    sim_loop.call(rfid.inject_read_errors, 3)
    with pytest.raises(TagError):
        reader.inventory(Antenna.PICKUP)
    assert [t.uid for t in reader.inventory(Antenna.PICKUP)] == [PICKUP_UID]


def test_reading_past_the_tag_memory_is_a_tag_error(reader):
    with pytest.raises(TagError):
        reader.read_blocks(Antenna.PICKUP, PICKUP_UID, 6, 3)


GARBAGE = [
    bytes(random.Random(7).randrange(256) for _ in range(200)),
    b"\xaa",  # a lone SOF
    b"\xaa\xff\x01\x00",  # a frame header announcing 255 bytes that never come
    encode_frame(Command.INVENTORY, b"\x00\x00")[:-1] + b"\x00",  # a damaged answer
    encode_frame(0x77, b"hello"),  # a well-formed frame nobody asked for
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=["random", "sof", "long-header", "bad-crc", "unsolicited"])
def test_garbage_on_the_line_before_an_answer_is_skipped(reader, rfid, sim_loop, garbage):
    sim_loop.call(rfid.inject_garbage, garbage)
    assert [t.uid for t in reader.inventory(Antenna.RETURN)] == [RETURN_UID]
    assert reader.read_tag(Antenna.RETURN, RETURN_UID).item_id == BOOKS[RETURN_UID][0]


def test_a_port_that_does_not_exist_is_unavailable(tmp_path):
    with pytest.raises(DeviceUnavailable):
        make_reader(str(tmp_path / "no-such-tty")).open()


def test_a_reader_that_vanishes_is_unavailable(reader, rfid, sim_loop):
    sim_loop.call(rfid.stop)
    with pytest.raises(DeviceUnavailable):
        reader.inventory(Antenna.RETURN)
    with pytest.raises(DeviceUnavailable):
        reader.reader_info()  # the driver closed the dead port


def test_calls_before_open_are_unavailable(rfid):
    with pytest.raises(DeviceUnavailable):
        make_reader(rfid.path).inventory(Antenna.PICKUP)


def bytes_waiting(fd: int) -> int:
    """Bytes in a tty's input queue (shared by every descriptor of the slave)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached")
        time.sleep(0.01)


def test_a_silent_reader_times_out_and_its_late_answer_is_not_taken_for_the_next(tmp_path):
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        with make_reader(os.ttyname(slave), response_timeout=0.1, retries=0) as reader:
            with pytest.raises(DeviceTimeout):
                reader.inventory(Antenna.RETURN)
            assert read_request(master).cmd == Command.INVENTORY  # the unanswered one
            late = bytes([Status.OK]) + encode_inventory([TagInfo(PICKUP_UID, 0, AFI_SECURED)])
            stale = encode_frame(Command.INVENTORY, late)
            os.write(master, stale)
            wait_until(lambda: bytes_waiting(slave) >= len(stale))
            answer = threading.Thread(target=answer_one_inventory, args=(master, RETURN_UID))
            answer.start()
            tags = reader.inventory(Antenna.RETURN)
            answer.join()
        assert [t.uid for t in tags] == [RETURN_UID]
    finally:
        os.close(master)
        os.close(slave)


def read_request(master: int) -> Frame:
    """The next request the driver wrote to the pty; fails the test after 5 s without one."""
    decoder = FrameDecoder()
    while True:
        if not select.select([master], [], [], 5.0)[0]:
            pytest.fail("the driver sent no request")
        frames = [i for i in decoder.feed(os.read(master, 256)) if isinstance(i, Frame)]
        if frames:
            return frames[0]


def answer_one_inventory(master: int, uid: bytes) -> None:
    """Answer the next request, an INVENTORY, with one tag."""
    assert read_request(master).cmd == Command.INVENTORY
    body = bytes([Status.OK]) + encode_inventory([TagInfo(uid, 0, AFI_SECURED)])
    os.write(master, encode_frame(Command.INVENTORY, body))


@pytest.mark.parametrize("values", [
    {"port": "/dev/ttyX", "response_timeout": 0.0}, {"port": "/dev/ttyX", "retries": -1},
    {"port": "/dev/ttyX", "retry": 2}, {"port": 5}, {},
])
def test_bad_config_is_refused(values):
    with pytest.raises(DriverConfigError):
        build_config(RfidConfig, values, "rfid")
