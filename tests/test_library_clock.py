"""The library emulator's clock: moved by hand, and running at the simulator's speed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from sim.library.clock import LibraryClock


def test_a_scaled_clock_runs_rate_times_faster_than_real_time() -> None:
    clock = LibraryClock(rate=1000)
    time.sleep(0.02)  # at least 20 ms of real time: at least 20 s of the library's
    assert clock.offset >= timedelta(seconds=0.02 * 999)


def test_moving_a_scaled_clock_adds_to_its_lead() -> None:
    clock = LibraryClock(rate=1000)
    time.sleep(0.01)
    before = clock.offset
    clock.advance(timedelta(days=3))
    assert clock.offset >= before + timedelta(days=3)


def test_setting_the_offset_of_a_scaled_clock_starts_its_lead_again() -> None:
    clock = LibraryClock(rate=1000)
    time.sleep(0.01)
    clock.offset = timedelta(hours=5)
    assert timedelta(hours=5) <= clock.offset < timedelta(hours=6)


def test_a_real_time_clock_has_no_lead() -> None:
    clock = LibraryClock()
    time.sleep(0.01)
    assert clock.offset == timedelta(0)


@pytest.mark.parametrize("rate", [0, 0.05, 1001])
def test_a_rate_outside_the_simulators_speeds_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="clock rate"):
        LibraryClock(rate=rate)
