"""Reducers of the collection, audits, loans and holds: no physical move of their own."""

from __future__ import annotations

from kiosk.journal import events as ev
from kiosk.journal.enums import HoldEnd, IntentKind, Outcome, Place, Refusal, Stage
from kiosk.journal.rules import (
    Change,
    Context,
    Patch,
    Put,
    close_intent,
    hold_ready,
    known_item,
    move_item,
    open_intent_of,
    raise_flags,
    refuse,
    require_no_intent,
    require_place,
    require_place_free,
    require_usable_slot,
)


def item_stocked(p: ev.ItemStocked, ctx: Context) -> list[Change]:
    """A new (or removed) item goes into a free slot."""
    require_new_item(p, ctx)
    require_usable_slot(ctx, p.slot)
    slot = {"slot": p.slot, "item_id": p.item_id}
    return [Put("items", _item_row(p, Place.SLOT, p.slot)), Put("slots", slot),
            *hold_ready(ctx, p.item_id)]


def item_loaded(p: ev.ItemLoaded, ctx: Context) -> list[Change]:
    """A new (or removed) item is in the return port; it closes the load's return intent."""
    require_new_item(p, ctx)
    require_place_free(ctx, Place.RETURN_PORT)
    changes: list[Change] = [Put("items", _item_row(p, Place.RETURN_PORT, None))]
    if p.intent_id is not None:
        intent = ctx.state.intent(p.intent_id)
        if intent is None or intent.kind is not IntentKind.RETURN or not intent.is_open:
            raise refuse(Refusal.NO_OPEN_INTENT, f"no open return intent {p.intent_id!r}")
        changes.append(close_intent(ctx, intent, Outcome.DONE, item_id=p.item_id))
    return changes


def require_new_item(p: "ev.ItemStocked | ev.ItemLoaded", ctx: Context) -> None:
    """Refuse an item the machine has (unless removed), or a tag another item has."""
    existing = ctx.state.item(p.item_id)
    if existing is not None and existing.place is not Place.REMOVED:
        raise refuse(Refusal.ITEM_EXISTS, f"item {p.item_id!r} is already {existing.place.value}")
    owner = ctx.state.item_by_uid(p.uid)
    if owner is not None and owner.item_id != p.item_id:
        raise refuse(Refusal.UID_IN_USE, f"tag {p.uid} belongs to {owner.item_id!r}")


def _item_row(p: "ev.ItemStocked | ev.ItemLoaded", place: Place, slot: int | None) -> dict:
    return {"item_id": p.item_id, "uid": p.uid, "title": p.title, "authors": p.authors,
            "place": place.value, "slot": slot, "year": p.year, "subject": p.subject,
            "popularity": p.popularity}


def item_unstocked(p: ev.ItemUnstocked, ctx: Context) -> list[Change]:
    """A technician took the item out of the machine (from the pickup port: its withdraw ends)."""
    item = known_item(ctx, p.item_id)
    if item.place in (Place.ON_LOAN, Place.REMOVED):
        raise refuse(Refusal.WRONG_PLACE, f"item {p.item_id!r} is {item.place.value}")
    closing: list[Change] = []
    intent = ctx.state.open_intent_for(p.item_id)
    if intent is not None and intent.kind is IntentKind.WITHDRAW:
        withdraw = open_intent_of(ctx, p.item_id, IntentKind.WITHDRAW, Stage.PRESENTED)
        closing.append(close_intent(ctx, withdraw, Outcome.DONE))
    else:
        require_no_intent(ctx, p.item_id)
    if ctx.state.active_hold(p.item_id) is not None:
        raise refuse(Refusal.HOLD_EXISTS, f"cancel the hold on {p.item_id!r} first")
    return [*closing, *move_item(ctx, item, Place.REMOVED)]


def item_located(p: ev.ItemLocated, ctx: Context) -> list[Change]:
    """An audit found an unknown item: it is where the antenna read it."""
    item = known_item(ctx, p.item_id)
    require_place(item, Place.UNKNOWN)
    if p.slot is not None:
        require_usable_slot(ctx, p.slot, flagged_ok=True)
    require_place_free(ctx, p.place)
    return move_item(ctx, item, p.place, p.slot)


def audit_flagged(p: ev.AuditFlagged, ctx: Context) -> list[Change]:
    """Record what cannot be proven; a named item becomes unknown, a named intent closes."""
    if p.slot is not None and p.slot >= ctx.state.slot_count:
        raise refuse(Refusal.SLOT_OUT_OF_RANGE, f"slot {p.slot} >= {ctx.state.slot_count}")
    changes, item_id = _close_for_audit(p, ctx)
    if item_id is not None:
        item = known_item(ctx, item_id)
        if item.place in (Place.ON_LOAN, Place.REMOVED):
            raise refuse(Refusal.WRONG_PLACE, f"item {item_id!r} is {item.place.value}")
        changes += move_item(ctx, item, Place.UNKNOWN)
    changes += raise_flags(ctx, p.reason, item_id=item_id, slots=[p.slot], place=p.place,
                           intent_id=p.intent_id)
    return changes


def _close_for_audit(p: ev.AuditFlagged, ctx: Context) -> tuple[list[Change], str | None]:
    """Close the named intent; the item flagged is the one named, or the intent's."""
    if p.intent_id is None:
        if p.item_id is not None:
            require_no_intent(ctx, p.item_id)
        return [], p.item_id
    intent = ctx.state.intent(p.intent_id)
    if intent is None or not intent.is_open:
        raise refuse(Refusal.NO_OPEN_INTENT, f"no open intent {p.intent_id!r}")
    if p.item_id is not None and intent.item_id not in (None, p.item_id):
        raise refuse(Refusal.WRONG_PLACE, f"intent {p.intent_id!r} moves another item")
    return [close_intent(ctx, intent, Outcome.AUDIT)], p.item_id or intent.item_id


def audit_cleared(p: ev.AuditCleared, ctx: Context) -> list[Change]:
    """A technician cleared a flag; an item it names must have been found (or removed)."""
    flag = ctx.state.flag(p.flag_id)
    if flag is None:
        raise refuse(Refusal.UNKNOWN_FLAG, f"no audit flag {p.flag_id!r}")
    if flag.cleared_at is not None:
        raise refuse(Refusal.FLAG_CLEARED, f"flag {p.flag_id!r} is already cleared")
    if flag.item_id is not None and _last_proof_of_unknown(ctx, flag.item_id, flag.flag_id):
        raise refuse(Refusal.ITEM_STILL_UNKNOWN, f"item {flag.item_id!r} is still unknown")
    cleared = {"cleared_by": p.cleared_by, "cleared_at": ctx.at.isoformat()}
    return [Patch("audit_flags", p.flag_id, cleared)]


def conflict_resolved(p: ev.ConflictResolved, ctx: Context) -> list[Change]:
    """A technician settled an outbox conflict; only an open conflict can be resolved."""
    conflict = ctx.state.outbox_conflict(p.event_id)
    if conflict is None:
        raise refuse(Refusal.NOT_A_CONFLICT, f"{p.event_id!r} is not an outbox conflict")
    if not conflict.is_open:
        raise refuse(Refusal.CONFLICT_RESOLVED,
                     f"{p.event_id!r} was resolved by {conflict.resolved_by}")
    return [Put("conflict_resolutions", {"event_id": p.event_id, "resolved_by": p.resolved_by,
                                         "resolved_at": ctx.at.isoformat(), "note": p.note})]


def _last_proof_of_unknown(ctx: Context, item_id: str, flag_id: str) -> bool:
    item = ctx.state.item(item_id)
    if item is None or item.place is not Place.UNKNOWN:
        return False
    others = [f for f in ctx.state.open_flags() if f.item_id == item_id and f.flag_id != flag_id]
    return not others


def renewed(p: ev.Renewed, ctx: Context) -> list[Change]:
    """The patron's loan gets its new due date."""
    loan = ctx.state.open_loan(p.item_id)
    if loan is None:
        raise refuse(Refusal.NOT_ON_LOAN, f"item {p.item_id!r} is not on loan")
    if loan.patron_id != p.patron_id:
        raise refuse(Refusal.WRONG_PATRON, f"item {p.item_id!r} is lent to another patron")
    values = {"due": p.due.isoformat(), "renewals": loan.renewals + 1}
    return [Patch("loans", loan.loan_id, values)]


def hold_placed(p: ev.HoldPlaced, ctx: Context) -> list[Change]:
    """A hold on an item of this machine; ready at once if it is on a shelf."""
    item = known_item(ctx, p.item_id)
    if item.place is Place.REMOVED:
        raise refuse(Refusal.WRONG_PLACE, f"item {p.item_id!r} is removed")
    if ctx.state.active_hold(p.item_id) is not None:
        raise refuse(Refusal.HOLD_EXISTS, f"item {p.item_id!r} is already held")
    on_shelf = item.place is Place.SLOT and ctx.state.open_intent_for(p.item_id) is None
    row = {"hold_id": ctx.uuid, "item_id": p.item_id, "patron_id": p.patron_id,
           "placed_at": ctx.at.isoformat(), "ready_at": ctx.at.isoformat() if on_shelf else None}
    return [Put("holds", row)]


def hold_cancelled(p: ev.HoldCancelled, ctx: Context) -> list[Change]:
    """The patron's hold ends without a loan."""
    hold = ctx.state.active_hold(p.item_id)
    if hold is None:
        raise refuse(Refusal.NO_HOLD, f"item {p.item_id!r} has no active hold")
    if hold.patron_id != p.patron_id:
        raise refuse(Refusal.WRONG_PATRON, f"the hold on {p.item_id!r} is another patron's")
    ended = {"ended_at": ctx.at.isoformat(), "end_reason": p.reason.value}
    return [Patch("holds", hold.hold_id, ended)]


def hold_reported(p: ev.HoldReported, ctx: Context) -> list[Change]:
    """The library holds the item for a patron: the journal's hold follows it."""
    item = known_item(ctx, p.item_id)
    if item.place is Place.REMOVED:
        raise refuse(Refusal.WRONG_PLACE, f"item {p.item_id!r} is removed")
    loan = ctx.state.open_loan(p.item_id)
    if loan is not None and loan.patron_id == p.patron_id:  # the holder has it already
        raise refuse(Refusal.WRONG_PATRON, f"item {p.item_id!r} is on loan to its holder")
    expires = p.expires_at.isoformat() if p.expires_at else None
    on_shelf = item.place is Place.SLOT and ctx.state.open_intent_for(p.item_id) is None
    hold = ctx.state.active_hold(p.item_id)
    if hold is not None and hold.patron_id == p.patron_id:
        patch = {"expires_at": expires}
        if p.ready and on_shelf and hold.ready_at is None:
            patch["ready_at"] = ctx.at.isoformat()
        return [Patch("holds", hold.hold_id, patch)]
    changes: list[Change] = []
    if hold is not None:  # the library's word wins: someone else is first in line now
        ended = {"ended_at": ctx.at.isoformat(), "end_reason": HoldEnd.REPLACED.value}
        changes.append(Patch("holds", hold.hold_id, ended))
    ready_at = ctx.at.isoformat() if p.ready and on_shelf else None  # the library's word
    row = {"hold_id": ctx.uuid, "item_id": p.item_id, "patron_id": p.patron_id,
           "placed_at": ctx.at.isoformat(), "ready_at": ready_at,
           "expires_at": expires, "source": "library"}
    return [*changes, Put("holds", row)]


def hold_released(p: ev.HoldReleased, ctx: Context) -> list[Change]:
    """The library no longer holds the item for the patron."""
    hold = ctx.state.active_hold(p.item_id)
    if hold is None or hold.patron_id != p.patron_id:
        raise refuse(Refusal.NO_HOLD, f"item {p.item_id!r} has no hold for that patron")
    ended = {"ended_at": ctx.at.isoformat(), "end_reason": HoldEnd.RELEASED.value}
    return [Patch("holds", hold.hold_id, ended)]


def patron_verified(p: ev.PatronVerified, ctx: Context) -> list[Change]:
    """Remember when the library last vouched for the patron; a bad answer forgets it."""
    row = {"patron_id": p.patron_id, "last_verified_at": ctx.at.isoformat(),
           "last_good_at": ctx.at.isoformat() if p.good_standing else None}
    return [Put("patrons", row)]
