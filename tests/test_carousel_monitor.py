"""The monitor's pure StatusWatcher: reboot, heartbeat stall and resume, state, sensors, link."""

from __future__ import annotations

from dataclasses import replace

from drivers.carousel.codec import CarouselStatus, Lamps, Sensors
from drivers.carousel.events import (
    ConnectionLost,
    ConnectionRestored,
    FaultLatched,
    HeartbeatResumed,
    HeartbeatStalled,
    PlcRebooted,
    SensorsChanged,
    StateChanged,
)
from drivers.carousel.geometry import Geometry
from drivers.carousel.monitor import StatusWatcher
from drivers.carousel.registers import FaultCode, Result, State
from drivers.errors import DeviceTimeout

BASE = CarouselStatus(
    state=State.IDLE, ack_seq=1, done_seq=1, result=Result.OK, fault=None, level=0, position=0,
    geometry=Geometry(), firmware=0x0100, boot_id=100, heartbeat=10, reject_seq=0,
    reject_code=Result.OK, cycles=1, sensors=Sensors.from_bits([True] * 10),
    lamps=Lamps(False, False, False))


def watcher_at(status: CarouselStatus = BASE) -> StatusWatcher:
    watcher = StatusWatcher(stall_seconds=1.0)
    assert watcher.observe(status, now=0.0) == []  # the first reading is the baseline
    return watcher


def test_a_changed_boot_id_is_a_reboot():
    watcher = watcher_at()
    events = watcher.observe(replace(BASE, boot_id=200, heartbeat=0, state=State.NOT_HOMED), 0.1)
    assert PlcRebooted(100, 200) in events
    assert StateChanged(State.IDLE, State.NOT_HOMED) in events


def test_a_heartbeat_unchanged_for_the_stall_time_is_reported_once_then_resumed():
    watcher = watcher_at()
    assert watcher.observe(BASE, 0.5) == []
    assert watcher.observe(BASE, 0.99) == []
    assert watcher.observe(BASE, 1.0) == [HeartbeatStalled(10, 1.0)]
    assert watcher.observe(BASE, 5.0) == []
    assert watcher.observe(replace(BASE, heartbeat=11), 5.1) == [HeartbeatResumed(11)]
    assert watcher.observe(replace(BASE, heartbeat=12), 5.2) == []


def test_a_ticking_heartbeat_never_stalls():
    watcher = watcher_at()
    for tick in range(1, 50):
        assert watcher.observe(replace(BASE, heartbeat=(10 + tick) % 65536), tick * 0.1) == []


def test_a_latched_fault_is_reported():
    watcher = watcher_at()
    events = watcher.observe(replace(BASE, state=State.FAULT, fault=FaultCode.LIFT_JAM), 0.1)
    assert events == [StateChanged(State.IDLE, State.FAULT), FaultLatched(FaultCode.LIFT_JAM)]


def test_sensor_changes_carry_the_new_sensors():
    watcher = watcher_at()
    sensors = replace(BASE.sensors, pickup_curtain_clear=False)
    assert watcher.observe(replace(BASE, sensors=sensors), 0.1) == [SensorsChanged(sensors)]


def test_a_lost_link_is_reported_once_and_restored_once():
    watcher = watcher_at()
    lost = watcher.failed(DeviceTimeout("no answer"))
    assert len(lost) == 1 and isinstance(lost[0], ConnectionLost) and "DeviceTimeout" in lost[0].reason
    assert watcher.failed(DeviceTimeout("no answer")) == []
    assert watcher.observe(replace(BASE, heartbeat=20), 3.0) == [ConnectionRestored()]
    assert watcher.observe(replace(BASE, heartbeat=21), 3.1) == []
