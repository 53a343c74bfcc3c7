"""Device steps the state machine's actions are made of: PLC commands, doors, sensors, tags."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

from drivers.carousel import CarouselStatus, Command, Lamp, Result, Sensors
from drivers.errors import DeviceTimeout, DriverError
from drivers.rfid import Antenna, Collision, TagData, TagDecodeError
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
        self.poll_interval = poll_interval  # how old a reading may be and still count as fresh

    @property
    def last_status(self) -> CarouselStatus | None:
        """The PLC poller's newest status, without a read (None before the first)."""
        return self.devices.carousel.latest

    async def status(self) -> CarouselStatus:
        """A fresh status: the poller's, if read after the last command or lamp write and at
        most poll_interval ago, else a new reading."""
        return await self.devices.carousel.status(max_age=self.poll_interval)

    async def sensors(self) -> Sensors:
        """Fresh sensors (same rule as status())."""
        return await self.devices.carousel.sensors(max_age=self.poll_interval)

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
        """Wait until `condition` holds on the sensors (True) or `timeout` seconds pass (False);
        the PLC poller reads them fast meanwhile."""
        return await self.devices.carousel.wait_for(condition, timeout)

    async def tags(self, antenna: Antenna) -> list[str]:
        """UIDs (upper-case hex) in an antenna's field."""
        found = await self._rfid("inventory", int(antenna))
        return [tag.uid.hex().upper() for tag in found]

    async def read_one(self, antenna: Antenna) -> tuple[str, TagData]:
        """The single library tag at an antenna, decoded; TagProblem otherwise. A COLLISION
        (tags the reader cannot tell apart) is several tags, as an inventory of two is."""
        try:
            uids = await self.tags(antenna)
        except Collision:
            raise TagProblem("several_tags") from None
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
