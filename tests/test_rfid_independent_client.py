"""An independent serial client, written only from hardware/readers.md, against the simulated reader.

No driver code is used here: frames, the CRC and the ISO 28560-3 layout are built by hand; the
last test drives the real kiosk-sim process through pymodbus and the world API.
"""

from __future__ import annotations


import pytest
import serial
from conftest import wait_for
from pymodbus.client import ModbusTcpClient

from sim.rfid_device import RfidSim
from sim.world import Place, PlaceKind, World, make_book

BOOK_UID = bytes.fromhex("E0040150000000A1")


def crc_ccitt_false(data: bytes) -> int:
    """Bitwise CRC-16: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def frame(cmd: int, body: bytes) -> bytes:
    """SOF, LEN (CMD + body), CMD, body, CRC big-endian over LEN, CMD and body."""
    payload = bytes([1 + len(body), cmd]) + body
    return b"\xaa" + payload + crc_ccitt_false(payload).to_bytes(2, "big")


def exchange(port: serial.Serial, request: bytes) -> tuple[int, int, bytes]:
    """Send a request; return (CMD, STATUS, rest of body) of the answer."""
    port.write(request)
    head = port.read(2)
    assert head[:1] == b"\xaa" and len(head) == 2, f"no answer: {head!r}"
    rest = port.read(head[1] + 2)
    assert len(rest) == head[1] + 2, "answer cut short"
    assert crc_ccitt_false(head[1:2] + rest[:-2]) == int.from_bytes(rest[-2:], "big")
    return rest[0], rest[1], rest[2:-2]


@pytest.fixture
def setup(sim_loop):
    world = World()
    device = RfidSim(world)
    path = sim_loop.call(device.start)
    with serial.Serial(path, 115200, timeout=2) as port:
        yield world, port
    sim_loop.call(device.stop)


def test_inventory_of_the_return_antenna_after_a_book_is_inserted(sim_loop, setup):
    world, port = setup
    assert exchange(port, frame(0x01, b"\x01")) == (0x01, 0x00, b"\x00")  # nothing there yet

    book = make_book(BOOK_UID, "EM00000777", country="KR", isil="111001")
    sim_loop.call(world.add, book, Place(PlaceKind.RETURN_PORT))

    cmd, status, body = exchange(port, frame(0x01, b"\x01"))
    assert (cmd, status, body[0]) == (0x01, 0x00, 1)
    uid, afi = body[1:9], body[10]
    assert (uid, afi) == (BOOK_UID, 0x07)

    cmd, status, blocks = exchange(port, frame(0x02, b"\x01" + uid + b"\x00\x08"))
    assert (cmd, status, len(blocks)) == (0x02, 0x00, 32)
    assert blocks[0] & 0x0F == 1 and blocks[0] >> 4 == 1  # version 1, circulating
    assert (blocks[1], blocks[2]) == (1, 1)
    assert blocks[3:19].rstrip(b"\0") == b"EM00000777"
    assert blocks[21:23] == b"KR" and blocks[23:32].rstrip(b"\0") == b"111001"
    stored_crc = blocks[19] | blocks[20] << 8
    assert stored_crc == crc_ccitt_false(blocks[:19] + blocks[21:32] + b"\0\0")


def test_write_afi_then_inventory_shows_it(sim_loop, setup):
    world, port = setup
    sim_loop.call(world.add, make_book(BOOK_UID, "EM1"), Place(PlaceKind.PICKUP_PORT))
    assert exchange(port, frame(0x04, b"\x00" + BOOK_UID + b"\xc2"))[:2] == (0x04, 0x00)
    assert exchange(port, frame(0x01, b"\x00"))[2][10] == 0xC2
    assert sim_loop.call(lambda: world.books[BOOK_UID].afi) == 0xC2


def test_reader_info(setup):
    _, port = setup
    cmd, status, body = exchange(port, frame(0x10, b""))
    assert (cmd, status, body[2]) == (0x10, 0x00, 3)


def test_a_damaged_request_is_answered_bad_frame_with_its_cmd(setup):
    _, port = setup
    damaged = bytearray(frame(0x05, b"\x01" + BOOK_UID))
    damaged[-1] ^= 0x55
    assert exchange(port, bytes(damaged)) == (0x05, 0x04, b"")


def test_a_request_body_of_the_wrong_size_is_bad_frame(setup):
    _, port = setup
    assert exchange(port, frame(0x02, b"\x01" + BOOK_UID)) == (0x02, 0x04, b"")


def test_an_unknown_command_is_answered_unknown_command(setup):
    _, port = setup
    assert exchange(port, frame(0x42, b"\x00")) == (0x42, 0x05, b"")


def test_garbage_before_a_request_is_skipped(setup):
    _, port = setup
    assert exchange(port, b"\x00\x13\x37" + frame(0x10, b""))[:2] == (0x10, 0x00)


def test_no_tag_and_bad_antenna(setup):
    _, port = setup
    assert exchange(port, frame(0x05, b"\x01" + BOOK_UID)) == (0x05, 0x01, b"")
    assert exchange(port, frame(0x01, b"\x03")) == (0x01, 0x06, b"")


OPEN_RETURN = 8


def open_return_shutter(sim) -> None:
    """OPEN_RETURN over Modbus TCP (a door command is allowed before HOME)."""
    client = ModbusTcpClient(sim.endpoints["modbus"]["host"], port=sim.endpoints["modbus"]["port"])
    assert client.connect()
    try:
        assert not client.write_registers(0, [OPEN_RETURN, 0, 0, 1], device_id=1).isError()
    finally:
        client.close()
    wait_for(lambda: not sim.world_get()["sensors"]["return_shutter_closed"], message="shutter open")


def test_inventory_of_the_return_antenna_after_a_patron_inserts_a_book(make_sim):
    sim = make_sim("--speed", "20", "--empty")
    with serial.Serial(sim.endpoints["rfid"]["path"], 115200, timeout=2) as port:
        assert exchange(port, frame(0x01, b"\x01")) == (0x01, 0x00, b"\x00")
        open_return_shutter(sim)
        foreign = {"item_id": "ILL-2024-0815", "isil": "123456"}
        inserted = sim.world_post("/return/insert", {"foreign": foreign})

        cmd, status, body = exchange(port, frame(0x01, b"\x01"))
        assert (cmd, status, body[0]) == (0x01, 0x00, 1)
        uid = body[1:9]
        assert uid.hex().upper() == inserted["uid"]

        _, status, blocks = exchange(port, frame(0x02, b"\x01" + uid + b"\x00\x08"))
        assert status == 0x00
        assert blocks[3:19].rstrip(b"\0") == b"ILL-2024-0815"
        assert blocks[23:32].rstrip(b"\0") == b"123456"

        sim.world_post("/faults/rfid-errors", {"count": 1})
        assert exchange(port, frame(0x01, b"\x01"))[:2] == (0x01, 0x03)  # TAG_ERROR once
        assert exchange(port, frame(0x01, b"\x01"))[:2] == (0x01, 0x00)
