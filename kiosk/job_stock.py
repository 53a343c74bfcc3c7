"""Loading books through the return port and unloading them through the pickup port.

A load registers each new book in the journal (ItemLoaded, in the return port) before it is
stored with the journaled STORE, so a crash in between leaves a book that start-up recovery
shelves. The shutter is open under a return intent, so a book inserted but not registered when
the controller died is handed back by recovery. An unload moves each book under a WITHDRAW
intent: FETCH to the pickup port, the door opened for the technician, ItemUnstocked once it is
taken, or RETRACT into its slot when it is not.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from drivers.carousel import Command, Lamp, Result
from drivers.rfid import AFI_SECURED, Antenna, TagData
from kiosk import moves, planner
from kiosk.connectors import ConnectorError, ItemInfo, ItemStatus, Refusal
from kiosk.job import Job
from kiosk.journal import (
    AuditFlagged,
    AuditReason,
    ItemLoaded,
    ItemUnstocked,
    Place,
    ReturnRejected,
    ReturnRejection,
    ReturnStarted,
    UnstockReason,
    WithdrawPresented,
    utc_now,
)
from kiosk.mechanics import TagProblem, crash_point
from kiosk.steps import Fault

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
LOAD_SESSION = "load:"  # a load's return intents: not a patron's returns
WAIT_SLICE = 1.0  # s: how often a wait for a book looks at `kiosk stop`
WAITING_REPORT = 30.0  # s between progress reports while waiting for a book
TAKE_BACK_PATIENCE = 10  # insert timeouts to wait for a refused book to be taken back
STORE_ATTEMPTS = 3  # other free slots tried when a slot turns out to be occupied
# Why a book was refused (the load's reason) -> how the journal's return intent ends.
JOURNAL_REASONS = {
    "no_tag": ReturnRejection.UNREADABLE_TAG,
    "unreadable_tag": ReturnRejection.UNREADABLE_TAG,
    "several_tags": ReturnRejection.SEVERAL_TAGS,
    "already_in_machine": ReturnRejection.NOT_ON_LOAN,
}


# -- load ---------------------------------------------------------------------------
async def load(ctl: "Controller", job: Job) -> None:
    """Take new books one by one at the return port until N are loaded, none comes, or stop."""
    count, wait = job.args.get("count"), job.args["wait"]
    loaded: list[dict] = []
    refused: list[dict] = []
    job.result.update(loaded=loaded, refused=refused, ended_by=None)
    try:
        home = (await ctl.ask_library("info")).library  # a book's tag must name this library
    except ConnectorError as exc:
        log.warning("load: the library does not answer: %s", exc)
        job.result["ended_by"] = "library_unreachable"
        return
    while not job.stopping and (count is None or len(loaded) < count):
        if not ctl.journal.free_slots():
            job.result["ended_by"] = "no_free_slot"
            return
        job.report(len(loaded) + len(refused), count, "insert the next book")
        outcome = await _load_one(ctl, job, home, wait, len(loaded) + len(refused))
        if outcome is None:
            job.result["ended_by"] = "no_book"
            return
        (loaded if "slot" in outcome else refused).append(outcome)
        note = (f"{outcome['item_id']} in slot {outcome['slot']}" if "slot" in outcome
                else f"refused: {outcome['reason']}")
        job.report(len(loaded) + len(refused), count, note, book=outcome)
        if outcome.get("reason") == "library_unreachable":
            job.result["ended_by"] = "library_unreachable"
            return
    job.result["ended_by"] = "stopped" if job.stopping else "count"


async def _load_one(ctl: "Controller", job: Job, home: str, wait: float,
                    done: int) -> dict | None:
    """One book: in, read, checked, registered and stored; or handed back. None: no book came."""
    intent = ctl.journal.append(ReturnStarted(session_id=f"{LOAD_SESSION}{uuid.uuid4()}")).uuid
    await ctl.mech.run(Command.OPEN_RETURN)
    await ctl.mech.lamp(Lamp.RETURN_LAMP, True)
    await _wait_for_book(ctl, job, wait, done)
    await ctl.mech.lamp(Lamp.RETURN_LAMP, False)
    await ctl.mech.close_door(Command.CLOSE_RETURN)
    if not (await ctl.mech.sensors()).return_item_present:
        ctl.journal.append(ReturnRejected(intent_id=intent,
                                          reason=ReturnRejection.NOTHING_INSERTED))
        return None
    book = await _identify(ctl, home)
    if "reason" in book:
        ctl.journal.append(ReturnRejected(
            intent_id=intent, reason=JOURNAL_REASONS.get(book["reason"],
                                                         ReturnRejection.NOT_FROM_THIS_MACHINE),
            uid=book.get("uid"), item_id=book.get("item_id")))
        await _hand_back(ctl)
        return book
    ctl.journal.append(ItemLoaded(intent_id=intent, item_id=book["item_id"], uid=book["uid"],
                                  title=book["title"], authors=book["authors"]))
    crash_point("load.after_registered")
    book["slot"] = await _store(ctl, book["item_id"], book["uid"])
    return book


async def _wait_for_book(ctl: "Controller", job: Job, wait: float, done: int) -> bool:
    """Wait up to `wait` s for a book in the return port, or until the technician stops."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    last_report = loop.time()
    while not job.stopping and (left := deadline - loop.time()) > 0:
        if await ctl.mech.wait_for(lambda s: s.return_item_present, min(WAIT_SLICE, left)):
            return True
        if loop.time() - last_report >= WAITING_REPORT:  # the CLI hears that the job lives
            last_report = loop.time()
            job.report(done, job.args.get("count"), f"waiting for a book ({left:.0f} s left)")
    return False


async def _identify(ctl: "Controller", home: str) -> dict:
    """Read the tag and ask the library: the book's facts, or a `reason` to refuse it."""
    try:
        uid, tag = await ctl.mech.read_one(Antenna.RETURN)
    except TagProblem as problem:
        return {"reason": problem.reason, "uid": problem.uid, "item_id": None}
    found = {"uid": uid, "item_id": tag.item_id}
    if reason := _tag_refusal(ctl, uid, tag, home):
        return {**found, "reason": reason}
    try:
        info = await ctl.ask_library("item_info", tag.item_id)
    except ConnectorError as exc:
        log.warning("load: the library did not answer for %s: %s", tag.item_id, exc)
        return {**found, "reason": "library_unreachable"}
    if reason := _record_refusal(info, home):
        return {**found, "reason": reason}
    return {**found, "title": info.title, "authors": info.authors}


def _tag_refusal(ctl: "Controller", uid: str, tag: TagData, home: str) -> str | None:
    """Why this tag cannot be loaded: another library's, or a book the machine has already."""
    if tag.isil != home:
        return "foreign_tag"
    item = ctl.journal.item(tag.item_id)
    owner = ctl.journal.item_by_uid(uid)
    if (item is not None and item.place is not Place.REMOVED) or (
            owner is not None and owner.item_id != tag.item_id):
        return "already_in_machine"
    return None


def _record_refusal(info: ItemInfo | Refusal, home: str) -> str | None:
    """Why the library's record forbids loading: unknown, another library's, or lent out."""
    if isinstance(info, Refusal):
        return "unknown_to_library" if info.reason.value == "unknown_item" else (
            f"library_refused_{info.reason.value}")
    if info.owner not in (None, home):
        return "foreign_tag"
    if info.status is ItemStatus.ON_LOAN:
        return "on_loan_at_library"
    return None


async def _hand_back(ctl: "Controller") -> None:
    """Push the refused book out and wait for the technician to take it."""
    result = await ctl.mech.run(Command.EJECT_RETURN)
    if result is not Result.OK:
        raise Fault("eject_failed", result.name.lower())
    patience = ctl.config.session.insert_timeout * TAKE_BACK_PATIENCE
    if not await ctl.mech.wait_for(lambda s: s.return_curtain_clear, patience):
        raise Fault("book_not_taken_back")
    await ctl.mech.close_door(Command.CLOSE_RETURN)


async def _store(ctl: "Controller", item_id: str, uid: str) -> int:
    """Security bit on, then STORE into the free slot quickest to reach; the slot."""
    await ctl.mech.set_afi(Antenna.RETURN, uid, AFI_SECURED)
    for _ in range(STORE_ATTEMPTS):
        free = ctl.journal.free_slots()
        if not free:
            raise Fault("store_failed", "no_free_slot")
        status = await ctl.mech.status()
        slot = planner.choose_return_slot(free, (status.level, status.position),
                                          status.geometry, ctl.timing)
        result = await moves.journaled_move(ctl, moves.store(item_id, slot))
        if result is Result.OK:
            return slot
        if result is not Result.SLOT_OCCUPIED:
            raise Fault("store_failed", result.name.lower())
    raise Fault("store_failed", "no_free_slot_found")


# -- unload -------------------------------------------------------------------------
async def unload(ctl: "Controller", job: Job) -> None:
    """Withdraw the chosen books one at a time through the pickup port."""
    items = _chosen(ctl, job.args)
    withdrawn: list[dict] = []
    not_taken: list[dict] = []
    refused: list[dict] = []
    job.result.update(withdrawn=withdrawn, not_taken=not_taken, refused=refused)
    for done, item_id in enumerate(items):
        if job.stopping:
            break
        job.report(done, len(items), f"fetching {item_id}")
        outcome = await _withdraw_one(ctl, item_id)
        kind = outcome.get("outcome")
        {"withdrawn": withdrawn, "not_taken": not_taken}.get(kind, refused).append(outcome)
        note = f"{item_id}: {kind}" if kind else f"{item_id} refused: {outcome['reason']}"
        job.report(done + 1, len(items), note, book=outcome)


def _chosen(ctl: "Controller", args: dict) -> list[str]:
    """The items named, or every shelved item neither lent nor stocked for `idle_days`."""
    if "items" in args:
        return list(dict.fromkeys(args["items"]))
    since = utc_now() - timedelta(days=args["idle_days"])
    return [item_id for item_id, last in ctl.journal.last_lent_or_stocked().items()
            if last <= since]


def _unload_refusal(ctl: "Controller", item_id: str) -> str | None:
    """Why this item cannot be withdrawn now (None: it can)."""
    item = ctl.journal.item(item_id)
    if item is None:
        return "not_in_machine"
    if item.place is Place.ON_LOAN:
        return "on_loan"
    if item.place is not Place.SLOT:
        return f"not_in_a_slot ({item.place.value})"
    if ctl.journal.active_hold(item_id) is not None:
        return "held_for_patron"
    if ctl.journal.open_intent_for(item_id) is not None:
        return "being_moved"
    if ctl.journal.slot_flagged(item.slot):
        return "slot_flagged"
    return None


async def _withdraw_one(ctl: "Controller", item_id: str) -> dict:
    """FETCH, check the tag, open the door, wait for the take; RETRACT if not taken."""
    if reason := _unload_refusal(ctl, item_id):
        return {"item_id": item_id, "reason": reason}
    item = ctl.journal.item(item_id)
    found = {"item_id": item_id, "title": item.title, "slot": item.slot}
    try:
        result = await moves.journaled_move(ctl, moves.withdraw(item_id, item.slot))
    except moves.MoveNotStarted as refused:
        return {**found, "reason": refused.code.value}
    if result is Result.SLOT_EMPTY:
        return {**found, "reason": "slot_empty"}  # the journal flagged it for an audit
    if result is not Result.OK:
        raise Fault("fetch_failed", result.name.lower())
    if problem := await _wrong_book(ctl, item.uid, item_id):
        await _retract(ctl, item_id, item.slot)
        ctl.journal.append(AuditFlagged(reason=AuditReason.INVENTORY_MISMATCH, item_id=item_id,
                                        slot=item.slot))
        return {**found, "reason": problem}
    return {**found, "outcome": "withdrawn" if await _present(ctl, item_id) else "not_taken"}


async def _wrong_book(ctl: "Controller", uid: str, item_id: str) -> str | None:
    """The tag at the pickup antenna must be this item's."""
    try:
        found_uid, tag = await ctl.mech.read_one(Antenna.PICKUP)
    except TagProblem as problem:
        return problem.reason
    return None if (found_uid, tag.item_id) == (uid, item_id) else "other_book"


async def _present(ctl: "Controller", item_id: str) -> bool:
    """Open the door for the technician; True once the book is taken, False when it went back."""
    if await ctl.mech.run(Command.OPEN_PICKUP) is not Result.OK:
        raise Fault("door_failed", "open_pickup")
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, True)
    ctl.journal.append(WithdrawPresented(item_id=item_id))
    crash_point("withdraw.after_present")
    taken = await ctl.mech.wait_for(lambda s: not s.pickup_item_present,
                                    ctl.config.session.pickup_timeout)
    await ctl.mech.lamp(Lamp.PICKUP_LAMP, False)
    await ctl.mech.close_door(Command.CLOSE_PICKUP)
    if not taken and (await ctl.mech.tags(Antenna.PICKUP) or
                      (await ctl.mech.sensors()).pickup_item_present):
        await _retract(ctl, item_id, ctl.journal.open_intent_for(item_id).slot)
        return False
    # taken, or taken as the door closed (the port empty and its tag gone)
    ctl.journal.append(ItemUnstocked(item_id=item_id, reason=UnstockReason.WITHDRAWN,
                                     inferred=not taken))
    return True


async def _retract(ctl: "Controller", item_id: str, slot: int) -> None:
    """RETRACT the book in the pickup port into its slot."""
    result = await moves.journaled_move(ctl, moves.retract(item_id, slot))
    if result is not Result.OK:
        raise Fault("retract_failed", result.name.lower())


def technician_load(journal: object, intent_id: str) -> bool:
    """True for a return intent a technician's `kiosk load` opened, not a patron's return."""
    intent = journal.intent(intent_id)
    return bool(intent and intent.session_id and intent.session_id.startswith(LOAD_SESSION))
