"""The journal's event kinds and the payloads' base class (kiosk/journal/events*.py hold the payloads)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, ClassVar

from kiosk.journal.codec import Bounds, check_fields

YEAR_RANGE = (-3000, 2100)  # an item's publication year (negative: BCE)
Year = Annotated[int, Bounds(*YEAR_RANGE)]
SUBJECT_MAX = 16  # characters of an item's subject class
NOTE_MAX = 500  # characters of a technician's note
FAULT_CODE_MAX = 64


class EventKind(StrEnum):
    """Every kind of event the journal stores."""

    ITEM_STOCKED = "item_stocked"
    ITEM_UNSTOCKED = "item_unstocked"
    ITEM_LOCATED = "item_located"
    ITEM_LOADED = "item_loaded"
    VEND_STARTED = "vend_started"
    VEND_FETCHED = "vend_fetched"
    VEND_PRESENTED = "vend_presented"
    VEND_TAKEN = "vend_taken"
    VEND_FAILED = "vend_failed"
    RETRACT_STARTED = "retract_started"
    VEND_RETRACTED = "vend_retracted"
    RETRACT_FAILED = "retract_failed"
    RETURN_STARTED = "return_started"
    RETURN_IDENTIFIED = "return_identified"
    RETURN_REJECTED = "return_rejected"
    STORE_STARTED = "store_started"
    RETURN_SHELVED = "return_shelved"
    RETURN_DIVERTED = "return_diverted"
    STORE_FAILED = "store_failed"
    TRANSFER_STARTED = "transfer_started"
    TRANSFERRED = "transferred"
    TRANSFER_FAILED = "transfer_failed"
    AUDIT_FLAGGED = "audit_flagged"
    AUDIT_CLEARED = "audit_cleared"
    CONFLICT_RESOLVED = "conflict_resolved"
    RENEWED = "renewed"
    HOLD_PLACED = "hold_placed"
    HOLD_CANCELLED = "hold_cancelled"
    HOLD_REPORTED = "hold_reported"
    HOLD_RELEASED = "hold_released"
    PATRON_VERIFIED = "patron_verified"
    WITHDRAW_STARTED = "withdraw_started"
    WITHDRAW_FETCHED = "withdraw_fetched"
    WITHDRAW_PRESENTED = "withdraw_presented"
    WITHDRAW_FAILED = "withdraw_failed"
    FAULT_RECORDED = "fault_recorded"


@dataclass(frozen=True)
class Payload:
    """Base of every payload; subclasses set `kind` and, if the library must know, `outbox`."""

    kind: ClassVar[EventKind]
    outbox: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise PayloadError unless every field and cross-field rule holds."""
        check_fields(self)
        self.check()

    def check(self) -> None:
        """Rules across fields; raise PayloadError."""
