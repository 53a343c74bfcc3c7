"""Turns successive status readings into events: reboots, heartbeat stalls, state and sensor changes."""

from __future__ import annotations

from drivers.carousel.codec import CarouselStatus
from drivers.carousel.events import (
    CarouselEvent,
    ConnectionLost,
    ConnectionRestored,
    FaultLatched,
    HeartbeatResumed,
    HeartbeatStalled,
    PlcRebooted,
    SensorsChanged,
    StateChanged,
)
from drivers.carousel.registers import State
from drivers.errors import DriverError


class StatusWatcher:
    """Compares each reading with the previous one; `now` is a monotonic time in seconds."""

    def __init__(self, stall_seconds: float):
        self._stall_seconds = stall_seconds
        self._last: CarouselStatus | None = None
        self._heartbeat_since = 0.0  # when HEARTBEAT last changed
        self._stalled = False
        self._lost = False

    def observe(self, status: CarouselStatus, now: float) -> list[CarouselEvent]:
        """Events for a successful reading."""
        events: list[CarouselEvent] = []
        if self._lost:
            self._lost = False
            events.append(ConnectionRestored())
        last, self._last = self._last, status
        if last is None:
            self._heartbeat_since = now
            return events
        if status.boot_id != last.boot_id:
            events.append(PlcRebooted(last.boot_id, status.boot_id))
        events += self._heartbeat(last, status, now)
        if status.state != last.state:
            events.append(StateChanged(last.state, status.state))
            if status.state is State.FAULT:
                events.append(FaultLatched(status.fault))
        if status.sensors != last.sensors:
            events.append(SensorsChanged(status.sensors))
        return events

    def failed(self, error: DriverError) -> list[CarouselEvent]:
        """Events for a reading that failed (reported once until a reading succeeds)."""
        if self._lost:
            return []
        self._lost = True
        return [ConnectionLost(f"{type(error).__name__}: {error}")]

    def _heartbeat(self, last: CarouselStatus, status: CarouselStatus,
                   now: float) -> list[CarouselEvent]:
        if status.heartbeat != last.heartbeat or status.boot_id != last.boot_id:
            self._heartbeat_since = now
            if self._stalled:
                self._stalled = False
                return [HeartbeatResumed(status.heartbeat)]
            return []
        stalled_for = now - self._heartbeat_since
        if not self._stalled and stalled_for >= self._stall_seconds:
            self._stalled = True
            return [HeartbeatStalled(status.heartbeat, stalled_for)]
        return []
