"""Every rejection code in the spec's order of checking; a rejected SEQ sent again (driver, TCP)."""

from __future__ import annotations

import asyncio

import pytest
from pymodbus.client import AsyncModbusTcpClient

from drivers.carousel import (
    Carousel,
    CarouselJammed,
    CarouselRejected,
    Command,
    CommandFate,
    FaultCode,
    Result,
    State,
)
from sim.world import Place, PlaceKind
from test_carousel_support import (
    EMPTY_SLOT,
    STOCK,
    PlcRig,
    drive,
    homed,
    rig,  # noqa: F401  (fixture)
    slow_rig,  # noqa: F401  (fixture)
    until_state,
)


async def rejected(carousel: Carousel, command: Command, arg1: int = 0, arg2: int = 0) -> Result:
    """The reject code of a command that must be rejected; ACK_SEQ and DONE_SEQ stay as they were."""
    before = await carousel.read_status()
    with pytest.raises(CarouselRejected) as caught:
        await carousel.execute(command, arg1, arg2)
    after = await carousel.read_status()
    assert (after.ack_seq, after.done_seq) == (before.ack_seq, before.done_seq)
    assert (after.reject_seq, after.reject_code) == (caught.value.seq, caught.value.code)
    assert caught.value.command is command
    return caught.value.code


async def raw_write(rig: PlcRig, words: list[int]) -> list[int]:
    """Write CMD..SEQ with plain pymodbus (what the typed driver will not send); the status after."""
    client = AsyncModbusTcpClient(rig.host, port=rig.port, timeout=2, retries=0)
    assert await client.connect()
    try:
        assert not (await client.write_registers(0, words, device_id=1)).isError()
        return (await client.read_input_registers(0, count=18, device_id=1)).registers
    finally:
        client.close()


def test_unknown_command_is_checked_first(rig):
    for words, seq in (([99, 0, 0, 5], 5), ([0, 5000, 0, 6], 6)):  # even with a bad argument
        status = asyncio.run(raw_write(rig, words))
        assert (status[14], status[15]) == (seq, Result.UNKNOWN_COMMAND)
        assert status[1] == 0  # ACK_SEQ unchanged


@pytest.mark.parametrize(("command", "arg1", "arg2"), [
    (Command.FETCH, 1000, 0), (Command.STORE, 65535, 0), (Command.RETRACT, 1000, 0),
    (Command.PRESENT, 1000, 0), (Command.TRANSFER, 0, 1000), (Command.TRANSFER, 1000, 1),
])
def test_a_slot_outside_the_drum_is_invalid_argument_even_before_homing(rig, command, arg1, arg2):
    async def body(carousel: Carousel, events: list) -> None:
        assert await rejected(carousel, command, arg1, arg2) is Result.INVALID_ARGUMENT
    drive(rig.config(), body)


def test_invalid_argument_comes_before_busy_and_busy_before_door_open(slow_rig):
    async def body(carousel: Carousel, events: list) -> None:
        await carousel.execute(Command.OPEN_PICKUP)
        home = asyncio.ensure_future(carousel.execute(Command.HOME))
        await until_state(carousel, State.BUSY)
        assert await rejected(carousel, Command.FETCH, 1000) is Result.INVALID_ARGUMENT
        assert await rejected(carousel, Command.FETCH, 1) is Result.BUSY
        assert await rejected(carousel, Command.HOME) is Result.BUSY
        assert await rejected(carousel, Command.RESET_FAULT) is Result.BUSY
        home.cancel()
    drive(slow_rig.config(), body)


def test_motion_before_home_is_not_homed_but_doors_work(rig):
    async def body(carousel: Carousel, events: list) -> None:
        for command, arg in ((Command.FETCH, 1), (Command.STORE, EMPTY_SLOT), (Command.RETRACT, 1),
                             (Command.PRESENT, 1), (Command.EJECT_RETURN, 0),
                             (Command.DIVERT_RETURN, 0)):
            assert await rejected(carousel, command, arg) is Result.NOT_HOMED, command
        assert await rejected(carousel, Command.TRANSFER, 0, EMPTY_SLOT) is Result.NOT_HOMED
        assert (await carousel.execute(Command.OPEN_PICKUP)).ok
        # NOT_HOMED is checked before DOOR_OPEN
        assert await rejected(carousel, Command.FETCH, 1) is Result.NOT_HOMED
        assert (await carousel.execute(Command.CLOSE_PICKUP)).ok
        assert (await carousel.read_status()).state is State.NOT_HOMED
    drive(rig.config(), body)


def test_reset_fault_without_a_fault_is_rejected(rig):
    async def body(carousel: Carousel, events: list) -> None:
        assert await rejected(carousel, Command.RESET_FAULT) is Result.BUSY
        await homed(carousel)
        assert await rejected(carousel, Command.RESET_FAULT) is Result.BUSY
    drive(rig.config(), body)


@pytest.mark.parametrize("sensor", ["service_door_closed", "estop_released"])
def test_interlock_rejects_everything_and_ends_in_not_homed(rig, sensor):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        await carousel.execute(Command.OPEN_RETURN)
        rig.sense(**{sensor: False})
        await until_state(carousel, State.INTERLOCK)
        # INTERLOCK is checked before DOOR_OPEN (the return shutter is open)
        for command in (Command.FETCH, Command.HOME, Command.CLOSE_RETURN, Command.EJECT_RETURN):
            assert await rejected(carousel, command, 1) is Result.INTERLOCK, command
        assert (await carousel.read_status()).sensors.return_shutter_closed is False
        rig.sense(**{sensor: True})
        await until_state(carousel, State.NOT_HOMED)
        assert await rejected(carousel, Command.FETCH, 1) is Result.NOT_HOMED
        await homed(carousel)
    drive(rig.config(), body)


@pytest.mark.parametrize("door", ["PICKUP", "RETURN"])
def test_motion_with_a_door_open_is_door_open(rig, door):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        await carousel.execute(Command[f"OPEN_{door}"])
        for command, arg1, arg2 in ((Command.FETCH, 1, 0), (Command.STORE, EMPTY_SLOT, 0),
                                    (Command.RETRACT, EMPTY_SLOT, 0), (Command.PRESENT, 1, 0),
                                    (Command.TRANSFER, 1, EMPTY_SLOT)):
            assert await rejected(carousel, command, arg1, arg2) is Result.DOOR_OPEN, command
        # not motion commands in the spec's sense: no DOOR_OPEN for them
        assert (await carousel.execute(Command.DIVERT_RETURN)).result is Result.PORT_EMPTY
        assert (await carousel.execute(Command.HOME)).ok
    drive(rig.config(), body)
    assert rig.place(STOCK[1]) == Place(PlaceKind.SLOT, 1)


def test_a_latched_fault_rejects_all_but_reset_fault_as_busy(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.call(rig.plc.inject_jam, FaultCode.ENCODER)
        with pytest.raises(CarouselJammed):
            await carousel.execute(Command.PRESENT, 1)
        for command in Command:
            if command is not Command.RESET_FAULT:
                assert await rejected(carousel, command, 1, 2) is Result.BUSY, command
        assert (await carousel.execute(Command.RESET_FAULT)).ok
    drive(rig.config(), body)


def test_a_rejected_command_sent_again_with_the_same_seq_runs_once_the_cause_is_gone(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        await carousel.execute(Command.OPEN_PICKUP)
        with pytest.raises(CarouselRejected) as first:
            await carousel.execute(Command.FETCH, 250)
        seq = first.value.seq
        with pytest.raises(CarouselRejected) as again:  # same SEQ, still refused
            await carousel.execute(Command.FETCH, 250, seq=seq)
        assert (again.value.seq, again.value.code) == (seq, Result.DOOR_OPEN)
        assert (await carousel.last_command(seq)).fate is CommandFate.REJECTED
        await carousel.execute(Command.CLOSE_PICKUP, seq=seq + 1)
        outcome = await carousel.execute(Command.FETCH, 250, seq=seq)
        assert (outcome.seq, outcome.result) == (seq, Result.OK)
        record = await carousel.last_command(seq)
        assert (record.fate, record.code) == (CommandFate.DONE, Result.OK)
    drive(rig.config(), body)
    assert rig.place(STOCK[250]) == Place(PlaceKind.PICKUP_PORT)
