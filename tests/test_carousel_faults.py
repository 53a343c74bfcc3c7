"""Faults the driver must detect and report: reboot, hang, jam, interlock, a PLC that vanishes."""

from __future__ import annotations

import asyncio

import pytest

from drivers.carousel import (
    Carousel,
    CarouselJammed,
    CarouselRejected,
    Command,
    CommandLost,
    ConnectionLost,
    ConnectionRestored,
    FaultCode,
    FaultLatched,
    HeartbeatResumed,
    HeartbeatStalled,
    Lamp,
    PlcRebooted,
    Result,
    SensorsChanged,
    State,
    StateChanged,
)
from drivers.errors import DeviceFault, DeviceTimeout, DeviceUnavailable
from sim.world import Place, PlaceKind
from test_carousel_support import (
    STOCK,
    PlcRig,
    drive,
    homed,
    rig,  # noqa: F401  (fixture)
    slow_rig,  # noqa: F401  (fixture)
    until,
    until_event,
    until_state,
)

PICKER = Place(PlaceKind.PICKER)


def test_a_power_cycle_is_reported_as_plc_rebooted_and_not_homed(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        old = (await carousel.read_status()).boot_id
        rig.call(rig.plc.power_cycle)
        event = await until_event(events, PlcRebooted)
        assert event.old_boot_id == old and event.new_boot_id not in (0, old)
        status = await carousel.read_status()
        assert status.state is State.NOT_HOMED and status.boot_id == event.new_boot_id
        assert (status.ack_seq, status.done_seq) == (0, 0)
        outcome = await carousel.execute(Command.HOME)  # SEQ starts again after the reboot
        assert (outcome.seq, outcome.result) == (1, Result.OK)
    drive(rig.config(), body)


def test_a_power_cycle_mid_fetch_loses_the_command_and_leaves_the_book_on_the_picker(slow_rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        fetch = asyncio.ensure_future(carousel.execute(Command.FETCH, 999))
        await until(lambda: slow_rig.place(STOCK[999]) == PICKER, "the book on the picker")
        slow_rig.call(slow_rig.plc.power_cycle)
        with pytest.raises(CommandLost) as lost:
            await fetch
        assert lost.value.command is Command.FETCH
        assert isinstance(lost.value, DeviceUnavailable)
        status = await carousel.read_status()
        assert status.state is State.NOT_HOMED and status.sensors.picker_loaded
    drive(slow_rig.config(), body)
    assert slow_rig.place(STOCK[999]) == PICKER


def test_a_hang_is_reported_as_heartbeat_stalled_then_resumed(rig):
    async def body(carousel: Carousel, events: list) -> None:
        rig.call(rig.plc.set_hang, True)
        stalled = await until_event(events, HeartbeatStalled)
        assert stalled.seconds >= carousel.config.heartbeat_stall
        assert not any(isinstance(e, HeartbeatResumed) for e in events)
        rig.call(rig.plc.set_hang, False)
        resumed = await until_event(events, HeartbeatResumed)
        assert resumed.heartbeat != stalled.heartbeat
        assert events.index(resumed) > events.index(stalled)
        await homed(carousel)
    drive(rig.config(), body)


def test_a_hung_plc_does_not_act_on_lamps_either(rig):
    async def body(carousel: Carousel, events: list) -> None:
        rig.call(rig.plc.set_hang, True)
        await carousel.set_lamp(Lamp.PICKUP_LAMP, True)
        assert rig.call(lambda: rig.world.lamps["pickup_lamp"]) is False
        rig.call(rig.plc.set_hang, False)
        await carousel.set_lamp(Lamp.PICKUP_LAMP, True)
        assert rig.call(lambda: rig.world.lamps["pickup_lamp"]) is True
    drive(rig.config(), body)


@pytest.mark.parametrize("fault", [FaultCode.DRUM_JAM, FaultCode.LIFT_JAM, FaultCode.UNDERVOLTAGE])
def test_a_jam_latches_a_fault_that_only_reset_fault_clears(rig, fault):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.call(rig.plc.inject_jam, fault)
        with pytest.raises(CarouselJammed) as jammed:
            await carousel.execute(Command.FETCH, 250)
        assert isinstance(jammed.value, DeviceFault)
        assert (jammed.value.outcome.result, jammed.value.fault) == (Result.JAM, fault)
        assert (await until_event(events, FaultLatched)).fault is fault
        status = await carousel.read_status()
        assert (status.state, status.fault, status.result) == (State.FAULT, fault, Result.JAM)
        assert status.lamps.fault_beacon and rig.call(lambda: rig.world.lamps["fault_beacon"])
        with pytest.raises(CarouselRejected):
            await carousel.execute(Command.HOME)
        assert (await carousel.execute(Command.RESET_FAULT)).ok
        status = await carousel.read_status()
        assert (status.state, status.fault, status.lamps.fault_beacon) == (State.NOT_HOMED, None, False)
        await homed(carousel)
    drive(rig.config(), body)
    assert rig.place(STOCK[250]) == Place(PlaceKind.SLOT, 250)  # it jammed before the take


def test_a_picker_jam_leaves_the_book_on_the_picker_and_the_next_fetch_times_out(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.call(rig.plc.inject_jam, FaultCode.PICKER_JAM)
        with pytest.raises(CarouselJammed):
            await carousel.execute(Command.FETCH, 250)
        await carousel.execute(Command.RESET_FAULT)
        await homed(carousel)
        assert (await carousel.read_status()).sensors.picker_loaded
        assert (await carousel.execute(Command.FETCH, 1)).result is Result.TIMEOUT
    drive(rig.config(), body)
    assert rig.place(STOCK[250]) == PICKER and rig.place(STOCK[1]) == Place(PlaceKind.SLOT, 1)


@pytest.mark.parametrize("command", [Command.HOME, Command.PRESENT])
def test_commands_without_a_take_jam_too(rig, command):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.call(rig.plc.inject_jam, FaultCode.PICKER_JAM)
        with pytest.raises(CarouselJammed):
            await carousel.execute(command, 1)
        assert (await carousel.read_status()).state is State.FAULT
    drive(rig.config(), body)


def test_interlock_during_a_motion_stops_it_and_is_reported(slow_rig):
    async def body(carousel: Carousel, events: list) -> None:
        home = asyncio.ensure_future(carousel.execute(Command.HOME))
        await until_state(carousel, State.BUSY)
        slow_rig.sense(estop_released=False)
        outcome = await home
        assert outcome.result is Result.INTERLOCK
        # the monitor samples: it may or may not have seen BUSY, but it reports INTERLOCK
        await until(lambda: any(isinstance(e, StateChanged) and e.new is State.INTERLOCK
                                for e in events), "StateChanged to INTERLOCK")
        slow_rig.sense(estop_released=True)
        await until_state(carousel, State.NOT_HOMED)
        assert (await carousel.read_status()).cycles == 0
    drive(slow_rig.config(), body)


def test_a_hand_entering_while_the_door_closes_blocks_it(slow_rig):
    async def body(carousel: Carousel, events: list) -> None:
        await carousel.execute(Command.OPEN_PICKUP)
        close = asyncio.ensure_future(carousel.execute(Command.CLOSE_PICKUP))
        await until_state(carousel, State.BUSY)
        slow_rig.sense(pickup_hand=True)
        assert (await close).result is Result.DOOR_BLOCKED
        sensors = (await carousel.read_status()).sensors
        assert not sensors.pickup_door_closed and not sensors.pickup_curtain_clear
        await until(lambda: any(isinstance(e, SensorsChanged) and not e.sensors.pickup_curtain_clear
                                for e in events), "SensorsChanged with the curtain broken")
    drive(slow_rig.config(), body)


def test_a_hand_in_and_out_of_the_curtain_during_the_close_still_blocks_it():
    slower = PlcRig(speed=2.0)  # the door takes 0.4 s
    try:
        async def body(carousel: Carousel, events: list) -> None:
            await carousel.execute(Command.OPEN_RETURN)
            close = asyncio.ensure_future(carousel.execute(Command.CLOSE_RETURN))
            await until_state(carousel, State.BUSY)
            slower.call(flick_a_hand_through, slower.world)  # in and out before the PLC looks
            assert (await close).result is Result.DOOR_BLOCKED
            sensors = (await carousel.read_status()).sensors
            assert sensors.return_curtain_clear and not sensors.return_shutter_closed
            assert (await carousel.execute(Command.CLOSE_RETURN)).ok
        drive(slower.config(), body)
    finally:
        slower.close()


def flick_a_hand_through(world) -> None:
    """A hand crosses the return curtain and is gone again within one turn of the sim's loop."""
    world.sensors.return_hand = True
    world.changed()
    world.sensors.return_hand = False
    world.changed()


def test_a_vanished_plc_is_connection_lost_then_restored(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.run(rig.plc.stop())
        await until_event(events, ConnectionLost)
        with pytest.raises((DeviceUnavailable, DeviceTimeout)):
            await carousel.execute(Command.PRESENT, 1)
        _, port = rig.run(rig.plc.start_tcp("127.0.0.1", rig.port))  # back, on the same port
        assert port == rig.port
        await until_event(events, ConnectionRestored)
        assert (await carousel.execute(Command.PRESENT, 1)).ok
    drive(rig.config(), body)


def test_a_latched_fault_outlasts_an_interlock(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.call(rig.plc.inject_jam, FaultCode.DRIVE_OVERTEMP)
        with pytest.raises(CarouselJammed):
            await carousel.execute(Command.HOME)
        rig.sense(service_door_closed=False)
        with pytest.raises(CarouselRejected) as rejected:
            await carousel.execute(Command.RESET_FAULT)
        assert rejected.value.code is Result.INTERLOCK
        rig.sense(service_door_closed=True)
        status = await carousel.read_status()
        assert (status.state, status.fault) == (State.FAULT, FaultCode.DRIVE_OVERTEMP)
        assert (await carousel.execute(Command.RESET_FAULT)).ok
        assert (await carousel.read_status()).state is State.NOT_HOMED
    drive(rig.config(), body)


def test_a_plc_that_boots_with_the_service_door_open_is_in_interlock(rig):
    rig.sense(service_door_closed=False)
    rig.call(rig.plc.power_cycle)
    assert rig.snapshot()["state"] == State.INTERLOCK
    rig.sense(service_door_closed=True)
    assert rig.snapshot()["state"] == State.NOT_HOMED


def test_a_reboot_while_the_driver_was_disconnected_is_reported_on_reconnect(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await carousel.close()
        rig.call(rig.plc.power_cycle)
        await carousel.connect()
        assert any(isinstance(e, PlcRebooted) for e in events)
    drive(rig.config(), body)
