"""Taking a book back: open the shutter, take it in, read it, decide, shelve or hand back."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from drivers.carousel import Command, Lamp, Result
from drivers.rfid import AFI_SECURED, Antenna
from kiosk import moves, planner, policy
from kiosk.flows import ReturnFlow
from kiosk.journal import (
    AuditFlagged,
    AuditReason,
    Place,
    ReturnIdentified,
    ReturnRejected,
    ReturnRejection,
    ReturnStarted,
    utc_now,
)
from kiosk.mechanics import TagProblem, crash_point
from kiosk.steps import Event, Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller
    from kiosk.journal import Loan

log = logging.getLogger(__name__)

TAKE_BACK_PATIENCE = 10  # insert timeouts to wait for a handed-back book to be taken
SHELVE_ATTEMPTS = 3  # other free slots tried when a slot turns out to be occupied
TAG_PROBLEMS = {
    "no_tag": ReturnRejection.UNREADABLE_TAG,
    "unreadable_tag": ReturnRejection.UNREADABLE_TAG,
    "several_tags": ReturnRejection.SEVERAL_TAGS,
}


async def open_shutter(ctl: "Controller") -> Step:
    """Journal the return, open the shutter, light its lamp."""
    event = ctl.journal.append(ReturnStarted(session_id=str(uuid.uuid4())))
    flow = ReturnFlow(intent_id=event.uuid)
    await ctl.mech.run(Command.OPEN_RETURN)
    await ctl.mech.lamp(Lamp.RETURN_LAMP, True)
    crash_point("return.after_open")
    ctl.progress("insert_your_book", None)
    return Step(Event.RETURN_OPENED, {"ret": flow, "notice": None})


async def await_insert(ctl: "Controller") -> Step:
    """Wait for a book in the return port."""
    timeout = ctl.config.session.insert_timeout
    if await ctl.mech.wait_for(lambda s: s.return_item_present, timeout):
        return Step(Event.BOOK_INSERTED)
    return Step(Event.INSERT_TIMED_OUT)


async def close_shutter(ctl: "Controller", flow: ReturnFlow) -> Step:
    """Lamp off, close the shutter; with nothing inside, the return ends here."""
    await ctl.mech.lamp(Lamp.RETURN_LAMP, False)
    await ctl.mech.close_door(Command.CLOSE_RETURN)
    flow.book_inside = (await ctl.mech.sensors()).return_item_present
    if not flow.book_inside:
        if flow.intent_id is not None:
            ctl.journal.append(ReturnRejected(intent_id=flow.intent_id,
                                              reason=ReturnRejection.NOTHING_INSERTED))
        ctl.progress(None, None)
    return Step(Event.RETURN_CLOSED)


async def identify(ctl: "Controller", flow: ReturnFlow) -> Step:
    """Read the tag: a book this machine lent is accepted (late or not); anything else is not.
    A book whose tag cannot be read is pushed out to be identified by its item barcode."""
    ctl.progress("checking_your_book", None)
    intent_id = _intent(flow)
    try:
        uid, tag = await ctl.mech.read_one(Antenna.RETURN)
    except TagProblem as problem:
        reason = TAG_PROBLEMS[problem.reason]
        if reason is ReturnRejection.UNREADABLE_TAG:
            return await _identify_by_barcode(ctl, flow, problem.uid)
        return _reject(ctl, intent_id, reason, uid=problem.uid)
    item = ctl.journal.item(tag.item_id)
    if item is None or item.uid != uid:
        return _reject(ctl, intent_id, ReturnRejection.NOT_FROM_THIS_MACHINE, uid=uid,
                       item_id=tag.item_id)
    loan = ctl.journal.open_loan(item.item_id)
    if loan is None:
        return _reject(ctl, intent_id, ReturnRejection.NOT_ON_LOAN, uid=uid, item_id=item.item_id)
    return _accept(ctl, flow, loan, {})


def _accept(ctl: "Controller", flow: ReturnFlow, loan: "Loan", extra: dict) -> Step:
    """Journal the return of an identified book on loan and tell the patron."""
    decision = policy.may_return(policy.ReturnFacts(lent_here=True, on_loan=True, due=loan.due),
                                 utc_now(), ctl.config.policy)
    ctl.journal.append(ReturnIdentified(intent_id=_intent(flow), item_id=loan.item_id,
                                        days_late=decision.days_late))
    crash_point("return.after_identified")
    ctl.kick_sync()
    flow.item_id = loan.item_id
    return Step(Event.RETURN_ACCEPTED, {"notice": {"code": "return_accepted",
                                                   "item_id": loan.item_id,
                                                   "days_late": decision.days_late, **extra}})


async def _identify_by_barcode(ctl: "Controller", flow: ReturnFlow, uid: str | None) -> Step:
    """Push the book out, take its scanned item barcode, and have it put back in."""
    result = await ctl.mech.run(Command.EJECT_RETURN)
    if result is not Result.OK:
        raise Fault("eject_failed", result.name.lower())
    flow.ejected = True
    item_id = await _await_barcode(ctl, flow)
    item = ctl.journal.item(item_id) if item_id is not None else None
    loan = ctl.journal.open_loan(item.item_id) if item is not None else None
    if item is None or loan is None or (uid is not None and item.uid != uid):
        return _reject(ctl, _intent(flow), ReturnRejection.UNREADABLE_TAG, uid=uid,
                       item_id=item.item_id if item is not None else None)
    ctl.progress("insert_again", None)
    if not await ctl.mech.wait_for(lambda s: s.return_item_present,
                                   ctl.config.session.insert_timeout):
        return _reject(ctl, _intent(flow), ReturnRejection.UNREADABLE_TAG, uid=uid,
                       item_id=item.item_id)
    await ctl.mech.close_door(Command.CLOSE_RETURN)
    if not (await ctl.mech.sensors()).return_item_present:  # pulled out as the shutter closed
        return _reject(ctl, _intent(flow), ReturnRejection.UNREADABLE_TAG, uid=uid,
                       item_id=item.item_id)
    if await ctl.mech.tags(Antenna.RETURN) != ([uid] if uid else []):  # not what was pushed out
        return _reject(ctl, _intent(flow), ReturnRejection.UNREADABLE_TAG, uid=uid,
                       item_id=item.item_id)
    flow.tagless = True
    log.warning("return of %s identified by its barcode: its tag needs repair", item.item_id)
    return _accept(ctl, flow, loan, {"tag_unreadable": True})


async def _await_barcode(ctl: "Controller", flow: ReturnFlow) -> str | None:
    """The item id the patron scans (Controller._scanned fills the future), or None in time."""
    flow.barcode = asyncio.get_running_loop().create_future()
    ctl.progress("scan_book_barcode", None)
    try:
        async with asyncio.timeout(ctl.config.session.barcode_timeout):
            return await flow.barcode
    except TimeoutError:
        return None
    finally:
        flow.barcode = None


def _intent(flow: ReturnFlow) -> str:
    if flow.intent_id is None:
        raise Fault("internal", "identifying a return with no intent")
    return flow.intent_id


def _reject(ctl: "Controller", intent_id: str, reason: ReturnRejection, uid: str | None = None,
            item_id: str | None = None) -> Step:
    ctl.journal.append(ReturnRejected(intent_id=intent_id, reason=reason, uid=uid,
                                      item_id=item_id))
    return Step(Event.RETURN_REJECTED, {"notice": {"code": "return_rejected",
                                                   "reason": reason.value, "item_id": item_id}})


async def shelve(ctl: "Controller", flow: ReturnFlow) -> Step:
    """Security bit on, then STORE into the best free slot; with none free, the bin. A book
    identified by its barcode goes to the bin: its security bit cannot be written, and a later
    vend could not verify its tag."""
    item = ctl.journal.item(_item(flow))
    ctl.progress("shelving", item.item_id)
    if flow.tagless:
        return Step(Event.RETURN_OVERFLOW)
    await ctl.mech.set_afi(Antenna.RETURN, item.uid, AFI_SECURED)
    for _ in range(SHELVE_ATTEMPTS):
        free = ctl.journal.free_slots()
        if not free:
            return Step(Event.RETURN_OVERFLOW)
        status = await ctl.mech.status()
        slot = planner.choose_return_slot(free, (status.level, status.position),
                                          status.geometry, ctl.timing)
        result = await moves.journaled_move(ctl, moves.store(item.item_id, slot))
        if result is Result.OK:
            return _done(ctl)
        if result is not Result.SLOT_OCCUPIED:
            raise Fault("store_failed", result.name.lower())
    raise Fault("store_failed", "no_free_slot_found")


async def divert(ctl: "Controller", flow: ReturnFlow) -> Step:
    """Send the book to the overflow bin."""
    result = await moves.journaled_move(ctl, moves.store(_item(flow), None))
    if result is not Result.OK:
        raise Fault("divert_failed", result.name.lower())
    if flow.tagless:  # known by its barcode alone: a person checks the bin and re-tags it
        ctl.journal.append(AuditFlagged(reason=AuditReason.INVENTORY_MISMATCH, place=Place.BIN))
    return _done(ctl)


async def hand_back(ctl: "Controller", flow: ReturnFlow | None) -> Step:
    """Push the book out to the patron, wait for them to take it, close the shutter. A book
    pushed out already for its barcode is pushed out again only if it was put back in."""
    ejected = flow is not None and flow.ejected
    if not ejected or (await ctl.mech.sensors()).return_item_present:
        result = await ctl.mech.run(Command.EJECT_RETURN)
        if result is not Result.OK and not (ejected and result is Result.PORT_EMPTY):
            raise Fault("eject_failed", result.name.lower())
    ctl.progress("take_back_your_book", None)
    patience = ctl.config.session.insert_timeout * TAKE_BACK_PATIENCE
    if not await ctl.mech.wait_for(lambda s: s.return_curtain_clear, patience):
        raise Fault("book_not_taken_back")
    await ctl.mech.close_door(Command.CLOSE_RETURN)
    return _done(ctl)


def _item(flow: ReturnFlow) -> str:
    if flow.item_id is None:
        raise Fault("internal", "no returned item")
    return flow.item_id


def _done(ctl: "Controller") -> Step:
    ctl.progress(None, None)
    return Step(Event.RETURN_DONE, {"ret": None})
