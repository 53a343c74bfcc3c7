"""Reason codes and states of the journal: enum values, never display text."""

from __future__ import annotations

from enum import StrEnum


class Place(StrEnum):
    """Where an item is, as far as the journal can prove."""

    SLOT = "slot"
    PICKUP_PORT = "pickup_port"
    RETURN_PORT = "return_port"
    PICKER = "picker"
    BIN = "bin"
    ON_LOAN = "on_loan"
    UNKNOWN = "unknown"  # needs an audit; always has an open audit flag
    REMOVED = "removed"  # taken out of the machine by a technician


# Places inside the cabinet that hold at most one book.
SINGLE_PLACES = frozenset({Place.PICKUP_PORT, Place.RETURN_PORT, Place.PICKER})


class IntentKind(StrEnum):
    """A physical operation that moves a book."""

    VEND = "vend"  # FETCH slot -> pickup port, then the patron takes it
    RETRACT = "retract"  # RETRACT pickup port -> slot
    RETURN = "return"  # a patron inserts a book into the return port
    STORE = "store"  # STORE return port -> slot, or DIVERT_RETURN -> bin
    TRANSFER = "transfer"  # TRANSFER slot -> slot (re-slotting)
    WITHDRAW = "withdraw"  # FETCH slot -> pickup port, then a technician takes it out


class Stage(StrEnum):
    """How far an open intent has got."""

    MOVING = "moving"  # the command is sent (or about to be); outcome not known
    FETCHED = "fetched"  # vend, withdraw: the book is in the pickup port, door shut
    PRESENTED = "presented"  # vend, withdraw: the pickup door was opened to take it
    INSERTING = "inserting"  # return: the shutter is open for the patron


class Outcome(StrEnum):
    """How an intent was closed."""

    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"  # return: the book was handed back
    RETRACTING = "retracting"  # vend: closed by the retract that follows it
    AUDIT = "audit"  # closed by an audit flag: the outcome is not proven


class MoveFailure(StrEnum):
    """Why a move did not finish OK (PLC result codes, plus NOT_STARTED)."""

    NOT_STARTED = "not_started"  # rejected by the PLC, or proven never accepted
    SLOT_EMPTY = "slot_empty"
    SLOT_OCCUPIED = "slot_occupied"
    PORT_EMPTY = "port_empty"
    PORT_OCCUPIED = "port_occupied"
    BIN_FULL = "bin_full"
    JAM = "jam"
    TIMEOUT = "timeout"


class AuditReason(StrEnum):
    """Why something needs a technician's audit."""

    ITEM_MISSING = "item_missing"  # not where the journal had it
    UNEXPECTED_OCCUPANT = "unexpected_occupant"  # a slot or port holds something unknown
    MOVE_JAMMED = "move_jammed"
    MOVE_UNCONFIRMED = "move_unconfirmed"  # a move's outcome cannot be proven
    TAKEN_UNCONFIRMED = "taken_unconfirmed"  # presented, gone, but no proof it was taken
    INVENTORY_MISMATCH = "inventory_mismatch"


class ReturnRejection(StrEnum):
    """Why a book at the return port was handed back (values match policy.ReturnRefusal)."""

    NOT_FROM_THIS_MACHINE = "not_from_this_machine"
    NOT_ON_LOAN = "not_on_loan"
    UNREADABLE_TAG = "unreadable_tag"
    SEVERAL_TAGS = "several_tags"
    NOTHING_INSERTED = "nothing_inserted"


class UnstockReason(StrEnum):
    """Why a technician took an item out of the machine."""

    WITHDRAWN = "withdrawn"
    DAMAGED = "damaged"
    LOST = "lost"  # declared lost after an audit
    ROTATED = "rotated"  # collection change


class HoldEnd(StrEnum):
    """Why a hold ended."""

    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FULFILLED = "fulfilled"  # its patron borrowed the item
    RELEASED = "released"  # the library no longer holds it (expired, cancelled or lent there)
    REPLACED = "replaced"  # the library says the copy is held for someone else now


class TechnicianOutcome(StrEnum):
    """How a technician's changing command ended (technician log; None: it has not ended)."""

    DONE = "done"
    REFUSED = "refused"  # the controller or the journal said no; the detail says why
    BUSY = "busy"  # not now: a patron, or a state that does not allow it
    DENIED = "denied"  # no PIN, a wrong one, a lock-out, or no PIN hash configured
    FAILED = "failed"  # an unexpected error; the detail names it


class Refusal(StrEnum):
    """Why the journal refused an event: it would invent state."""

    UNKNOWN_ITEM = "unknown_item"
    ITEM_EXISTS = "item_exists"
    UID_IN_USE = "uid_in_use"
    SLOT_OUT_OF_RANGE = "slot_out_of_range"
    SLOT_OCCUPIED = "slot_occupied"
    SLOT_RESERVED = "slot_reserved"
    SLOT_FLAGGED = "slot_flagged"
    PLACE_OCCUPIED = "place_occupied"
    WRONG_PLACE = "wrong_place"
    INTENT_OPEN = "intent_open"
    NO_OPEN_INTENT = "no_open_intent"
    WRONG_STAGE = "wrong_stage"
    WRONG_PATRON = "wrong_patron"
    WRONG_FAILURE = "wrong_failure"
    ALREADY_ON_LOAN = "already_on_loan"
    NOT_ON_LOAN = "not_on_loan"
    HELD_FOR_OTHER = "held_for_other"
    HOLD_EXISTS = "hold_exists"
    NO_HOLD = "no_hold"
    UNKNOWN_FLAG = "unknown_flag"
    FLAG_CLEARED = "flag_cleared"
    ITEM_STILL_UNKNOWN = "item_still_unknown"
    NOTHING_TO_FLAG = "nothing_to_flag"
    OUT_OF_ORDER = "out_of_order"
    UNKNOWN_EVENT = "unknown_event"
    NOT_A_CONFLICT = "not_a_conflict"
    CONFLICT_RESOLVED = "conflict_resolved"
