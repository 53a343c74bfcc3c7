"""The library's clock: real time plus an offset that tests and demos can move."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


class LibraryClock:
    """Now in the library's timezone, shifted by an adjustable offset."""

    def __init__(self, tz: str = "Asia/Seoul") -> None:
        self.tz = ZoneInfo(tz)
        self.offset = timedelta(0)

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
