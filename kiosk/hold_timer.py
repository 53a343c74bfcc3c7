"""The hold timer: wakes the controller at the last moment of the next ready hold.

The screen's list, the journal's checks and this timer use one rule (policy.hold_expires_at),
so a hold ends at that moment, not on a periodic tick.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk import patron
from kiosk.inbox import Query
from kiosk.journal import utc_now
from kiosk.policy import LAST_SECOND

if TYPE_CHECKING:
    from kiosk.controller import Controller

AFTER = 0.05  # seconds past the last second, so the hold is over when the timer runs


class HoldTimer:
    """One pending wake-up for the earliest ready hold's expiry; re-armed on every change."""

    def __init__(self, ctl: "Controller") -> None:
        self._ctl = ctl
        self._handle: asyncio.TimerHandle | None = None
        self._when: datetime | None = None

    def arm(self) -> None:
        """Set the wake-up for the earliest expiry now in the journal (none: no timer)."""
        if self._ctl.journal is None:  # not started yet
            return
        when = patron.next_hold_expiry(self._ctl)
        if when == self._when and self._handle is not None:
            return
        self.cancel()
        if when is None:
            return
        delay = max(0.0, (when + LAST_SECOND - utc_now()).total_seconds()) + AFTER
        loop = asyncio.get_running_loop()
        self._when = when
        self._handle = loop.call_later(delay, self._expire)

    def cancel(self) -> None:
        """No wake-up."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle, self._when = None, None

    def _expire(self) -> None:
        self._handle, self._when = None, None
        self._ctl.post(Query(patron.expire_holds, ()))
