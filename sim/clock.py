"""Scaled time: motions take their reference duration divided by the speed."""

from __future__ import annotations

import asyncio
import time


class SimClock:
    """Simulated seconds run `speed` times faster than real ones."""

    def __init__(self, speed: float = 1.0):
        if not 0.1 <= speed <= 1000:
            raise ValueError(f"speed {speed} outside 0.1..1000")
        self.speed = speed
        self._start = time.monotonic()

    def now(self) -> float:
        """Simulated seconds since the clock was made."""
        return (time.monotonic() - self._start) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of simulated time."""
        if seconds > 0:
            await asyncio.sleep(seconds / self.speed)
