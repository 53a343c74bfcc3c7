"""An independent Modbus client, written only from hardware/carousel-plc.md (no driver code):
home the carousel, fetch a stocked slot, be refused on an empty one, retry a SEQ and see that
it does not run twice."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pymodbus.client import ModbusTcpClient

from sim.world import Place, PlaceKind
from test_carousel_support import (
    EMPTY_SLOT,
    OTHER_EMPTY_SLOT,
    STOCK,
    rig,  # noqa: F401  (fixture)
)

# Straight from the spec's tables.
STATE, ACK_SEQ, DONE_SEQ, RESULT, LEVEL, POSITION = 0, 1, 2, 3, 5, 6
REJECT_SEQ, REJECT_CODE, CYCLES_LO, CYCLES_HI = 14, 15, 16, 17
NOT_HOMED, IDLE = 0, 1
HOME, FETCH, STORE, OPEN_RETURN, CLOSE_RETURN, DIVERT_RETURN = 1, 2, 3, 8, 9, 11
OK, SLOT_EMPTY, NOT_HOMED_REJECTION = 0, 1, 9
PICKUP_ITEM_PRESENT = 1
FIRST_RETURN, NEXT_RETURN = "EM00000101", "EM00000102"  # patrons' books, not in STOCK


@pytest.fixture
def client(rig) -> Iterator[ModbusTcpClient]:
    modbus = ModbusTcpClient(rig.host, port=rig.port, timeout=2)
    assert modbus.connect()
    yield modbus
    modbus.close()


def status(client: ModbusTcpClient) -> list[int]:
    response = client.read_input_registers(0, count=18, device_id=1)
    assert not response.isError()
    return response.registers


def command(client: ModbusTcpClient, cmd: int, arg1: int, seq: int) -> None:
    """CMD, ARG1, ARG2, SEQ in one function-16 request."""
    assert not client.write_registers(0, [cmd, arg1, 0, seq], device_id=1).isError()


def wait_done(client: ModbusTcpClient, seq: int) -> list[int]:
    deadline = time.monotonic() + 10
    while (registers := status(client))[DONE_SEQ] != seq:
        assert time.monotonic() < deadline, f"SEQ {seq} never finished"
        time.sleep(0.01)
    return registers


def cycles(registers: list[int]) -> int:
    return registers[CYCLES_LO] | registers[CYCLES_HI] << 16


def test_independent_client_homes_fetches_and_is_refused(rig, client):
    assert status(client)[STATE] == NOT_HOMED

    command(client, FETCH, 250, 1)  # before HOME: rejected, nothing accepted
    registers = status(client)
    assert (registers[REJECT_SEQ], registers[REJECT_CODE]) == (1, NOT_HOMED_REJECTION)
    assert registers[ACK_SEQ] == 0

    command(client, HOME, 0, 2)
    registers = wait_done(client, 2)
    assert (registers[STATE], registers[RESULT]) == (IDLE, OK)

    command(client, FETCH, 250, 3)
    registers = wait_done(client, 3)
    assert registers[RESULT] == OK and registers[STATE] == IDLE
    assert (registers[LEVEL], registers[POSITION]) == (4, 50)
    assert client.read_discrete_inputs(0, count=8, device_id=1).bits[PICKUP_ITEM_PRESENT]
    assert rig.place(STOCK[250]) == Place(PlaceKind.PICKUP_PORT)
    done_cycles = cycles(registers)

    command(client, FETCH, EMPTY_SLOT, 4)  # an empty slot (the port is full too: source first)
    registers = wait_done(client, 4)
    assert registers[RESULT] == SLOT_EMPTY
    assert cycles(registers) == done_cycles


def test_independent_client_retries_a_seq_and_nothing_runs_twice(rig, client):
    command(client, HOME, 0, 1)
    assert wait_done(client, 1)[RESULT] == OK
    rig.add(FIRST_RETURN, Place(PlaceKind.RETURN_PORT))
    command(client, DIVERT_RETURN, 0, 2)
    assert wait_done(client, 2)[RESULT] == OK
    assert rig.place(FIRST_RETURN) == Place(PlaceKind.OVERFLOW_BIN)

    rig.add(NEXT_RETURN, Place(PlaceKind.RETURN_PORT))  # run twice, the DIVERT would take this one
    command(client, DIVERT_RETURN, 0, 2)  # the same SEQ again: a repeat, nothing happens
    command(client, STORE, OTHER_EMPTY_SLOT, 3)  # next command: the book must still be in the port
    registers = wait_done(client, 3)
    assert (registers[ACK_SEQ], registers[RESULT]) == (3, OK)
    assert rig.place(NEXT_RETURN) == Place(PlaceKind.SLOT, OTHER_EMPTY_SLOT)
    assert rig.place(FIRST_RETURN) == Place(PlaceKind.OVERFLOW_BIN)


def test_independent_client_against_the_kiosk_sim_process(sim):
    """The same, against the real `kiosk-sim` subprocess (demo collection, speed 20)."""
    world = sim.world_get()
    stocked = int(next(iter(world["slots"])))
    empty = next(s for s in range(1000) if str(s) not in world["slots"])
    item = world["slots"][str(stocked)]["item_id"]
    modbus = ModbusTcpClient(sim.endpoints["modbus"]["host"], port=sim.endpoints["modbus"]["port"],
                             timeout=2)
    assert modbus.connect()
    try:
        seq = status(modbus)[ACK_SEQ] % 65535 + 1
        command(modbus, HOME, 0, seq)
        assert wait_done(modbus, seq)[STATE] == IDLE

        command(modbus, FETCH, stocked, seq + 1)
        registers = wait_done(modbus, seq + 1)
        assert registers[RESULT] == OK
        assert sim.world_get()["pickup_port"]["item_id"] == item

        command(modbus, FETCH, empty, seq + 2)
        assert wait_done(modbus, seq + 2)[RESULT] == SLOT_EMPTY
        world = sim.world_get()
        assert world["pickup_port"]["item_id"] == item and str(stocked) not in world["slots"]
        assert world["plc"]["done_seq"] == seq + 2

        command(modbus, OPEN_RETURN, 0, seq + 3)
        assert wait_done(modbus, seq + 3)[RESULT] == OK
        sim.world_post("/return/insert", {"foreign": {"item_id": FIRST_RETURN}})
        command(modbus, DIVERT_RETURN, 0, seq + 4)
        assert wait_done(modbus, seq + 4)[RESULT] == OK
        sim.world_post("/return/insert", {"foreign": {"item_id": NEXT_RETURN}})
        command(modbus, DIVERT_RETURN, 0, seq + 4)  # retry: run twice, it would take this book
        command(modbus, CLOSE_RETURN, 0, seq + 5)
        assert wait_done(modbus, seq + 5)[RESULT] == OK
        world = sim.world_get()
        assert world["return_port"]["item_id"] == NEXT_RETURN
        assert [book["item_id"] for book in world["overflow_bin"]] == [FIRST_RETURN]
    finally:
        modbus.close()
