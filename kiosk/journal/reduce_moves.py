"""Reducers of the physical moves: vend, retract, return, store, transfer."""

from __future__ import annotations

from kiosk.journal import events as ev
from kiosk.journal.enums import (
    AuditReason,
    HoldEnd,
    IntentKind,
    MoveFailure,
    Outcome,
    Place,
    Refusal,
    Stage,
)
from kiosk.journal.records import Intent, Item
from kiosk.journal.rules import (
    Change,
    Context,
    Patch,
    Put,
    close_intent,
    known_item,
    move_item,
    open_intent,
    open_intent_of,
    raise_flags,
    refuse,
    require_no_intent,
    require_place,
    require_place_free,
    require_usable_slot,
)


def vend_started(p: ev.VendStarted, ctx: Context) -> list[Change]:
    """Open a vend: the item must be in that slot, free of intents, holds and flags."""
    item = known_item(ctx, p.item_id)
    require_place(item, Place.SLOT)
    if item.slot != p.slot:
        detail = f"item {p.item_id!r} is in slot {item.slot}, not {p.slot}"
        raise refuse(Refusal.WRONG_PLACE, detail)
    require_no_intent(ctx, p.item_id)
    if ctx.state.slot_flagged(p.slot):
        raise refuse(Refusal.SLOT_FLAGGED, f"slot {p.slot} has an open audit flag")
    hold = ctx.state.active_hold(p.item_id)
    if hold is not None and hold.patron_id != p.patron_id:
        raise refuse(Refusal.HELD_FOR_OTHER, f"item {p.item_id!r} is held for another patron")
    columns = dict(item_id=p.item_id, slot=p.slot, patron_id=p.patron_id,
                   session_id=p.session_id, plc_seq=p.plc_seq)
    return [open_intent(ctx, IntentKind.VEND, Stage.MOVING, **columns)]


def withdraw_started(p: ev.WithdrawStarted, ctx: Context) -> list[Change]:
    """Open a withdraw: the item must be in that slot, free of intents, holds and flags."""
    item = known_item(ctx, p.item_id)
    require_place(item, Place.SLOT)
    if item.slot != p.slot:
        detail = f"item {p.item_id!r} is in slot {item.slot}, not {p.slot}"
        raise refuse(Refusal.WRONG_PLACE, detail)
    require_no_intent(ctx, p.item_id)
    if ctx.state.slot_flagged(p.slot):
        raise refuse(Refusal.SLOT_FLAGGED, f"slot {p.slot} has an open audit flag")
    if ctx.state.active_hold(p.item_id) is not None:
        raise refuse(Refusal.HOLD_EXISTS, f"item {p.item_id!r} is held for a patron")
    columns = dict(item_id=p.item_id, slot=p.slot, plc_seq=p.plc_seq)
    return [open_intent(ctx, IntentKind.WITHDRAW, Stage.MOVING, **columns)]


def withdraw_fetched(p: ev.WithdrawFetched, ctx: Context) -> list[Change]:
    """The book is in the pickup port; its slot stays reserved for a retract."""
    return _in_pickup_port(p.item_id, IntentKind.WITHDRAW, ctx)


def withdraw_presented(p: ev.WithdrawPresented, ctx: Context) -> list[Change]:
    """The pickup door opened for the technician."""
    return _door_opened(p.item_id, IntentKind.WITHDRAW, ctx)


def withdraw_failed(p: ev.WithdrawFailed, ctx: Context) -> list[Change]:
    """The withdraw's FETCH did not finish OK."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.WITHDRAW, Stage.MOVING)
    return move_failed(ctx, intent, known_item(ctx, p.item_id), p.reason)


def vend_fetched(p: ev.VendFetched, ctx: Context) -> list[Change]:
    """The book is in the pickup port; its slot stays reserved for a retract."""
    return _in_pickup_port(p.item_id, IntentKind.VEND, ctx)


def vend_presented(p: ev.VendPresented, ctx: Context) -> list[Change]:
    """The pickup door opened for the patron."""
    return _door_opened(p.item_id, IntentKind.VEND, ctx)


def _in_pickup_port(item_id: str, kind: IntentKind, ctx: Context) -> list[Change]:
    """A FETCH (a vend's or a withdraw's) put the book in the pickup port."""
    intent = open_intent_of(ctx, item_id, kind, Stage.MOVING)
    require_place_free(ctx, Place.PICKUP_PORT)
    item = known_item(ctx, item_id)
    stage = Patch("intents", intent.intent_id, {"stage": Stage.FETCHED.value})
    return [*move_item(ctx, item, Place.PICKUP_PORT), stage]


def _door_opened(item_id: str, kind: IntentKind, ctx: Context) -> list[Change]:
    """The pickup door opened on the fetched book."""
    intent = open_intent_of(ctx, item_id, kind, Stage.FETCHED)
    return [Patch("intents", intent.intent_id, {"stage": Stage.PRESENTED.value})]


def vend_taken(p: ev.VendTaken, ctx: Context) -> list[Change]:
    """The patron took the book: the loan begins, the vend closes, their hold is fulfilled."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.VEND, Stage.PRESENTED)
    if intent.patron_id != p.patron_id:
        raise refuse(Refusal.WRONG_PATRON, f"vend of {p.item_id!r} was for another patron")
    if ctx.state.open_loan(p.item_id) is not None:
        raise refuse(Refusal.ALREADY_ON_LOAN, f"item {p.item_id!r} is already on loan")
    loan = {"loan_id": ctx.uuid, "item_id": p.item_id, "patron_id": p.patron_id,
            "taken_at": ctx.at.isoformat(), "due": p.due.isoformat(), "renewals": 0,
            "offline": p.offline}
    changes: list[Change] = [Put("loans", loan), close_intent(ctx, intent, Outcome.DONE)]
    changes += move_item(ctx, known_item(ctx, p.item_id), Place.ON_LOAN)
    hold = ctx.state.active_hold(p.item_id)
    if hold is not None and hold.patron_id == p.patron_id:
        ended = {"ended_at": ctx.at.isoformat(), "end_reason": HoldEnd.FULFILLED.value}
        changes.append(Patch("holds", hold.hold_id, ended))
    return changes


def vend_failed(p: ev.VendFailed, ctx: Context) -> list[Change]:
    """The FETCH did not finish OK."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.VEND, Stage.MOVING)
    return move_failed(ctx, intent, known_item(ctx, p.item_id), p.reason)


def retract_started(p: ev.RetractStarted, ctx: Context) -> list[Change]:
    """Open a retract of the book in the pickup port; it closes the vend (or withdraw) that
    brought it."""
    item = known_item(ctx, p.item_id)
    require_place(item, Place.PICKUP_PORT)
    vend = ctx.state.open_intent_for(p.item_id)
    if vend is not None and (vend.kind, vend.stage) not in _RETRACTABLE:
        raise refuse(Refusal.INTENT_OPEN, f"item {p.item_id!r} has an open {vend.kind.value}")
    require_usable_slot(ctx, p.slot, own_intent=vend.intent_id if vend else None)
    columns = dict(item_id=p.item_id, slot=p.slot, plc_seq=p.plc_seq,
                   patron_id=vend.patron_id if vend else None,
                   session_id=vend.session_id if vend else None)
    closing = [close_intent(ctx, vend, Outcome.RETRACTING)] if vend else []
    return [*closing, open_intent(ctx, IntentKind.RETRACT, Stage.MOVING, **columns)]


_RETRACTABLE = {(kind, stage) for kind in (IntentKind.VEND, IntentKind.WITHDRAW)
                for stage in (Stage.FETCHED, Stage.PRESENTED)}


def vend_retracted(p: ev.VendRetracted, ctx: Context) -> list[Change]:
    """The book is back in a slot; no loan."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.RETRACT, Stage.MOVING)
    item = known_item(ctx, p.item_id)
    return [close_intent(ctx, intent, Outcome.DONE), *move_item(ctx, item, Place.SLOT, intent.slot)]


def retract_failed(p: ev.RetractFailed, ctx: Context) -> list[Change]:
    """The RETRACT did not finish OK."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.RETRACT, Stage.MOVING)
    return move_failed(ctx, intent, known_item(ctx, p.item_id), p.reason)


def return_started(p: ev.ReturnStarted, ctx: Context) -> list[Change]:
    """Open a return: one at a time, the book is not known yet."""
    if any(i.kind is IntentKind.RETURN for i in ctx.state.open_intents()):
        raise refuse(Refusal.INTENT_OPEN, "a return is already open")
    columns = dict(session_id=p.session_id, plc_seq=p.plc_seq)
    return [open_intent(ctx, IntentKind.RETURN, Stage.INSERTING, **columns)]


def _open_return(ctx: Context, intent_id: str) -> Intent:
    intent = ctx.state.intent(intent_id)
    if intent is None or intent.kind is not IntentKind.RETURN or not intent.is_open:
        raise refuse(Refusal.NO_OPEN_INTENT, f"no open return intent {intent_id!r}")
    return intent


def return_identified(p: ev.ReturnIdentified, ctx: Context) -> list[Change]:
    """This machine's book on loan is in the return port: the loan ends (check-in)."""
    intent = _open_return(ctx, p.intent_id)
    item = known_item(ctx, p.item_id)
    loan = ctx.state.open_loan(p.item_id)
    if item.place is not Place.ON_LOAN or loan is None:
        raise refuse(Refusal.NOT_ON_LOAN, f"item {p.item_id!r} is not on loan")
    require_place_free(ctx, Place.RETURN_PORT)
    returned = {"returned_at": ctx.at.isoformat(), "days_late": p.days_late}
    closing = close_intent(ctx, intent, Outcome.DONE, item_id=p.item_id)
    return [Patch("loans", loan.loan_id, returned), closing,
            *move_item(ctx, item, Place.RETURN_PORT)]


def return_rejected(p: ev.ReturnRejected, ctx: Context) -> list[Change]:
    """The book was handed back: nothing changes but the intent."""
    return [close_intent(ctx, _open_return(ctx, p.intent_id), Outcome.REJECTED)]


def store_started(p: ev.StoreStarted, ctx: Context) -> list[Change]:
    """Open a store of the book in the return port into a slot (or the bin)."""
    item = known_item(ctx, p.item_id)
    require_place(item, Place.RETURN_PORT)
    require_no_intent(ctx, p.item_id)
    if p.slot is not None:
        require_usable_slot(ctx, p.slot)
    columns = dict(item_id=p.item_id, slot=p.slot, plc_seq=p.plc_seq)
    return [open_intent(ctx, IntentKind.STORE, Stage.MOVING, **columns)]


def return_shelved(p: ev.ReturnShelved, ctx: Context) -> list[Change]:
    """The STORE finished: the book is in its slot."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.STORE, Stage.MOVING)
    if intent.slot is None:
        raise refuse(Refusal.WRONG_PLACE, f"store of {p.item_id!r} was to the bin")
    item = known_item(ctx, p.item_id)
    return [close_intent(ctx, intent, Outcome.DONE), *move_item(ctx, item, Place.SLOT, intent.slot)]


def return_diverted(p: ev.ReturnDiverted, ctx: Context) -> list[Change]:
    """The DIVERT_RETURN finished: the book is in the overflow bin."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.STORE, Stage.MOVING)
    if intent.slot is not None:
        raise refuse(Refusal.WRONG_PLACE, f"store of {p.item_id!r} was to slot {intent.slot}")
    item = known_item(ctx, p.item_id)
    return [close_intent(ctx, intent, Outcome.DONE), *move_item(ctx, item, Place.BIN)]


def store_failed(p: ev.StoreFailed, ctx: Context) -> list[Change]:
    """The STORE or DIVERT_RETURN did not finish OK."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.STORE, Stage.MOVING)
    return move_failed(ctx, intent, known_item(ctx, p.item_id), p.reason)


def transfer_started(p: ev.TransferStarted, ctx: Context) -> list[Change]:
    """Open a slot-to-slot transfer."""
    item = known_item(ctx, p.item_id)
    require_place(item, Place.SLOT)
    require_no_intent(ctx, p.item_id)
    require_usable_slot(ctx, p.to_slot)
    columns = dict(item_id=p.item_id, slot=item.slot, to_slot=p.to_slot, plc_seq=p.plc_seq)
    return [open_intent(ctx, IntentKind.TRANSFER, Stage.MOVING, **columns)]


def transferred(p: ev.Transferred, ctx: Context) -> list[Change]:
    """The TRANSFER finished: the book is in its new slot."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.TRANSFER, Stage.MOVING)
    item = known_item(ctx, p.item_id)
    return [close_intent(ctx, intent, Outcome.DONE),
            *move_item(ctx, item, Place.SLOT, intent.to_slot)]


def transfer_failed(p: ev.TransferFailed, ctx: Context) -> list[Change]:
    """The TRANSFER did not finish OK."""
    intent = open_intent_of(ctx, p.item_id, IntentKind.TRANSFER, Stage.MOVING)
    return move_failed(ctx, intent, known_item(ctx, p.item_id), p.reason)


_ANY = {MoveFailure.NOT_STARTED, MoveFailure.JAM, MoveFailure.TIMEOUT}
_FAILURES = {
    IntentKind.VEND: _ANY | {MoveFailure.SLOT_EMPTY, MoveFailure.PORT_OCCUPIED},
    IntentKind.WITHDRAW: _ANY | {MoveFailure.SLOT_EMPTY, MoveFailure.PORT_OCCUPIED},
    IntentKind.RETRACT: _ANY | {MoveFailure.PORT_EMPTY, MoveFailure.SLOT_OCCUPIED},
    IntentKind.STORE: _ANY
    | {MoveFailure.PORT_EMPTY, MoveFailure.SLOT_OCCUPIED, MoveFailure.BIN_FULL},
    IntentKind.TRANSFER: _ANY | {MoveFailure.SLOT_EMPTY, MoveFailure.SLOT_OCCUPIED},
}
_LOST = {MoveFailure.SLOT_EMPTY: AuditReason.ITEM_MISSING,
         MoveFailure.PORT_EMPTY: AuditReason.ITEM_MISSING,
         MoveFailure.JAM: AuditReason.MOVE_JAMMED,
         MoveFailure.TIMEOUT: AuditReason.MOVE_UNCONFIRMED}


def move_failed(ctx: Context, intent: Intent, item: Item, reason: MoveFailure) -> list[Change]:
    """Close a failed move and record what the failure leaves unproven."""
    # Per the PLC spec nothing moves on a failure: the book stays, unless it was not where
    # we had it (SLOT_EMPTY, PORT_EMPTY) or the move jammed or timed out: then it is unknown.
    if reason not in _FAILURES[intent.kind] or _wrong_store_failure(intent, reason):
        raise refuse(Refusal.WRONG_FAILURE, f"{reason.value} cannot end a {intent.kind.value}")
    changes: list[Change] = [close_intent(ctx, intent, Outcome.FAILED)]
    destination = intent.to_slot if intent.kind is IntentKind.TRANSFER else intent.slot
    if reason is MoveFailure.SLOT_OCCUPIED:
        changes += raise_flags(ctx, AuditReason.UNEXPECTED_OCCUPANT, slots=[destination])
    elif reason is MoveFailure.PORT_OCCUPIED:
        changes += raise_flags(ctx, AuditReason.UNEXPECTED_OCCUPANT, place=Place.PICKUP_PORT)
    elif reason in _LOST:
        slots = _slots_to_audit(intent, reason)
        changes += move_item(ctx, item, Place.UNKNOWN)
        changes += raise_flags(ctx, _LOST[reason], item_id=item.item_id, slots=slots,
                               intent_id=intent.intent_id)
    return changes


def _slots_to_audit(intent: Intent, reason: MoveFailure) -> list[int | None]:
    """A missing book blocks the slot it was missing from; a jam blocks every slot involved."""
    if reason is MoveFailure.PORT_EMPTY:
        return [None]
    if reason is MoveFailure.SLOT_EMPTY:
        return [intent.slot]
    return [s for s in (intent.slot, intent.to_slot) if s is not None] or [None]


def _wrong_store_failure(intent: Intent, reason: MoveFailure) -> bool:
    to_bin = intent.kind is IntentKind.STORE and intent.slot is None
    to_slot = intent.kind is IntentKind.STORE and intent.slot is not None
    return (to_bin and reason is MoveFailure.SLOT_OCCUPIED) or (
        to_slot and reason is MoveFailure.BIN_FULL
    )
