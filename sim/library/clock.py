"""The library's clock: real time plus an offset that tests and demos can move, optionally
running `rate` times faster than real time (the simulator's scaled time)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


class LibraryClock:
    """Now in the library's timezone, shifted by an adjustable offset, at `rate` x real time."""

    def __init__(self, tz: str = "Asia/Seoul", rate: float = 1.0) -> None:
        if not 0.1 <= rate <= 1000:
            raise ValueError(f"clock rate {rate} outside 0.1..1000")
        self.tz = ZoneInfo(tz)
        self.rate = rate
        self._moved = timedelta(0)  # what tests and demos moved it by
        self._started = time.monotonic()

    def _lead(self) -> timedelta:
        """How far scaled time has run ahead of real time since the clock started."""
        return timedelta(seconds=(time.monotonic() - self._started) * (self.rate - 1))

    @property
    def offset(self) -> timedelta:
        """How far the clock reads ahead of real time (moved, plus scaled time's lead)."""
        return self._moved + self._lead()

    @offset.setter
    def offset(self, value: timedelta) -> None:
        self._moved = value - self._lead()

    def now(self) -> datetime:
        """The library's current time (aware, library timezone, whole seconds)."""
        return (datetime.now(self.tz) + self.offset).replace(microsecond=0)

    def today(self) -> date:
        """The library's current calendar date."""
        return self.now().date()

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back) by `delta`; return the new now."""
        self.offset += delta
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Make the clock read `when` (aware) from now on; return the new now."""
        self.offset = when - datetime.now(self.tz)
        return self.now()
