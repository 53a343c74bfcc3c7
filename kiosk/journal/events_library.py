"""Payloads of the library's side: renewals, holds, patrons' standing, settled conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk.journal.enums import HoldEnd
from kiosk.journal.errors import PayloadError
from kiosk.journal.event_base import NOTE_MAX, EventKind, Payload


@dataclass(frozen=True)
class Renewed(Payload):
    """A loan got a new due date."""

    kind = EventKind.RENEWED
    outbox = True
    item_id: str
    patron_id: str
    due: date


@dataclass(frozen=True)
class HoldPlaced(Payload):
    """A patron holds an item; it is kept for them once it is on a shelf here."""

    kind = EventKind.HOLD_PLACED
    outbox = True
    item_id: str
    patron_id: str


@dataclass(frozen=True)
class HoldCancelled(Payload):
    """A hold ended without a loan (cancelled or expired)."""

    kind = EventKind.HOLD_CANCELLED
    outbox = True
    item_id: str
    patron_id: str
    reason: HoldEnd

    def check(self) -> None:
        if self.reason is HoldEnd.FULFILLED:
            raise PayloadError("HoldCancelled.reason fulfilled is recorded by vend_taken")


@dataclass(frozen=True)
class HoldReported(Payload):
    """The library holds this item for a patron (placed anywhere); `expires_at`: its pickup
    deadline when the library gives one."""

    kind = EventKind.HOLD_REPORTED
    item_id: str
    patron_id: str
    expires_at: datetime | None = None
    ready: bool = False  # the library says the copy waits here for the patron


@dataclass(frozen=True)
class HoldReleased(Payload):
    """The library no longer holds this item for the patron (it expired or ended there)."""

    kind = EventKind.HOLD_RELEASED
    item_id: str
    patron_id: str


@dataclass(frozen=True)
class PatronVerified(Payload):
    """The library system answered about a patron (kept for offline lending)."""

    kind = EventKind.PATRON_VERIFIED
    patron_id: str
    good_standing: bool


@dataclass(frozen=True)
class ConflictResolved(Payload):
    """A technician settled an outbox conflict at the library: it is no longer open."""

    kind = EventKind.CONFLICT_RESOLVED
    event_id: str  # the outbox event the library objected to
    resolved_by: str
    note: str | None = None

    def check(self) -> None:
        if self.note is not None and len(self.note) > NOTE_MAX:
            raise PayloadError(f"ConflictResolved.note is longer than {NOTE_MAX} characters")
