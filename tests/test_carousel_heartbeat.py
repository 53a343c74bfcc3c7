"""The simulated PLC's HEARTBEAT counter and BOOT_ID, on a clock the test turns by hand."""

from __future__ import annotations

from sim.plc.heartbeat import Heartbeat, new_boot_id


class HandClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_heartbeat_counts_tenths_of_a_second_and_wraps():
    clock = HandClock()
    heartbeat = Heartbeat(clock)
    assert heartbeat.value() == 0
    clock.now += 0.25
    assert heartbeat.value() == 2
    clock.now += 6553.6  # 65536 more periods: round the clock
    assert heartbeat.value() == 2


def test_a_frozen_heartbeat_stands_still_and_resumes_where_it_stopped():
    clock = HandClock()
    heartbeat = Heartbeat(clock)
    clock.now += 1.0
    heartbeat.freeze()
    clock.now += 30.0
    assert heartbeat.value() == 10
    heartbeat.resume()
    assert heartbeat.value() == 10
    clock.now += 0.1
    assert heartbeat.value() == 11


def test_restart_counts_from_zero():
    clock = HandClock()
    heartbeat = Heartbeat(clock)
    clock.now += 5.0
    heartbeat.freeze()
    heartbeat.restart()
    assert heartbeat.value() == 0
    clock.now += 0.1
    assert heartbeat.value() == 1


def test_boot_ids_are_never_zero_nor_the_previous_one():
    previous = 0
    for _ in range(2000):
        boot_id = new_boot_id(previous)
        assert boot_id not in (0, previous) and boot_id <= 0xFFFF
        previous = boot_id
