"""Lending one book: fetch, check its tag, secure it as on loan, present it, wait for the take."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.carousel import CarouselJammed, CarouselRejected, Command, Lamp, Result
from drivers.rfid import AFI_ON_LOAN, AFI_SECURED, Antenna
from kiosk import policy
from kiosk.journal import (
    AuditFlagged,
    AuditReason,
    MoveFailure,
    Place,
    RetractFailed,
    RetractStarted,
    VendFailed,
    VendFetched,
    VendPresented,
    VendRetracted,
    VendStarted,
    VendTaken,
    utc_now,
)
from kiosk.mechanics import TagProblem, crash_point, move_failure
from kiosk.steps import Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller


async def fetch(ctl: "Controller") -> Step:
    """FETCH the next book of the cart into the pickup port (door shut)."""
    item_id = ctl.require_session().to_vend.pop(0)
    ctl.vend_item = item_id
    ctl.progress("fetching", item_id)
    if await _fetch_item(ctl, item_id) is Result.OK:
        return Step("book_fetched")
    return Step("slot_was_empty", {"item_id": item_id})


async def prefetch(ctl: "Controller") -> Step:
    """FETCH the first chosen book while the patron still browses; it waits behind the door."""
    session = ctl.require_session()
    item_id = ctl.prefetch["item_id"]
    if await _fetch_item(ctl, item_id) is Result.OK:
        ctl.vend_item = item_id
        ctl.prefetch["ready"] = True
        return Step("book_prefetched")
    ctl.prefetch = None
    if item_id in session.cart:
        session.cart.remove(item_id)
    ctl.notice = {"code": "not_available", "item_id": item_id}
    return Step("prefetch_missed")


async def _fetch_item(ctl: "Controller", item_id: str) -> Result:
    """A journaled FETCH: OK, or SLOT_EMPTY when the book is not there; anything else faults."""
    session = ctl.require_session()
    item = ctl.journal.item(item_id)
    if item is None or item.place is not Place.SLOT or item.slot is None:
        return Result.SLOT_EMPTY
    seq = await ctl.mech.reserve_seq()
    ctl.journal.append(VendStarted(item_id=item_id, slot=item.slot, patron_id=session.member,
                                   session_id=session.session_id, plc_seq=seq))
    crash_point("vend.before_fetch")
    result = await _run_move(ctl, Command.FETCH, item.slot, seq, lambda f: VendFailed(item_id, f))
    crash_point("vend.after_fetch")
    if result is Result.OK:
        ctl.journal.append(VendFetched(item_id=item_id))
        return result
    ctl.journal.append(VendFailed(item_id=item_id, reason=move_failure(result)))
    if result is Result.SLOT_EMPTY:
        return result
    raise Fault("fetch_failed", result.name.lower())


async def verify(ctl: "Controller") -> Step:
    """The tag at the pickup antenna must be this item's; then mark it on loan and check."""
    item = ctl.journal.item(ctl.require_vend_item())
    ctl.progress("verifying", item.item_id)
    try:
        uid, tag = await ctl.mech.read_one(Antenna.PICKUP)
    except TagProblem as problem:
        return Step("wrong_book", {"problem": problem.reason})
    if uid != item.uid or tag.item_id != item.item_id:
        return Step("wrong_book", {"problem": "other_item", "uid": uid})
    await ctl.mech.set_afi(Antenna.PICKUP, uid, AFI_ON_LOAN)
    return Step("book_verified")


async def present(ctl: "Controller") -> Step:
    """Open the pickup door and light its lamp."""
    item_id = ctl.require_vend_item()
    await ctl.mech.run(Command.OPEN_PICKUP)
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, True)
    ctl.journal.append(VendPresented(item_id=item_id))
    crash_point("vend.after_present")
    ctl.progress("take_your_book", item_id)
    return Step("pickup_opened")


async def await_take(ctl: "Controller") -> Step:
    """Wait for the patron to take the book; only then is it a loan."""
    session = ctl.require_session()
    item_id = ctl.require_vend_item()
    timeout = ctl.config.session.pickup_timeout
    if not await ctl.mech.wait_for(lambda s: not s.pickup_item_present, timeout):
        return Step("take_timed_out")
    due = policy.due_date(utc_now(), ctl.config.policy)
    ctl.journal.append(VendTaken(item_id=item_id, patron_id=session.member, due=due,
                                 offline=ctl.offline))
    crash_point("vend.after_taken")
    ctl.kick_sync()
    session.vended.append(item_id)
    session.due[item_id] = due.isoformat()
    session.remaining = max(0, session.remaining - 1)
    return Step("book_taken")


async def close_pickup(ctl: "Controller") -> Step:
    """Lamp off, close the door (waiting while a hand is in the way)."""
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
    await ctl.mech.close_door(Command.CLOSE_PICKUP)
    ctl.vend_item = None
    ctl.progress(None, None)
    return Step("pickup_closed")


async def retract(ctl: "Controller", payload: dict) -> Step:
    """Put an untaken (or wrong) book back into its slot: security bit back on, no loan."""
    item_id = ctl.require_vend_item()
    intent = ctl.journal.open_intent_for(item_id)
    slot = intent.slot if intent is not None and intent.slot is not None else None
    if slot is None:
        raise Fault("retract_without_slot", item_id)
    ctl.progress("returning_to_shelf", item_id)
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
    await ctl.mech.close_door(Command.CLOSE_PICKUP)
    for uid in await ctl.mech.tags(Antenna.PICKUP):
        await ctl.mech.set_afi(Antenna.PICKUP, uid, AFI_SECURED)
    seq = await ctl.mech.reserve_seq()
    ctl.journal.append(RetractStarted(item_id=item_id, slot=slot, plc_seq=seq))
    crash_point("vend.before_retract")
    result = await _run_move(ctl, Command.RETRACT, slot, seq, lambda f: RetractFailed(item_id, f))
    crash_point("vend.after_retract")
    if result is not Result.OK:
        ctl.journal.append(RetractFailed(item_id=item_id, reason=move_failure(result)))
        raise Fault("retract_failed", result.name.lower())
    ctl.journal.append(VendRetracted(item_id=item_id))
    if payload.get("problem"):
        ctl.journal.append(AuditFlagged(reason=AuditReason.INVENTORY_MISMATCH, item_id=item_id,
                                        slot=slot))
    ctl.vend_item = None
    ctl.progress(None, None)
    return Step("book_retracted")


async def _run_move(ctl: "Controller", command: Command, slot: int, seq: int, failed) -> Result:
    """Run a journaled motion; a rejection or a jam is journaled as its failure and raised."""
    try:
        return await ctl.mech.run(command, slot, seq=seq)
    except CarouselRejected:
        ctl.journal.append(failed(MoveFailure.NOT_STARTED))
        raise
    except CarouselJammed:
        ctl.journal.append(failed(MoveFailure.JAM))
        raise
