"""The controller's journal: the only place loan state is written (see DESIGN.md)."""

from types import ModuleType

from kiosk.journal.lean_import import import_sqlite_utils

import_sqlite_utils()  # before any module of the journal imports it

from kiosk.journal.enums import (
    AuditReason,
    HoldEnd,
    IntentKind,
    MoveFailure,
    Outcome,
    Place,
    Refusal,
    ReturnRejection,
    Stage,
    TechnicianOutcome,
    UnstockReason,
)
from kiosk.journal.errors import JournalError, JournalRefused, MigrationError, PayloadError
from kiosk.journal.events import (
    OUTBOX_KINDS,
    AuditCleared,
    AuditFlagged,
    ConflictResolved,
    FaultRecorded,
    EventKind,
    HoldCancelled,
    HoldPlaced,
    HoldReleased,
    HoldReported,
    ItemLoaded,
    ItemLocated,
    ItemStocked,
    ItemUnstocked,
    PatronVerified,
    Payload,
    Renewed,
    RetractFailed,
    RetractStarted,
    ReturnDiverted,
    ReturnIdentified,
    ReturnRejected,
    ReturnShelved,
    ReturnStarted,
    StoreFailed,
    StoreStarted,
    TransferFailed,
    Transferred,
    TransferStarted,
    VendFailed,
    VendFetched,
    VendPresented,
    VendRetracted,
    VendStarted,
    VendTaken,
    WithdrawFailed,
    WithdrawFetched,
    WithdrawPresented,
    WithdrawStarted,
    decode_payload,
)
from kiosk.journal.journal import Journal, utc_now
from kiosk.journal.records import (
    AuditFlag,
    Backlog,
    Event,
    Hold,
    Intent,
    Item,
    Loan,
    OutboxConflict,
    TechnicianCommand,
    TechnicianLogEntry,
)

__all__ = [
    name for name, value in dict(globals()).items()
    if not name.startswith("_") and not isinstance(value, ModuleType) and name != "ModuleType"
]
