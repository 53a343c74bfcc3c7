"""What the journal's read API returns: rows of the derived tables and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk.journal.enums import (
    AuditReason,
    HoldEnd,
    IntentKind,
    Outcome,
    Place,
    Stage,
    TechnicianOutcome,
)
from kiosk.journal.events import EventKind, Payload


@dataclass(frozen=True)
class Event:
    """One stored event."""

    seq: int
    uuid: str
    kind: EventKind
    at: datetime
    payload: Payload


@dataclass(frozen=True)
class Item:
    """A book of this machine and where it is."""

    item_id: str
    uid: str
    title: str
    authors: str | None
    place: Place
    slot: int | None
    year: int | None = None  # publication year, when the loading list gave it
    subject: str | None = None  # subject class (e.g. KDC "800"), likewise
    popularity: float | None = None  # 0..1, likewise


@dataclass(frozen=True)
class Intent:
    """A physical operation, open until its outcome is written."""

    intent_id: str  # uuid of the event that opened it
    kind: IntentKind
    stage: Stage
    item_id: str | None
    slot: int | None  # vend, transfer: source; retract, store: destination (None: bin)
    to_slot: int | None  # transfer: destination
    patron_id: str | None
    session_id: str | None
    plc_seq: int | None
    opened_at: datetime
    closed_at: datetime | None
    outcome: Outcome | None

    @property
    def is_open(self) -> bool:
        """True until an outcome closed it."""
        return self.outcome is None


@dataclass(frozen=True)
class Loan:
    """A loan: it exists from the moment the patron took the book."""

    loan_id: str  # uuid of the vend_taken event
    item_id: str
    patron_id: str
    taken_at: datetime
    due: date
    renewals: int
    offline: bool
    returned_at: datetime | None
    days_late: int | None


@dataclass(frozen=True)
class AuditFlag:
    """Something the journal cannot prove, until a technician clears it."""

    flag_id: str  # uuid of the event that raised it
    reason: AuditReason
    item_id: str | None
    slot: int | None
    place: Place | None
    intent_id: str | None
    raised_at: datetime
    cleared_by: str | None
    cleared_at: datetime | None


@dataclass(frozen=True)
class Hold:
    """A hold of one patron on one item; ready once the item is on a shelf here."""

    hold_id: str
    item_id: str
    patron_id: str
    placed_at: datetime
    ready_at: datetime | None
    ended_at: datetime | None
    end_reason: HoldEnd | None
    expires_at: datetime | None = None  # the library's pickup deadline, when it gave one
    source: str = "machine"  # "machine": placed at this screen; "library": reported by it


@dataclass(frozen=True)
class Backlog:
    """Events the library system has not yet acknowledged."""

    count: int
    oldest_at: datetime | None

    def oldest_age_seconds(self, now: datetime) -> float:
        """Age of the oldest undelivered event (0 when there is none)."""
        return 0.0 if self.oldest_at is None else (now - self.oldest_at).total_seconds()


@dataclass(frozen=True)
class TechnicianCommand:
    """A changing command to write in the technician log: who, what, with which arguments."""

    uid: int | None  # the socket peer's uid (None: the socket could not tell)
    user: str
    request: str  # its control-request name, e.g. "sync.now"
    args: dict  # summarised: no PIN, long lists counted rather than copied


@dataclass(frozen=True)
class TechnicianLogEntry:
    """One row of the technician log."""

    entry_id: int
    at: datetime
    uid: int | None
    user: str
    request: str
    args: dict
    outcome: TechnicianOutcome | None  # None: not ended (still running, or the controller stopped)
    detail: str | None
    ended_at: datetime | None


@dataclass(frozen=True)
class OutboxConflict:
    """An outbox event the library objected to (recorded with an objection, or refused)."""

    event: Event
    conflict: str  # the library's reason code (kiosk.connectors.Reason's value)
    refused: bool  # the library did not record it at all
    delivered_at: datetime  # when the library answered
    resolved_by: str | None = None  # the technician who settled it, once settled
    resolved_at: datetime | None = None
    note: str | None = None

    @property
    def is_open(self) -> bool:
        """True until a technician marked it resolved."""
        return self.resolved_at is None
