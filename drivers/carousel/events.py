"""Events the carousel monitor emits (frozen dataclasses, no display text)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.carousel.codec import Sensors
from drivers.carousel.registers import FaultCode, State


@dataclass(frozen=True)
class PlcRebooted:
    """BOOT_ID changed: the PLC restarted, its SEQ registers are 0 and it must be homed."""

    old_boot_id: int
    new_boot_id: int


@dataclass(frozen=True)
class HeartbeatStalled:
    """HEARTBEAT has not changed for the configured stall time: the PLC hangs."""

    heartbeat: int
    seconds: float


@dataclass(frozen=True)
class HeartbeatResumed:
    """HEARTBEAT changes again after a stall."""

    heartbeat: int


@dataclass(frozen=True)
class StateChanged:
    """STATE changed between two polls."""

    old: State
    new: State


@dataclass(frozen=True)
class FaultLatched:
    """The PLC latched a fault (STATE FAULT); `fault` is None if FAULT_CODE is 0."""

    fault: FaultCode | None


@dataclass(frozen=True)
class SensorsChanged:
    """One or more discrete inputs changed."""

    sensors: Sensors


@dataclass(frozen=True)
class ConnectionLost:
    """The PLC stopped answering (or its answers are off the map); `reason` is the error."""

    reason: str


@dataclass(frozen=True)
class ConnectionRestored:
    """The PLC answers again after ConnectionLost."""


CarouselEvent = (PlcRebooted | HeartbeatStalled | HeartbeatResumed | StateChanged
                 | FaultLatched | SensorsChanged | ConnectionLost | ConnectionRestored)
