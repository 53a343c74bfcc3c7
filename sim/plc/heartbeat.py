"""BOOT_ID and HEARTBEAT: the PLC's signs of life, in real time whatever the simulation speed."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from drivers.carousel.registers import HEARTBEAT_PERIOD, WORD_MAX


def new_boot_id(previous: int = 0) -> int:
    """A BOOT_ID for a power-up: never 0 and never the previous one."""
    while True:
        boot_id = random.randint(1, WORD_MAX)
        if boot_id != previous:
            return boot_id


class Heartbeat:
    """HEARTBEAT: +1 every HEARTBEAT_PERIOD of real time (`clock`), wrapping at 65535; can freeze."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._origin = clock()
        self._frozen: int | None = None

    def value(self) -> int:
        """The register's value now."""
        if self._frozen is not None:
            return self._frozen
        return int((self._clock() - self._origin) / HEARTBEAT_PERIOD) & WORD_MAX

    def freeze(self) -> None:
        """Stop counting (the PLC hangs)."""
        if self._frozen is None:
            self._frozen = self.value()

    def resume(self) -> None:
        """Count on from the frozen value."""
        if self._frozen is not None:
            self._origin = self._clock() - (self._frozen + 0.5) * HEARTBEAT_PERIOD
            self._frozen = None

    def restart(self) -> None:
        """Count from 0 again (power-up)."""
        self._origin = self._clock()
        self._frozen = None
