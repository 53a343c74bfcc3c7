"""Event kinds and their payloads: typed, validated when built or decoded.

The payloads of moves, stock and audits are here; those of the library's side and the
technician's in events_library.py and events_technician.py; every one is importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.journal.codec import NonNegative, PlcSeq, decode
from kiosk.journal.enums import (
    AuditReason,
    MoveFailure,
    Place,
    ReturnRejection,
    UnstockReason,
)
from kiosk.journal.errors import PayloadError
from kiosk.journal.event_base import (  # noqa: F401  re-exported
    FAULT_CODE_MAX,
    NOTE_MAX,
    SUBJECT_MAX,
    YEAR_RANGE,
    EventKind,
    Payload,
    Year,
)


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


from kiosk.journal.events_library import (  # noqa: E402,F401  registered and re-exported
    ConflictResolved,
    HoldCancelled,
    HoldPlaced,
    HoldReleased,
    HoldReported,
    PatronVerified,
    Renewed,
)
from kiosk.journal.events_technician import (  # noqa: E402,F401  registered and re-exported
    FaultRecorded,
    WithdrawFailed,
    WithdrawFetched,
    WithdrawPresented,
    WithdrawStarted,
)

PAYLOADS: dict[EventKind, type[Payload]] = {
    cls.kind: cls for cls in Payload.__subclasses__()
}
OUTBOX_KINDS = frozenset(kind for kind, cls in PAYLOADS.items() if cls.outbox)


def decode_payload(kind: str, data: dict[str, Any]) -> Payload:
    """Build the payload of `kind` from plain data; PayloadError if either is bad."""
    try:
        cls = PAYLOADS[kind if type(kind) is EventKind else EventKind(kind)]
    except ValueError:
        raise PayloadError(f"unknown event kind {kind!r}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"{kind} payload must be an object, not {type(data).__name__}")
    return decode(cls, data)
