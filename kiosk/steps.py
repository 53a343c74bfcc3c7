"""The events the state machine takes, what an action reports back, and a fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Event(StrEnum):
    """Every event the transition table knows; the value is the table's event name."""

    # start-up, homing, recovery
    STARTED = "started"
    HOMED = "homed"
    RECOVERY_NEEDS_RETRACT = "recovery_needs_retract"
    RECOVERY_NEEDS_RETURN = "recovery_needs_return"
    RECOVERY_NEEDS_SHELVING = "recovery_needs_shelving"
    RECOVERED = "recovered"
    HOURS_CHANGED = "hours_changed"
    # a patron session
    CARD_PRESENTED = "card_presented"
    CARD_UNREADABLE = "card_unreadable"
    PATRON_FOUND = "patron_found"
    PIN_NEEDED = "pin_needed"
    PIN_ENTERED = "pin_entered"
    PIN_REJECTED = "pin_rejected"
    PIN_ACCEPTED = "pin_accepted"
    PATRON_REFUSED = "patron_refused"
    CART_ADD = "cart_add"
    CART_REMOVE = "cart_remove"
    CART_CONFIRMED = "cart_confirmed"
    LOANS_ASKED = "loans_asked"
    HOLDS_ASKED = "holds_asked"
    STILL_HERE = "still_here"
    RENEW = "renew"
    RENEWAL_ASKED = "renewal_asked"  # the library is asked (online)
    RENEWAL_ANSWERED = "renewal_answered"
    HOLD = "hold"
    SESSION_ENDED = "session_ended"
    # prefetch and vend
    PREFETCH_STARTED = "prefetch_started"
    BOOK_PREFETCHED = "book_prefetched"
    PREFETCH_MISSED = "prefetch_missed"
    BOOK_FETCHED = "book_fetched"
    SLOT_WAS_EMPTY = "slot_was_empty"
    BOOK_VERIFIED = "book_verified"
    WRONG_BOOK = "wrong_book"
    PICKUP_OPENED = "pickup_opened"
    BOOK_TAKEN = "book_taken"
    TAKE_TIMED_OUT = "take_timed_out"
    PICKUP_CLOSED = "pickup_closed"
    BOOK_RETRACTED = "book_retracted"
    BOOK_TAKEN_LATE = "book_taken_late"  # grabbed as the door closed on a retract: a loan
    # a return
    RETURN_REQUESTED = "return_requested"
    RETURN_OPENED = "return_opened"
    BOOK_INSERTED = "book_inserted"
    INSERT_TIMED_OUT = "insert_timed_out"
    RETURN_CLOSED = "return_closed"
    RETURN_ACCEPTED = "return_accepted"
    RETURN_REJECTED = "return_rejected"
    RETURN_OVERFLOW = "return_overflow"
    RETURN_DONE = "return_done"
    # faults and the technician
    FAULT = "fault"
    DEVICE_FAULT = "device_fault"
    MAINTENANCE_STARTED = "maintenance_started"
    MAINTENANCE_ENDED = "maintenance_ended"
    RESET = "reset"
    STOCK = "stock"
    JOB_STARTED = "job_started"
    JOB_DONE = "job_done"
    JOB_GAVE_WAY = "job_gave_way"  # stopped after its current move for a patron, served next


@dataclass(frozen=True)
class Step:
    """The event an action ends with, and its payload (a flow object the next state takes)."""

    event: Event
    payload: dict[str, Any] = field(default_factory=dict)


class Fault(Exception):
    """An action found the machine unsafe to go on: out of service until a technician comes."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class StartRefused(Exception):
    """The PLC is not the machine the config and the journal describe: the controller stops."""


class Refused(Exception):
    """A request the kiosk says no to; `code` is what the screen (or the CLI) translates."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Reply:
    """A request handler's answer, and the event it sends (None: the request changes no state)."""

    answer: Any = None
    event: Event | None = None
    payload: dict[str, Any] = field(default_factory=dict)
