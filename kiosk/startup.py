"""Start-up, homing and the safe state."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from drivers.carousel import Command, Lamp, Result, State
from drivers.errors import DriverError
from kiosk import journal_room, recovery
from kiosk.machine_check import MachineMismatch, check_geometry
from kiosk.steps import Event, Fault, StartRefused, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


async def start(ctl: "Controller") -> Step:
    """Connect the devices, check the PLC is the machine configured and can be homed."""
    await ctl.devices.start()
    status = await ctl.mech.status()
    try:
        check_geometry(status, ctl.config.carousel, ctl.journal.slot_count)
    except MachineMismatch as exc:
        log.critical("refusing to start: %s", exc)
        raise StartRefused(str(exc)) from None
    if status.state is State.FAULT:
        raise Fault("plc_fault", status.fault.name.lower() if status.fault else "unknown")
    if status.state is State.INTERLOCK:
        raise Fault("interlock", "service door open or emergency stop pressed")
    journal_room.require_room(ctl)
    return Step(Event.STARTED)


async def home(ctl: "Controller") -> Step:
    """Open what is not open, note what recovery needs, clear a latched fault, home."""
    await ctl.devices.start()  # after a fault at start, a reset opens what never opened
    journal_room.require_room(ctl)  # a reset with the disk still full stays out of service
    flow = await recovery.prepare(ctl)  # before RESET_FAULT, whose SEQ would hide the last one's
    if (await ctl.mech.status()).state is State.FAULT:
        await ctl.mech.run(Command.RESET_FAULT)
    for lamp in (Lamp.PICKUP_LAMP, Lamp.RETURN_LAMP, Lamp.FAULT_BEACON):
        await ctl.mech.lamp(lamp, False)
    if (await ctl.mech.run(Command.HOME)) is not Result.OK:
        raise Fault("home_failed")
    return Step(Event.HOMED, {"recovery": flow})


async def light_fault_beacon(ctl: "Controller") -> None:
    """Out of service: beacon on, patron lamps off; nothing moves until a technician comes."""
    try:
        await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
        await ctl.mech.lamp(Lamp.RETURN_LAMP, False)
        await ctl.mech.lamp(Lamp.FAULT_BEACON, True)
    except DriverError as exc:
        log.warning("could not set the lamps for the safe state: %s", exc)
    return None
