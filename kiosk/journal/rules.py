"""Building blocks of the reducers: row changes, guards that refuse, common moves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.journal.enums import (
    SINGLE_PLACES,
    AuditReason,
    IntentKind,
    Outcome,
    Place,
    Refusal,
    Stage,
)
from kiosk.journal.errors import JournalRefused
from kiosk.journal.reads import JournalReader
from kiosk.journal.records import Intent, Item


@dataclass(frozen=True)
class Put:
    """Insert a row, or update the row with the same key."""

    table: str
    row: dict[str, Any]


@dataclass(frozen=True)
class Patch:
    """Update some columns of the row with this key."""

    table: str
    key: Any
    values: dict[str, Any]


@dataclass(frozen=True)
class Drop:
    """Delete the row with this key."""

    table: str
    key: Any


Change = Put | Patch | Drop


@dataclass(frozen=True)
class Context:
    """What a reducer may read: the state before the event, and the event's identity."""

    state: JournalReader
    uuid: str
    at: datetime


def refuse(code: Refusal, detail: str) -> JournalRefused:
    """The error to raise when an event would invent state."""
    return JournalRefused(code, detail)


def known_item(ctx: Context, item_id: str) -> Item:
    """The item, or a refusal if the journal has never seen it."""
    item = ctx.state.item(item_id)
    if item is None:
        raise refuse(Refusal.UNKNOWN_ITEM, f"item {item_id!r} is not in the journal")
    return item


def require_place(item: Item, *places: Place) -> None:
    """Refuse unless the item is at one of `places`."""
    if item.place not in places:
        wanted = "/".join(p.value for p in places)
        detail = f"item {item.item_id!r} is {item.place.value}, not {wanted}"
        raise refuse(Refusal.WRONG_PLACE, detail)


def require_no_intent(ctx: Context, item_id: str) -> None:
    """Refuse if an open intent already moves this item."""
    intent = ctx.state.open_intent_for(item_id)
    if intent is not None:
        detail = f"item {item_id!r} has an open {intent.kind.value} intent"
        raise refuse(Refusal.INTENT_OPEN, detail)


def open_intent_of(ctx: Context, item_id: str, kind: IntentKind, *stages: Stage) -> Intent:
    """The item's open intent of `kind` at one of `stages`, or a refusal."""
    intent = ctx.state.open_intent_for(item_id)
    if intent is None or intent.kind is not kind:
        raise refuse(Refusal.NO_OPEN_INTENT, f"item {item_id!r} has no open {kind.value} intent")
    if intent.stage not in stages:
        raise refuse(Refusal.WRONG_STAGE, f"{kind.value} of {item_id!r} is {intent.stage.value}")
    return intent


def require_usable_slot(
    ctx: Context, slot: int, *, own_intent: str | None = None, flagged_ok: bool = False
) -> None:
    """Refuse unless the slot exists, is empty, unreserved (but by own_intent) and unflagged."""
    if slot >= ctx.state.slot_count:
        raise refuse(Refusal.SLOT_OUT_OF_RANGE, f"slot {slot} >= {ctx.state.slot_count}")
    occupant = ctx.state.item_in_slot(slot)
    if occupant is not None:
        raise refuse(Refusal.SLOT_OCCUPIED, f"slot {slot} holds {occupant.item_id!r}")
    reserved = ctx.state.slot_reserved_by(slot)
    if reserved is not None and reserved.intent_id != own_intent:
        raise refuse(Refusal.SLOT_RESERVED, f"slot {slot} is reserved by a {reserved.kind.value}")
    if not flagged_ok and ctx.state.slot_flagged(slot):
        raise refuse(Refusal.SLOT_FLAGGED, f"slot {slot} has an open audit flag")


def require_place_free(ctx: Context, place: Place) -> None:
    """Refuse if a one-book place already holds an item."""
    if place in SINGLE_PLACES and (other := ctx.state.item_at(place)) is not None:
        raise refuse(Refusal.PLACE_OCCUPIED, f"{place.value} holds {other.item_id!r}")


def move_item(ctx: Context, item: Item, place: Place, slot: int | None = None) -> list[Change]:
    """Changes that put the item at `place` (and `slot`), keeping the slots table in step."""
    changes: list[Change] = []
    if item.slot is not None:
        changes.append(Drop("slots", item.slot))
    values: dict[str, Any] = {"place": place.value}
    if slot != item.slot:  # an unchanged slot left out: no write to the slot index's page
        values["slot"] = slot
    changes.append(Patch("items", item.item_id, values))
    if slot is not None:
        changes.append(Put("slots", {"slot": slot, "item_id": item.item_id}))
        changes.extend(hold_ready(ctx, item.item_id))
    return changes


def hold_ready(ctx: Context, item_id: str) -> list[Change]:
    """An item that reaches a shelf makes its waiting hold ready."""
    hold = ctx.state.active_hold(item_id)
    if hold is None or hold.ready_at is not None:
        return []
    return [Patch("holds", hold.hold_id, {"ready_at": ctx.at.isoformat()})]


def open_intent(ctx: Context, kind: IntentKind, stage: Stage, **columns: Any) -> Put:
    """A new open intent whose id is this event's uuid."""
    row = {"intent_id": ctx.uuid, "kind": kind.value, "stage": stage.value}
    row.update(columns, opened_at=ctx.at.isoformat())
    return Put("intents", row)


def close_intent(ctx: Context, intent: Intent, outcome: Outcome, **columns: Any) -> Patch:
    """Close an intent with its outcome."""
    values = {"outcome": outcome.value, "closed_at": ctx.at.isoformat(), **columns}
    return Patch("intents", intent.intent_id, values)


def raise_flags(
    ctx: Context,
    reason: AuditReason,
    *,
    item_id: str | None = None,
    slots: Iterable[int | None] = (None,),
    place: Place | None = None,
    intent_id: str | None = None,
) -> list[Put]:
    """One open audit flag per slot named (ids: the event uuid, then uuid.2, uuid.3 …)."""
    flags = []
    for n, slot in enumerate(slots, start=1):
        flag_id = ctx.uuid if n == 1 else f"{ctx.uuid}.{n}"
        row = {
            "flag_id": flag_id,
            "reason": reason.value,
            "item_id": item_id,
            "slot": slot,
            "place": place.value if place else None,
            "intent_id": intent_id,
            "raised_at": ctx.at.isoformat(),
        }
        flags.append(Put("audit_flags", row))
    return flags
