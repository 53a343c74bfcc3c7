"""Start-up, homing and the safe state."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from drivers.carousel import Command, Lamp, Result, State
from drivers.errors import DriverError
from kiosk import recovery
from kiosk.steps import Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


async def start(ctl: "Controller") -> Step:
    """Connect the devices, home the carousel, reconcile what a crash left open."""
    await ctl.devices.start()
    status = await ctl.mech.status()
    if status.state is State.FAULT:
        raise Fault("plc_fault", status.fault.name.lower() if status.fault else "unknown")
    if status.state is State.INTERLOCK:
        raise Fault("interlock", "service door open or emergency stop pressed")
    await recovery.reconcile_before_homing(ctl)
    await _home(ctl)
    await recovery.reconcile(ctl)
    return Step("recovered")


async def home(ctl: "Controller") -> Step:
    """Home the carousel (after maintenance or a reset)."""
    status = await ctl.mech.status()
    if status.state is State.FAULT:
        await ctl.mech.run(Command.RESET_FAULT)
    await recovery.reconcile_before_homing(ctl)
    await _home(ctl)
    await recovery.reconcile(ctl)
    ctl.fault = None
    return Step("homed")


async def _home(ctl: "Controller") -> None:
    for lamp in (Lamp.PICKUP_LAMP, Lamp.RETURN_LAMP, Lamp.FAULT_BEACON):
        await ctl.mech.lamp(lamp, False)
    if (await ctl.mech.run(Command.HOME)) is not Result.OK:
        raise Fault("home_failed")


async def safe_state(ctl: "Controller") -> None:
    """Out of service: beacon on, patron lamps off; nothing moves until a technician comes."""
    try:
        await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
        await ctl.mech.lamp(Lamp.RETURN_LAMP, False)
        await ctl.mech.lamp(Lamp.FAULT_BEACON, True)
    except DriverError as exc:
        log.warning("could not set the lamps for the safe state: %s", exc)
    return None
