"""The library-system connector interface: typed models, refusals, one exception tree."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable
from uuid import UUID


class ConnectorError(Exception):
    """Base of every error a library connector raises."""


class LibraryUnavailable(ConnectorError):
    """The library system cannot be reached or failed (refused, dropped, 5xx): go offline."""


class LibraryTimeout(LibraryUnavailable):
    """The library system did not answer within the connector's timeout."""


class LibraryProtocolError(ConnectorError):
    """The library system answered something that is not a valid answer."""


class LibraryAuthError(ConnectorError):
    """The library system refused this machine's credentials (token, SIP2 login)."""


class DeliveryInterrupted(LibraryUnavailable):
    """A batch stopped at an event whose answer was lost; `results` are those of the events before."""

    def __init__(self, message: str, results: tuple[EventResult, ...],
                 cause: ConnectorError) -> None:
        super().__init__(message)
        self.results = results
        self.cause = cause


class Reason(enum.StrEnum):
    """Why the library refused a request (or reported a conflict). The UI translates."""

    UNKNOWN_PATRON = "unknown_patron"
    PIN_REQUIRED = "pin_required"
    BAD_PIN = "bad_pin"
    CARD_EXPIRED = "card_expired"
    PATRON_BLOCKED = "patron_blocked"
    NOT_CHECKED_IN = "not_checked_in"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"
    LIMIT_REACHED = "limit_reached"
    UNKNOWN_ITEM = "unknown_item"
    ITEM_NOT_AVAILABLE = "item_not_available"
    HELD_FOR_OTHER = "held_for_other"
    ALREADY_ON_LOAN = "already_on_loan"
    NOT_ON_LOAN = "not_on_loan"
    NOT_LOANED_TO_PATRON = "not_loaned_to_patron"
    RENEWAL_LIMIT = "renewal_limit"
    WRONG_LOCATION = "wrong_location"
    ITEM_AVAILABLE = "item_available"
    HOLD_EXISTS = "hold_exists"
    HOLD_NOT_FOUND = "hold_not_found"
    TRANSACTION_REUSED = "transaction_reused"
    UNKNOWN_MACHINE = "unknown_machine"
    FEES_OWED = "fees_owed"  # the patron owes more than the library's fee limit
    FEE_REQUIRED = "fee_required"  # this loan has a fee the patron has not acknowledged
    CHECKOUT_DISABLED = "checkout_disabled"  # the library has switched lending off (SIP2 98)
    UNSPECIFIED = "unspecified"


class ItemStatus(enum.StrEnum):
    """Where the library says a copy is."""

    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    ON_HOLD_SHELF = "on_hold_shelf"
    OTHER = "other"


class Outcome(enum.StrEnum):
    """What the library did with one delivered journal event."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # it had already taken effect (an earlier send whose answer was lost)
    CONFLICT = "conflict"  # recorded, with an objection
    REFUSED = "refused"  # not recorded: a technician must act


class EventKind(enum.StrEnum):
    """Journal events the library must know."""

    CHECKOUT = "checkout"
    CHECKIN = "checkin"
    RENEW = "renew"
    HOLD_PLACED = "hold_placed"
    HOLD_CANCELLED = "hold_cancelled"


@dataclass(frozen=True)
class Refusal:
    """The library understood the request and said no, for `reason`.

    `message` and `print_lines` are the library's own words (SIP2 AF/AG), shown and printed
    beside the kiosk's translation of `reason`; they do not take part in equality.
    """

    reason: Reason
    message: str | None = field(default=None, compare=False)
    print_lines: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Patron:
    """A member as the library knows them (the UI shows only a masked name)."""

    member_number: str
    name: str
    home_library: str | None
    expires_on: date | None


@dataclass(frozen=True)
class Loan:
    """One book a patron holds; `here` when it was lent by (is homed to) this machine."""

    item_id: str
    title: str
    due_at: datetime
    overdue: bool
    here: bool


@dataclass(frozen=True)
class PickupHold:
    """A copy waiting in this machine for a patron until `expires_at`."""

    item_id: str
    title: str
    patron: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class PatronStatus:
    """May the patron borrow here, why not, their limit, loans and holds ready here."""

    patron: Patron
    may_borrow: bool
    reason: Reason | None
    blocked_until: date | None
    loan_limit: int
    loans: tuple[Loan, ...]
    holds_ready: tuple[PickupHold, ...]
    fees_owed: str | None = None  # the amount as the library wrote it, with `currency`
    currency: str | None = None
    card_reported_lost: bool = False
    message: str | None = None  # the library's own words for the patron (SIP2 AF)
    print_lines: tuple[str, ...] = ()

    @property
    def remaining(self) -> int:
        """How many more books the patron may take from this machine now."""
        if not self.may_borrow:
            return 0
        return max(0, self.loan_limit - sum(1 for loan in self.loans if loan.here))


@dataclass(frozen=True)
class LibraryHold:
    """A hold the library keeps on a copy of this machine: the first in line for it.

    `ready`: the copy waits at this machine for the patron until `expires_at` (the library's
    own expiry); not ready: the copy is out and the patron is next when it comes back.
    """

    item_id: str
    patron: str
    ready: bool
    expires_at: datetime | None


@dataclass(frozen=True)
class ItemInfo:
    """A copy: its catalogue data, owner, home machine and circulation status."""

    item_id: str
    title: str
    authors: str | None
    isbn13: str | None
    owner: str | None
    home_machine: str | None
    status: ItemStatus
    due_at: datetime | None
    hold_queue: int


@dataclass(frozen=True)
class LoanResult:
    """A recorded checkout or renewal; `conflict` when recorded despite a block."""

    item_id: str
    patron: str
    due_at: datetime
    duplicate: bool
    conflict: Reason | None


@dataclass(frozen=True)
class ReturnResult:
    """A recorded return: who had it, how late, and whether a hold now waits for it."""

    item_id: str
    patron: str | None
    late_days: int
    hold_waiting: bool
    duplicate: bool
    conflict: Reason | None
    alert: str | None = None  # SIP2 CV alert type when the library raised one
    hold_patron: str | None = None  # for whom the copy is now held, when the library says
    hold_expires_at: datetime | None = None  # until when that hold waits, when it says


@dataclass(frozen=True)
class HoldResult:
    """A hold placed or cancelled: its state and, when ready, its pickup expiry."""

    item_id: str
    patron: str
    state: str
    expires_at: datetime | None
    duplicate: bool


@dataclass(frozen=True)
class LibraryInfo:
    """Who the library is and what its clock says."""

    library: str
    name: str
    now: datetime
    checkout_ok: bool = True  # what the library allows now (SIP2 98 flags)
    checkin_ok: bool = True
    renewal_ok: bool = True
    offline_ok: bool = True  # may the kiosk lend while it cannot reach the library


@dataclass(frozen=True)
class JournalEvent:
    """One event of the kiosk's journal outbox, as delivered to the library."""

    id: UUID
    kind: EventKind
    occurred_at: datetime
    item_id: str
    patron: str | None
    machine_id: str
    resend: bool = False  # an earlier send may have taken effect: ask before sending again
    offline: bool = False  # it happened while the library could not be reached
    due_on: date | None = None  # the due date the patron was given (checkout, renewal)
    due_before: date | None = None  # a renewal: the loan's due date before it


@dataclass(frozen=True)
class EventResult:
    """The library's verdict on one delivered event."""

    event_id: UUID
    outcome: Outcome
    reason: Reason | None
    hold: LibraryHold | None = None  # a return: the hold it made ready, when the library says


@runtime_checkable
class LibraryConnector(Protocol):
    """What the kiosk asks of the library system; every call blocks (run it in a thread).

    Refusals are returned as Refusal; transport failures raise LibraryUnavailable,
    nonsense answers LibraryProtocolError. `when` is honoured for no-block (offline)
    transactions only; online ones happen at the library's clock.
    """

    def info(self) -> LibraryInfo:
        """The library's identity and clock (also a cheap reachability check)."""

    def lookup_card(self, card_uid: str, pin: str | None = None) -> Patron | Refusal:
        """The patron holding the card with this UID (hex), checking the PIN if given."""

    def lookup_member(self, member_number: str, pin: str | None = None) -> Patron | Refusal:
        """The patron with this member number (barcode, QR), checking the PIN if given."""

    def patron_status(self, member_number: str) -> PatronStatus | Refusal:
        """May the patron borrow here, with their loans and holds ready at this machine."""

    def item_info(self, item_id: str) -> ItemInfo | Refusal:
        """What the library knows of one copy."""

    def checkout(self, patron: str, item_id: str, transaction_id: UUID,
                 when: datetime | None = None, no_block: bool = False) -> LoanResult | Refusal:
        """Lend the copy; idempotent by transaction_id."""

    def checkin(self, item_id: str, transaction_id: UUID, when: datetime | None = None,
                no_block: bool = False) -> ReturnResult | Refusal:
        """Take the copy back; idempotent by transaction_id."""

    def renew(self, patron: str, item_id: str, transaction_id: UUID,
              when: datetime | None = None, no_block: bool = False) -> LoanResult | Refusal:
        """Extend the loan once; idempotent by transaction_id."""

    def place_hold(self, patron: str, item_id: str, transaction_id: UUID) -> HoldResult | Refusal:
        """Reserve a copy that is out, for pickup at this machine."""

    def cancel_hold(self, patron: str, item_id: str, transaction_id: UUID) -> HoldResult | Refusal:
        """Cancel the patron's hold on the copy."""

    def holds_for_pickup(self, item_ids: Sequence[str]) -> tuple[PickupHold, ...]:
        """Holds ready at this machine on the given copies (the machine's contents)."""

    def holds_here(self) -> tuple[LibraryHold, ...] | None:
        """Every hold on this machine's copies, first in line per copy, placed anywhere.

        None when the protocol offers no such list (SIP2): holds then arrive with returns.
        """

    def catalogue(self, item_ids: Sequence[str]) -> tuple[ItemInfo, ...]:
        """Catalogue data of the given copies, in order; unknown copies are left out."""

    def deliver_events(self, events: Sequence[JournalEvent]) -> tuple[EventResult, ...]:
        """Deliver journal events in order; one result per event, same order."""

    def end_session(self, patron: str) -> bool:
        """Tell the library that the patron's session at the machine has ended; whether it agreed."""

    def block_patron(self, patron: str, message: str, card_retained: bool = False) -> bool:
        """Ask the library to block a card (reported lost or stolen, or kept); whether it did."""

    def close(self) -> None:
        """Release the connection."""
