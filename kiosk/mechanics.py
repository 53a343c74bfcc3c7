"""Device steps the state machine's actions are made of: PLC commands, doors, sensors, tags."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable

from drivers.carousel import CarouselStatus, Command, Lamp, Result, Sensors
from drivers.errors import DeviceTimeout, DriverError
from drivers.rfid import Antenna, TagData, TagDecodeError
from kiosk.devices import Devices
from kiosk.journal import MoveFailure

log = logging.getLogger(__name__)

CRASH_ENV = "KIOSK_CRASH_AT"  # the crash campaign's named points (tests/test_crash.py)
DOOR_RETRIES = 20  # closes tried while a hand blocks the curtain
DOOR_RETRY_PAUSE = 0.5
RFID_TIMEOUT_RETRIES = 2  # reads and AFI writes are idempotent: a late reader is asked again

RESULT_FAILURES = {
    Result.SLOT_EMPTY: MoveFailure.SLOT_EMPTY,
    Result.SLOT_OCCUPIED: MoveFailure.SLOT_OCCUPIED,
    Result.PORT_EMPTY: MoveFailure.PORT_EMPTY,
    Result.PORT_OCCUPIED: MoveFailure.PORT_OCCUPIED,
    Result.BIN_FULL: MoveFailure.BIN_FULL,
    Result.JAM: MoveFailure.JAM,
}


def crash_point(name: str) -> None:
    """Die here, as a power cut would, when the crash campaign names this point."""
    if os.environ.get(CRASH_ENV) == name:
        log.warning("crash point %s reached: killing the controller", name)
        os.kill(os.getpid(), signal.SIGKILL)


def move_failure(result: Result) -> MoveFailure:
    """The journal's failure code for a PLC result that is not OK."""
    return RESULT_FAILURES.get(result, MoveFailure.TIMEOUT)


class DoorBlocked(DriverError):
    """A door stayed blocked by something in its light curtain."""


class TagProblem(Exception):
    """What an antenna sees is not one readable library tag (reason in `.reason`)."""

    def __init__(self, reason: str, uid: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.uid = uid


class Mechanics:
    """The PLC and the RFID reader, in the steps the controller sequences."""

    def __init__(self, devices: Devices, poll_interval: float = 0.05):
        self.devices = devices
        self.poll_interval = poll_interval
        self.last_status: CarouselStatus | None = None

    async def status(self) -> CarouselStatus:
        """A fresh status reading."""
        self.last_status = await self.devices.carousel.read_status()
        return self.last_status

    async def sensors(self) -> Sensors:
        """A fresh sensor reading."""
        return (await self.status()).sensors

    async def reserve_seq(self) -> int:
        """The SEQ the next motion will use (journal it before sending)."""
        return await self.devices.carousel.reserve_seq()

    async def run(self, command: Command, arg1: int = 0, arg2: int = 0, *,
                  seq: int | None = None) -> Result:
        """Run one PLC command to its end; rejections, jams and timeouts raise DriverError."""
        outcome = await self.devices.carousel.execute(command, arg1, arg2, seq=seq)
        return outcome.result

    async def lamp(self, lamp: Lamp, on: bool) -> None:
        """Switch a lamp."""
        await self.devices.carousel.set_lamp(lamp, on)

    async def close_door(self, command: Command) -> None:
        """Close a door, waiting while a hand is in its curtain; DoorBlocked after many tries."""
        for _ in range(DOOR_RETRIES):
            if await self.run(command) is Result.OK:
                return
            await asyncio.sleep(DOOR_RETRY_PAUSE)
        raise DoorBlocked(f"{command.name} blocked {DOOR_RETRIES} times")

    async def wait_for(self, condition: Callable[[Sensors], bool], timeout: float) -> bool:
        """Poll the sensors until `condition` holds (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while True:
            if condition(await self.sensors()):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(self.poll_interval)

    async def tags(self, antenna: Antenna) -> list[str]:
        """UIDs (upper-case hex) in an antenna's field."""
        found = await self._rfid("inventory", int(antenna))
        return [tag.uid.hex().upper() for tag in found]

    async def read_one(self, antenna: Antenna) -> tuple[str, TagData]:
        """The single library tag at an antenna, decoded; TagProblem otherwise."""
        uids = await self.tags(antenna)
        if not uids:
            raise TagProblem("no_tag")
        if len(uids) > 1:
            raise TagProblem("several_tags")
        try:
            data = await self._rfid("read_tag", int(antenna), bytes.fromhex(uids[0]))
        except TagDecodeError:
            raise TagProblem("unreadable_tag", uids[0]) from None
        return uids[0], data

    async def set_afi(self, antenna: Antenna, uid: str, afi: int) -> None:
        """Write a tag's AFI and check it stuck."""
        await self._rfid("set_afi_verified", int(antenna), bytes.fromhex(uid), afi)

    async def _rfid(self, method: str, *args: object) -> object:
        for attempt in range(RFID_TIMEOUT_RETRIES + 1):
            try:
                return await self.devices.rfid_call(method, *args)
            except DeviceTimeout:
                if attempt == RFID_TIMEOUT_RETRIES:
                    raise
                log.warning("RFID %s timed out; asking again", method)
