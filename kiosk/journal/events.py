"""Event kinds and their payloads: typed, validated when built or decoded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from kiosk.journal.codec import Bounds, NonNegative, PlcSeq, check_fields, decode
from kiosk.journal.enums import (
    AuditReason,
    HoldEnd,
    MoveFailure,
    Place,
    ReturnRejection,
    UnstockReason,
)
from kiosk.journal.errors import PayloadError

YEAR_RANGE = (-3000, 2100)  # an item's publication year (negative: BCE)
Year = Annotated[int, Bounds(*YEAR_RANGE)]
SUBJECT_MAX = 16  # characters of an item's subject class


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


@dataclass(frozen=True)
class ItemStocked(Payload):
    """A technician put a new (or previously removed) item into a free slot."""

    kind = EventKind.ITEM_STOCKED
    item_id: str
    uid: str  # RFID tag UID, upper-case hex
    title: str
    slot: NonNegative
    authors: str | None = None
    year: Year | None = None  # publication year (negative: BCE)
    subject: str | None = None  # subject class, e.g. a KDC main class "800"
    popularity: float | None = None  # 0..1, the catalogue's popularity weight

    def check(self) -> None:
        _check_facts(self)


def _check_facts(p: "ItemStocked | ItemLoaded") -> None:
    """The catalogue facts of a new item: subject printable and short, popularity 0..1."""
    name = type(p).__name__
    if p.subject is not None and not (len(p.subject) <= SUBJECT_MAX and p.subject.isprintable()):
        raise PayloadError(f"{name}.subject {p.subject!r} is not 1..{SUBJECT_MAX} "
                           "printable characters")
    if p.popularity is not None and not 0.0 <= p.popularity <= 1.0:
        raise PayloadError(f"{name}.popularity = {p.popularity!r} is out of range 0..1")


@dataclass(frozen=True)
class ItemLoaded(Payload):
    """A technician put a new (or previously removed) item into the return port (`kiosk load`);
    `intent_id`: the load's open return intent, which it closes. A store shelves it next."""

    kind = EventKind.ITEM_LOADED
    item_id: str
    uid: str  # RFID tag UID, upper-case hex
    title: str
    intent_id: str | None = None
    authors: str | None = None
    year: Year | None = None
    subject: str | None = None
    popularity: float | None = None

    def check(self) -> None:
        _check_facts(self)


@dataclass(frozen=True)
class ItemUnstocked(Payload):
    """A technician took an item out of the machine; from the pickup port, it ends its withdraw
    (`inferred`: recovery proved the take from the journal and the sensors)."""

    kind = EventKind.ITEM_UNSTOCKED
    item_id: str
    reason: UnstockReason
    inferred: bool = False


CABINET_PLACES = frozenset(
    {Place.SLOT, Place.PICKUP_PORT, Place.RETURN_PORT, Place.PICKER, Place.BIN}
)


@dataclass(frozen=True)
class ItemLocated(Payload):
    """An audit proved where an unknown item is (a tag read by an antenna)."""

    kind = EventKind.ITEM_LOCATED
    item_id: str
    place: Place
    slot: NonNegative | None = None

    def check(self) -> None:
        if self.place not in CABINET_PLACES:
            raise PayloadError(f"ItemLocated.place {self.place.value} is not in the cabinet")
        if (self.place is Place.SLOT) != (self.slot is not None):
            raise PayloadError("ItemLocated.slot is required for a slot, and only for a slot")


@dataclass(frozen=True)
class VendStarted(Payload):
    """Intent: FETCH this item's slot to the pickup port for this patron."""

    kind = EventKind.VEND_STARTED
    item_id: str
    slot: NonNegative
    patron_id: str
    session_id: str
    plc_seq: PlcSeq


@dataclass(frozen=True)
class VendFetched(Payload):
    """The FETCH finished OK: the item is in the pickup port, door shut."""

    kind = EventKind.VEND_FETCHED
    item_id: str


@dataclass(frozen=True)
class VendPresented(Payload):
    """The pickup door opened: the patron can take the item."""

    kind = EventKind.VEND_PRESENTED
    item_id: str


@dataclass(frozen=True)
class VendTaken(Payload):
    """The patron took the item out of the pickup port: the loan."""

    kind = EventKind.VEND_TAKEN
    outbox = True
    item_id: str
    patron_id: str
    due: date
    offline: bool = False  # lent while the library system was unreachable
    inferred: bool = False  # recovery proved the take from the journal and the sensors


@dataclass(frozen=True)
class VendFailed(Payload):
    """The FETCH did not finish OK."""

    kind = EventKind.VEND_FAILED
    item_id: str
    reason: MoveFailure


@dataclass(frozen=True)
class RetractStarted(Payload):
    """Intent: RETRACT the item in the pickup port into this slot."""

    kind = EventKind.RETRACT_STARTED
    item_id: str
    slot: NonNegative
    plc_seq: PlcSeq


@dataclass(frozen=True)
class VendRetracted(Payload):
    """The RETRACT finished OK: the item is back in a slot, no loan."""

    kind = EventKind.VEND_RETRACTED
    item_id: str


@dataclass(frozen=True)
class RetractFailed(Payload):
    """The RETRACT did not finish OK."""

    kind = EventKind.RETRACT_FAILED
    item_id: str
    reason: MoveFailure


@dataclass(frozen=True)
class ReturnStarted(Payload):
    """Intent: the return shutter opens for a patron to insert a book."""

    kind = EventKind.RETURN_STARTED
    session_id: str
    plc_seq: PlcSeq | None = None


@dataclass(frozen=True)
class ReturnIdentified(Payload):
    """The book in the return port is this machine's, on loan: the loan ends (check-in)."""

    kind = EventKind.RETURN_IDENTIFIED
    outbox = True
    intent_id: str
    item_id: str
    days_late: NonNegative = 0


@dataclass(frozen=True)
class ReturnRejected(Payload):
    """The book was handed back (or nothing came): the return intent ends."""

    kind = EventKind.RETURN_REJECTED
    intent_id: str
    reason: ReturnRejection
    uid: str | None = None
    item_id: str | None = None


@dataclass(frozen=True)
class StoreStarted(Payload):
    """Intent: STORE the item in the return port into a slot, or into the bin (slot None)."""

    kind = EventKind.STORE_STARTED
    item_id: str
    slot: NonNegative | None
    plc_seq: PlcSeq


@dataclass(frozen=True)
class ReturnShelved(Payload):
    """The STORE finished OK: the item is in its slot."""

    kind = EventKind.RETURN_SHELVED
    item_id: str


@dataclass(frozen=True)
class ReturnDiverted(Payload):
    """The DIVERT_RETURN finished OK: the item is in the overflow bin."""

    kind = EventKind.RETURN_DIVERTED
    item_id: str


@dataclass(frozen=True)
class StoreFailed(Payload):
    """The STORE (or DIVERT_RETURN) did not finish OK."""

    kind = EventKind.STORE_FAILED
    item_id: str
    reason: MoveFailure


@dataclass(frozen=True)
class TransferStarted(Payload):
    """Intent: TRANSFER the item from its slot to another (re-slotting)."""

    kind = EventKind.TRANSFER_STARTED
    item_id: str
    to_slot: NonNegative
    plc_seq: PlcSeq


@dataclass(frozen=True)
class Transferred(Payload):
    """The TRANSFER finished OK."""

    kind = EventKind.TRANSFERRED
    item_id: str


@dataclass(frozen=True)
class TransferFailed(Payload):
    """The TRANSFER did not finish OK."""

    kind = EventKind.TRANSFER_FAILED
    item_id: str
    reason: MoveFailure


@dataclass(frozen=True)
class AuditFlagged(Payload):
    """Something cannot be proven: an item becomes unknown, a slot or port is blocked."""

    kind = EventKind.AUDIT_FLAGGED
    reason: AuditReason
    item_id: str | None = None
    slot: NonNegative | None = None
    place: Place | None = None
    intent_id: str | None = None  # closed with outcome AUDIT

    def check(self) -> None:
        if (self.item_id, self.slot, self.place, self.intent_id) == (None, None, None, None):
            raise PayloadError("AuditFlagged needs an item_id, a slot, a place or an intent_id")


@dataclass(frozen=True)
class AuditCleared(Payload):
    """A technician resolved an audit flag."""

    kind = EventKind.AUDIT_CLEARED
    flag_id: str
    cleared_by: str


NOTE_MAX = 500  # characters of a technician's note
FAULT_CODE_MAX = 64


@dataclass(frozen=True)
class FaultRecorded(Payload):
    """The machine went out of service (for the statistics; it changes no state)."""

    kind = EventKind.FAULT_RECORDED
    code: str  # the fault's code: jam, door_blocked, interlock, device, …
    detail: str | None = None

    def check(self) -> None:
        if len(self.code) > FAULT_CODE_MAX or len(self.detail or "") > NOTE_MAX:
            raise PayloadError(f"FaultRecorded code 1..{FAULT_CODE_MAX}, detail up to "
                               f"{NOTE_MAX} characters")


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
class WithdrawStarted(Payload):
    """Intent: FETCH this item's slot to the pickup port for a technician to take out."""

    kind = EventKind.WITHDRAW_STARTED
    item_id: str
    slot: NonNegative
    plc_seq: PlcSeq


@dataclass(frozen=True)
class WithdrawFetched(Payload):
    """The withdraw's FETCH finished OK: the item is in the pickup port, door shut."""

    kind = EventKind.WITHDRAW_FETCHED
    item_id: str


@dataclass(frozen=True)
class WithdrawPresented(Payload):
    """The pickup door opened for the technician to take the item."""

    kind = EventKind.WITHDRAW_PRESENTED
    item_id: str


@dataclass(frozen=True)
class WithdrawFailed(Payload):
    """The withdraw's FETCH did not finish OK."""

    kind = EventKind.WITHDRAW_FAILED
    item_id: str
    reason: MoveFailure


PAYLOADS: dict[EventKind, type[Payload]] = {
    cls.kind: cls for cls in Payload.__subclasses__()
}
OUTBOX_KINDS = frozenset(kind for kind, cls in PAYLOADS.items() if cls.outbox)


def decode_payload(kind: str, data: dict[str, Any]) -> Payload:
    """Build the payload of `kind` from plain data; PayloadError if either is bad."""
    try:
        cls = PAYLOADS[EventKind(kind)]
    except ValueError:
        raise PayloadError(f"unknown event kind {kind!r}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"{kind} payload must be an object, not {type(data).__name__}")
    return decode(cls, data)
