"""Every PLC command with OK and with every other result it can finish with (driver over TCP)."""

from __future__ import annotations

import pytest

from drivers.carousel import Carousel, Command, Lamp, Result, State
from sim.world import Place, PlaceKind
from test_carousel_support import (
    EMPTY_SLOT,
    OTHER_EMPTY_SLOT,
    STOCK,
    PlcRig,
    drive,
    homed,
    rig,  # noqa: F401  (fixture)
)

PICKUP = Place(PlaceKind.PICKUP_PORT)
RETURN = Place(PlaceKind.RETURN_PORT)
PICKER = Place(PlaceKind.PICKER)


def slot(n: int) -> Place:
    return Place(PlaceKind.SLOT, n)


def run(rig: PlcRig, body) -> None:
    async def homed_body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        await body(carousel)
    drive(rig.config(), homed_body)


def test_home_from_not_homed_ends_idle_at_level_0_column_0(rig):
    async def body(carousel: Carousel, events: list) -> None:
        assert (await carousel.read_status()).state is State.NOT_HOMED
        outcome = await carousel.execute(Command.HOME)
        assert (outcome.command, outcome.result) == (Command.HOME, Result.OK)
        status = await carousel.read_status()
        assert (status.state, status.level, status.position) == (State.IDLE, 0, 0)
        assert status.done_seq == status.ack_seq == outcome.seq
        assert status.cycles == 1
    drive(rig.config(), body)


def test_fetch_moves_the_book_from_its_slot_to_the_pickup_port(rig):
    async def body(carousel: Carousel) -> None:
        outcome = await carousel.execute(Command.FETCH, 555)
        assert outcome.result is Result.OK
        status = await carousel.read_status()
        assert (status.level, status.position) == (4, 55)  # at the pickup level, drum at column 55
        assert status.sensors.pickup_item_present and not status.sensors.picker_loaded
        assert status.sensors.pickup_door_closed  # FETCH leaves the door shut
        assert status.cycles == 2
    run(rig, body)
    assert rig.place(STOCK[555]) == PICKUP
    assert rig.call(rig.world.slot_book, 555) is None


def test_fetch_an_empty_slot_is_slot_empty_and_moves_nothing(rig):
    async def body(carousel: Carousel) -> None:
        assert (await carousel.execute(Command.FETCH, EMPTY_SLOT)).result is Result.SLOT_EMPTY
        assert (await carousel.read_status()).cycles == 1  # only the HOME counted
    run(rig, body)
    assert rig.call(rig.world.book_at, PICKUP) is None


def test_fetch_into_an_occupied_port_is_port_occupied(rig):
    rig.add("EM00000077", PICKUP)
    run(rig, lambda c: _expect(c, Command.FETCH, 250, Result.PORT_OCCUPIED))
    assert rig.place(STOCK[250]) == slot(250)


def test_fetch_checks_the_source_before_the_destination(rig):
    rig.add("EM00000077", PICKUP)
    run(rig, lambda c: _expect(c, Command.FETCH, EMPTY_SLOT, Result.SLOT_EMPTY))


def test_store_moves_the_returned_book_into_the_slot(rig):
    rig.add("EM00000077", RETURN)
    run(rig, lambda c: _expect(c, Command.STORE, EMPTY_SLOT, Result.OK))
    assert rig.place("EM00000077") == slot(EMPTY_SLOT)


def test_store_results_port_empty_then_slot_occupied(rig):
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command.STORE, 0, Result.PORT_EMPTY)  # source first
        rig.add("EM00000077", RETURN)
        await _expect(carousel, Command.STORE, 0, Result.SLOT_OCCUPIED)
    run(rig, body)
    assert rig.place("EM00000077") == RETURN


def test_retract_puts_the_untaken_book_back(rig):
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command.FETCH, 1, Result.OK)
        await _expect(carousel, Command.RETRACT, 1, Result.OK)
    run(rig, body)
    assert rig.place(STOCK[1]) == slot(1)


def test_retract_results_port_empty_then_slot_occupied(rig):
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command.RETRACT, EMPTY_SLOT, Result.PORT_EMPTY)
        await _expect(carousel, Command.FETCH, 1, Result.OK)
        await _expect(carousel, Command.RETRACT, 0, Result.SLOT_OCCUPIED)
    run(rig, body)
    assert rig.place(STOCK[1]) == PICKUP


def test_present_faces_the_slot_and_a_later_move_clears_it(rig):
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command.PRESENT, 250, Result.OK)
        assert rig.call(lambda: rig.world.picker_facing) == 250
        assert rig.place(STOCK[250]) == slot(250)  # nothing moves between places
        status = await carousel.read_status()
        assert (status.level, status.position) == (2, 50)
        await _expect(carousel, Command.FETCH, 1, Result.OK)
        assert rig.call(lambda: rig.world.picker_facing) is None
    run(rig, body)


def test_transfer_moves_a_book_between_slots(rig):
    run(rig, lambda c: _expect(c, Command.TRANSFER, 999, Result.OK, OTHER_EMPTY_SLOT))
    assert rig.place(STOCK[999]) == slot(OTHER_EMPTY_SLOT)


@pytest.mark.parametrize(("source", "destination", "result"), [
    (EMPTY_SLOT, OTHER_EMPTY_SLOT, Result.SLOT_EMPTY),
    (0, 1, Result.SLOT_OCCUPIED),
    (EMPTY_SLOT, 1, Result.SLOT_EMPTY),  # the source is checked before the destination
])
def test_transfer_results(rig, source, destination, result):
    run(rig, lambda c: _expect(c, Command.TRANSFER, source, result, destination))
    assert rig.place(STOCK[0]) == slot(0) and rig.place(STOCK[1]) == slot(1)


@pytest.mark.parametrize(("door", "sensor"), [("PICKUP", "pickup_door_closed"),
                                              ("RETURN", "return_shutter_closed")])
def test_doors_open_and_close(rig, door, sensor):
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command[f"OPEN_{door}"], 0, Result.OK)
        assert getattr((await carousel.read_status()).sensors, sensor) is False
        await _expect(carousel, Command[f"CLOSE_{door}"], 0, Result.OK)
        assert getattr((await carousel.read_status()).sensors, sensor) is True
        assert (await carousel.read_status()).cycles == 1  # doors are not counted as cycles
    run(rig, body)


@pytest.mark.parametrize(("door", "hand", "sensor"), [
    ("PICKUP", "pickup_hand", "pickup_door_closed"),
    ("RETURN", "return_hand", "return_shutter_closed"),
])
def test_a_hand_in_the_curtain_blocks_the_close_and_the_door_stays_open(rig, door, hand, sensor):
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command[f"OPEN_{door}"], 0, Result.OK)
        rig.sense(**{hand: True})
        curtain = hand.replace("hand", "curtain_clear")
        assert getattr((await carousel.read_status()).sensors, curtain) is False
        await _expect(carousel, Command[f"CLOSE_{door}"], 0, Result.DOOR_BLOCKED)
        assert getattr((await carousel.read_status()).sensors, sensor) is False
        rig.sense(**{hand: False})
        await _expect(carousel, Command[f"CLOSE_{door}"], 0, Result.OK)
    run(rig, body)


@pytest.mark.parametrize("door", ["pickup", "return"])
def test_an_injected_blocked_door_blocks_only_the_next_close(rig, door):
    async def body(carousel: Carousel) -> None:
        name = door.upper()
        await _expect(carousel, Command[f"OPEN_{name}"], 0, Result.OK)
        rig.call(rig.plc.inject_door_blocked, door)
        await _expect(carousel, Command[f"CLOSE_{name}"], 0, Result.DOOR_BLOCKED)
        await _expect(carousel, Command[f"CLOSE_{name}"], 0, Result.OK)
    run(rig, body)


def test_eject_return_pushes_the_book_out_and_opens_the_shutter(rig):
    rig.add("EM00000077", RETURN)
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command.EJECT_RETURN, 0, Result.OK)
        assert not (await carousel.read_status()).sensors.return_shutter_closed
        await _expect(carousel, Command.EJECT_RETURN, 0, Result.PORT_EMPTY)
    run(rig, body)
    assert rig.place("EM00000077") == Place(PlaceKind.RETURN_OPENING)


def test_divert_return_drops_the_book_in_the_overflow_bin(rig):
    rig.add("EM00000077", RETURN)
    async def body(carousel: Carousel) -> None:
        await _expect(carousel, Command.DIVERT_RETURN, 0, Result.OK)
        await _expect(carousel, Command.DIVERT_RETURN, 0, Result.PORT_EMPTY)
    run(rig, body)
    assert rig.place("EM00000077") == Place(PlaceKind.OVERFLOW_BIN)


def test_divert_return_into_a_full_bin_is_bin_full():
    rig = PlcRig(bin_capacity=1)
    try:
        rig.add("EM00000077", Place(PlaceKind.OVERFLOW_BIN))
        rig.add("EM00000078", RETURN)
        async def body(carousel: Carousel) -> None:
            assert (await carousel.read_status()).sensors.overflow_bin_full
            await _expect(carousel, Command.DIVERT_RETURN, 0, Result.BIN_FULL)
        run(rig, body)
        assert rig.place("EM00000078") == RETURN
    finally:
        rig.close()


def test_lamps_are_coils_mirrored_in_the_world(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await carousel.set_lamp(Lamp.PICKUP_LAMP, True)
        lamps = (await carousel.read_status()).lamps
        assert (lamps.fault_beacon, lamps.pickup_lamp, lamps.return_lamp) == (False, True, False)
        assert rig.call(lambda: dict(rig.world.lamps))["pickup_lamp"] is True
        await carousel.set_lamp(Lamp.PICKUP_LAMP, False)
        await carousel.set_lamp(Lamp.RETURN_LAMP, True)
        lamps = (await carousel.read_status()).lamps
        assert (lamps.pickup_lamp, lamps.return_lamp) == (False, True)
    drive(rig.config(), body)
    assert rig.call(lambda: dict(rig.world.lamps)) == {
        "fault_beacon": False, "pickup_lamp": False, "return_lamp": True}


async def _expect(carousel: Carousel, command: Command, arg1: int, result: Result,
                  arg2: int = 0) -> None:
    outcome = await carousel.execute(command, arg1, arg2)
    assert (outcome.command, outcome.result) == (command, result)
    status = await carousel.read_status()
    assert status.done_seq == outcome.seq and status.result is result
