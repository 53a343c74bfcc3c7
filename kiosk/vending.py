"""Lending one book: fetch, check its tag, secure it as on loan, present it, wait for the take."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from drivers.carousel import Command, Lamp, Result
from drivers.rfid import AFI_ON_LOAN, AFI_SECURED, Antenna
from kiosk import moves, patron, planner, policy
from kiosk.flows import VendFlow
from kiosk.journal import (
    AuditFlagged,
    AuditReason,
    IntentKind,
    Place,
    Stage,
    VendPresented,
    VendTaken,
    utc_now,
)
from kiosk.mechanics import TagProblem, crash_point
from kiosk.session import Session
from kiosk.steps import Event, Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


async def fetch(ctl: "Controller", session: Session) -> Step:
    """FETCH the next book of the cart into the pickup port (door shut)."""
    if not session.to_vend:
        raise Fault("internal", "fetching with nothing to fetch")
    item_id = session.to_vend.pop(0)
    ctl.progress("fetching", item_id, _fetch_estimate(ctl, item_id))
    vend = await _fetch_item(ctl, session, item_id)
    if vend is None:
        return Step(Event.SLOT_WAS_EMPTY, {"notice": {"code": "not_available", "item_id": item_id}})
    return Step(Event.BOOK_FETCHED, {"vend": vend})


async def prefetch(ctl: "Controller", session: Session) -> Step:
    """FETCH the first chosen book while the patron still browses; it waits behind the door."""
    chosen = session.prefetch
    if chosen is None:
        raise Fault("internal", "prefetching with nothing chosen")
    vend = await _fetch_item(ctl, session, chosen.item_id)
    if vend is not None:
        chosen.ready = True
        return Step(Event.BOOK_PREFETCHED, {"vend": vend})
    # the controller drops it from the session as the step is taken, not before
    return Step(Event.PREFETCH_MISSED, {"missed": chosen.item_id,
                                        "notice": {"code": "not_available",
                                                   "item_id": chosen.item_id}})


async def _fetch_item(ctl: "Controller", session: Session, item_id: str) -> VendFlow | None:
    """A journaled FETCH: the vend, or None when the book is not there or not the patron's to
    take (held for someone else, just shelved back...): the patron is told, nothing moves."""
    item = ctl.journal.item(item_id)
    if item is None or item.place is not Place.SLOT or item.slot is None:
        return None
    if not _free_for(ctl, item_id, session.member):
        return None
    move = moves.fetch(item_id, item.slot, session.member, session.session_id)
    try:
        result = await moves.journaled_move(ctl, move)
    except moves.MoveNotStarted as refused:  # a patron's choice never faults the machine
        log.info("vend of %s not started: %s", item_id, refused)
        return None
    if result is Result.OK:
        return VendFlow(item_id=item_id, slot=item.slot)
    if result is Result.SLOT_EMPTY:
        return None
    raise Fault("fetch_failed", result.name.lower())


def _fetch_estimate(ctl: "Controller", item_id: str) -> float | None:
    """The planner's seconds to bring this book to the pickup door (None: position unknown)."""
    item, status = ctl.journal.item(item_id), ctl.mech.last_status
    if item is None or item.slot is None or status is None:
        return None
    seconds, _ = planner.fetch_seconds((status.level, status.position), item.slot,
                                       status.geometry, ctl.timing)
    return seconds + ctl.timing.door


def _free_for(ctl: "Controller", item_id: str, member: str) -> bool:
    """Whether the book may go to this patron now: no live hold of someone else on it (a hold
    past its last moment ends here, as the hold timer would end it a moment later)."""
    hold = ctl.journal.active_hold(item_id)
    if hold is None or hold.patron_id == member:
        return True
    if policy.hold_expired(patron.hold_facts(hold), utc_now(), ctl.config.policy):
        patron.expire_hold(ctl, hold)
        return True
    return False


async def verify(ctl: "Controller", vend: VendFlow) -> Step:
    """The tag at the pickup antenna must be this item's; then mark it on loan and check."""
    item = ctl.journal.item(vend.item_id)
    ctl.progress("verifying", item.item_id)
    try:
        uid, tag = await ctl.mech.read_one(Antenna.PICKUP)
    except TagProblem as problem:
        vend.problem = problem.reason
        return Step(Event.WRONG_BOOK)
    if uid != item.uid or tag.item_id != item.item_id:
        vend.problem = "other_item"
        return Step(Event.WRONG_BOOK)
    await ctl.mech.set_afi(Antenna.PICKUP, uid, AFI_ON_LOAN)
    return Step(Event.BOOK_VERIFIED)


async def present(ctl: "Controller", vend: VendFlow) -> Step:
    """Open the pickup door and light its lamp."""
    await ctl.mech.run(Command.OPEN_PICKUP)
    crash_point("vend.after_open_pickup")
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, True)
    ctl.journal.append(VendPresented(item_id=vend.item_id))
    crash_point("vend.after_present")
    ctl.progress("take_your_book", vend.item_id, ctl.config.session.pickup_timeout)
    return Step(Event.PICKUP_OPENED)


async def await_take(ctl: "Controller", session: Session | None, vend: VendFlow) -> Step:
    """Wait for the patron to take the book; only then is it a loan."""
    if session is None:
        raise Fault("internal", "a book presented with no session")
    timeout = ctl.config.session.pickup_timeout
    if not await ctl.mech.wait_for(lambda s: not s.pickup_item_present, timeout):
        return Step(Event.TAKE_TIMED_OUT)
    due = policy.due_date(utc_now(), ctl.config.policy)
    ctl.journal.append(VendTaken(item_id=vend.item_id, patron_id=session.member, due=due,
                                 offline=ctl.offline))
    crash_point("vend.after_taken")
    ctl.kick_sync()
    session.vended.append(vend.item_id)
    session.due[vend.item_id] = due.isoformat()
    session.remaining = max(0, session.remaining - 1)
    return Step(Event.BOOK_TAKEN)


async def _taken_as_the_door_closed(ctl: "Controller", vend: VendFlow) -> bool:
    """The door was opened for the patron, and now the port is empty and its tag gone."""
    intent = ctl.journal.open_intent_for(vend.item_id)
    presented = (intent is not None and intent.kind is IntentKind.VEND  # a withdraw is no loan
                 and intent.stage is Stage.PRESENTED)
    return presented and not (await ctl.mech.sensors()).pickup_item_present


def _late_take(ctl: "Controller", session: Session | None, vend: VendFlow) -> Step:
    """The patron took the book after all, as the door closed: the loan, marked inferred."""
    intent = ctl.journal.open_intent_for(vend.item_id)
    due = policy.due_date(utc_now(), ctl.config.policy)
    ctl.journal.append(VendTaken(item_id=vend.item_id, patron_id=intent.patron_id, due=due,
                                 offline=ctl.offline, inferred=True))
    ctl.kick_sync()
    if session is not None and session.member == intent.patron_id:
        session.vended.append(vend.item_id)
        session.due[vend.item_id] = due.isoformat()
        session.remaining = max(0, session.remaining - 1)
    ctl.progress(None, None)
    return Step(Event.BOOK_TAKEN_LATE, {"vend": None})


async def close_pickup(ctl: "Controller") -> Step:
    """Lamp off, close the door (waiting while a hand is in the way)."""
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
    ctl.progress("door_closing", None)
    await ctl.mech.close_door(Command.CLOSE_PICKUP)
    ctl.progress(None, None)
    return Step(Event.PICKUP_CLOSED, {"vend": None})


async def retract(ctl: "Controller", session: Session | None, vend: VendFlow) -> Step:
    """Put an untaken (or wrong) book back into its slot: security bit back on, no loan."""
    ctl.progress("returning_to_shelf", vend.item_id)
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
    await ctl.mech.close_door(Command.CLOSE_PICKUP)
    tags = await ctl.mech.tags(Antenna.PICKUP)
    if not tags and await _taken_as_the_door_closed(ctl, vend):
        return _late_take(ctl, session, vend)
    for uid in tags:
        await ctl.mech.set_afi(Antenna.PICKUP, uid, AFI_SECURED)
    result = await moves.journaled_move(ctl, moves.retract(vend.item_id, vend.slot))
    if result is not Result.OK:
        raise Fault("retract_failed", result.name.lower())
    if vend.problem:
        ctl.journal.append(AuditFlagged(reason=AuditReason.INVENTORY_MISMATCH,
                                        item_id=vend.item_id, slot=vend.slot))
    ctl.progress(None, None)
    return Step(Event.BOOK_RETRACTED, {"vend": None})
