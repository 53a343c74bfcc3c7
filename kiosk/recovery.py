"""Recovery: every open intent is settled from the PLC's records and the sensors, one at a time.

What the PLC's registers prove (the fate of a SEQ) is used first; a PLC reboot erases them, so a
book's place is then checked physically (RFID at the ports, PRESENT and the picker antenna at a
slot). Where a book must move (a retract, a return still in the port), recovery hands it to the
same states and actions as live operation, and comes back for the next intent. What cannot be
proven is flagged for a technician's audit, never guessed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from drivers.carousel import CommandFate, CommandRecord, Command, Result, State
from drivers.rfid import Antenna
from kiosk import planner, policy
from kiosk.flows import RecoveryFlow, ReturnFlow, VendFlow
from kiosk.journal import (
    AuditFlagged,
    AuditReason,
    IntentKind,
    ItemLocated,
    ItemUnstocked,
    MoveFailure,
    Place,
    RetractFailed,
    ReturnDiverted,
    ReturnShelved,
    Stage,
    StoreFailed,
    TransferFailed,
    Transferred,
    VendFailed,
    VendFetched,
    VendPresented,
    VendRetracted,
    VendTaken,
    UnstockReason,
    WithdrawFailed,
    WithdrawFetched,
    WithdrawPresented,
    utc_now,
)
from kiosk.mechanics import move_failure
from kiosk.steps import Event, Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller
    from kiosk.journal import Intent

log = logging.getLogger(__name__)
BUSY_WAIT_SECONDS = 120.0
PORTS = ((Antenna.PICKUP, Place.PICKUP_PORT), (Antenna.RETURN, Place.RETURN_PORT))
REJECTED_BY_PLC = Result.BUSY  # how a rejected SEQ settles: the PLC refused it, nothing moved


async def prepare(ctl: "Controller") -> RecoveryFlow:
    """Before homing: let a running command finish, note each SEQ's fate and the doors."""
    deadline = asyncio.get_running_loop().time() + BUSY_WAIT_SECONDS
    while (status := await ctl.mech.status()).state is State.BUSY:
        if asyncio.get_running_loop().time() > deadline:
            raise Fault("plc_busy", "a command did not finish")
        await asyncio.sleep(0.1)
    flow = RecoveryFlow(pickup_door_was_open=not status.sensors.pickup_door_closed)
    for intent in ctl.journal.open_intents():
        if intent.plc_seq is not None and intent.stage is Stage.MOVING:
            flow.records[intent.intent_id] = await ctl.devices.carousel.last_command(intent.plc_seq)
    if status.sensors.picker_loaded:
        await _flag_picker_book(ctl)
        raise Fault("picker_loaded", "a book is on the picker: audit needed")
    return flow


async def _flag_picker_book(ctl: "Controller") -> None:
    """A book left on the picker (a power cut or a jam mid-move): flag the open move that
    carried it (read by the picker antenna), else the picker itself; once, not at every start."""
    if any(flag.place is Place.PICKER for flag in ctl.journal.open_flags()):
        return
    for uid in await ctl.mech.tags(Antenna.PICKER):
        item = ctl.journal.item_by_uid(uid)
        if item is None:
            continue
        if item.place is Place.UNKNOWN:
            return  # flagged already (a jam journaled where the move stopped)
        intent = ctl.journal.open_intent_for(item.item_id)
        if intent is not None:
            log.error("%s is on the picker, its %s unfinished: flagged for audit", item.item_id,
                      intent.kind.value)
            ctl.journal.append(AuditFlagged(reason=AuditReason.MOVE_UNCONFIRMED,
                                            intent_id=intent.intent_id, place=Place.PICKER))
            return
    log.error("a book the journal cannot name is on the picker: flagged for audit")
    ctl.journal.append(AuditFlagged(reason=AuditReason.UNEXPECTED_OCCUPANT, place=Place.PICKER))


async def settle_next(ctl: "Controller", flow: RecoveryFlow) -> Step:
    """Settle open intents until one needs a live flow (its step), or report RECOVERED."""
    await _shut_doors(ctl)
    for intent in ctl.journal.open_intents():
        if intent.intent_id in flow.handed_over:  # its live flow ended without closing it
            _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)
            continue
        log.warning("recovering open %s intent %s (%s)", intent.kind.value, intent.intent_id,
                    intent.stage.value)
        handler = HANDLERS.get(intent.kind, _flag_unproven)
        step = await handler(ctl, flow, intent)
        if step is not None:
            flow.handed_over.add(intent.intent_id)
            return step
    await _locate_in_ports(ctl)
    step = await _put_away_strays(ctl, flow)
    if step is None:
        await _require_clear_pickup_port(ctl)
    return step if step is not None else Step(Event.RECOVERED, {"recovery": None})


async def _shut_doors(ctl: "Controller") -> None:
    """A door left open (a crash, a fault) is closed before anything is read behind it."""
    sensors = await ctl.mech.sensors()
    if not sensors.pickup_door_closed:
        await ctl.mech.close_door(Command.CLOSE_PICKUP)
    if not sensors.return_shutter_closed:
        await ctl.mech.close_door(Command.CLOSE_RETURN)


async def _vend(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> Step | None:
    item = ctl.journal.item(intent.item_id)
    if intent.stage is Stage.MOVING:
        settled = _settled_by_record(flow.records.get(intent.intent_id))
        if settled is Result.OK or (settled is None and await _at(ctl, Antenna.PICKUP, item.uid)):
            ctl.journal.append(VendFetched(item_id=item.item_id))
            intent = ctl.journal.intent(intent.intent_id)  # now at stage FETCHED
        elif settled is not None:
            ctl.journal.append(VendFailed(item_id=item.item_id, reason=_failure(settled)))
            return None
        elif await _in_slot(ctl, intent.slot, item.uid):
            ctl.journal.append(VendFailed(item_id=item.item_id, reason=MoveFailure.NOT_STARTED))
            return None
        else:
            return _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)
    if await _at(ctl, Antenna.PICKUP, item.uid):
        return Step(Event.RECOVERY_NEEDS_RETRACT,
                    {"vend": VendFlow(item_id=item.item_id, slot=_slot(intent))})
    if (await ctl.mech.sensors()).pickup_item_present:
        return _flag(ctl, intent, AuditReason.TAKEN_UNCONFIRMED)  # something is there, not its tag
    if intent.stage is Stage.PRESENTED or flow.pickup_door_was_open:
        # The door was open and the port is empty: only the patron can have taken it.
        return _infer_take(ctl, intent)
    return _flag(ctl, intent, AuditReason.ITEM_MISSING)


def _infer_take(ctl: "Controller", intent: "Intent") -> None:
    """Record the loan the journal and the sensors prove, marked as inferred."""
    if intent.stage is Stage.FETCHED:
        ctl.journal.append(VendPresented(item_id=intent.item_id))
    due = policy.due_date(utc_now(), ctl.config.policy)
    ctl.journal.append(VendTaken(item_id=intent.item_id, patron_id=intent.patron_id, due=due,
                                 offline=ctl.offline, inferred=True))
    log.warning("loan of %s inferred: the door was open and the port is empty", intent.item_id)
    ctl.kick_sync()


async def _retract(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> Step | None:
    item = ctl.journal.item(intent.item_id)
    settled = _settled_by_record(flow.records.get(intent.intent_id))
    if settled is Result.OK:
        ctl.journal.append(VendRetracted(item_id=item.item_id))
    elif settled not in (None, REJECTED_BY_PLC):
        # The PLC finished it with a finding (slot occupied, port empty): the journal flags it.
        ctl.journal.append(RetractFailed(item_id=item.item_id, reason=_failure(settled)))
    elif await _at(ctl, Antenna.PICKUP, item.uid):
        ctl.journal.append(RetractFailed(item_id=item.item_id, reason=MoveFailure.NOT_STARTED))
        return Step(Event.RECOVERY_NEEDS_RETRACT,
                    {"vend": VendFlow(item_id=item.item_id, slot=_slot(intent))})
    elif await _in_slot(ctl, intent.slot, item.uid):
        ctl.journal.append(VendRetracted(item_id=item.item_id))
    else:
        _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)
    return None


async def _return(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> Step:
    """A return the patron had begun: close the shutter; a book inside is handled as usual."""
    return Step(Event.RECOVERY_NEEDS_RETURN, {"ret": ReturnFlow(intent_id=intent.intent_id)})


async def _store(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> None:
    item = ctl.journal.item(intent.item_id)
    settled = _settled_by_record(flow.records.get(intent.intent_id))
    if settled is Result.OK or (settled is None and intent.slot is not None
                                and not await _at(ctl, Antenna.RETURN, item.uid)
                                and await _in_slot(ctl, intent.slot, item.uid)):
        done = ReturnShelved if intent.slot is not None else ReturnDiverted
        ctl.journal.append(done(item_id=item.item_id))
    elif settled is not None or await _at(ctl, Antenna.RETURN, item.uid):
        reason = MoveFailure.NOT_STARTED if settled is None else _failure(settled)
        ctl.journal.append(StoreFailed(item_id=item.item_id, reason=reason))
    else:
        _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)


async def _transfer(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> None:
    """A re-slotting TRANSFER: its SEQ's record, else where the picker antenna reads the book."""
    item = ctl.journal.item(intent.item_id)
    settled = _settled_by_record(flow.records.get(intent.intent_id))
    if settled is Result.OK or (settled is None
                                and await _in_slot(ctl, intent.to_slot, item.uid)):
        ctl.journal.append(Transferred(item_id=item.item_id))
    elif settled is not None or await _in_slot(ctl, intent.slot, item.uid):
        reason = MoveFailure.NOT_STARTED if settled is None else _failure(settled)
        ctl.journal.append(TransferFailed(item_id=item.item_id, reason=reason))
    else:
        _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)


async def _withdraw(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> Step | None:
    """A book a technician was taking out: back into its slot, unless the take is proven."""
    item = ctl.journal.item(intent.item_id)
    if intent.stage is Stage.MOVING:
        settled = _settled_by_record(flow.records.get(intent.intent_id))
        if settled is Result.OK or (settled is None and await _at(ctl, Antenna.PICKUP, item.uid)):
            ctl.journal.append(WithdrawFetched(item_id=item.item_id))
            intent = ctl.journal.intent(intent.intent_id)  # now at stage FETCHED
        elif settled is not None or await _in_slot(ctl, intent.slot, item.uid):
            reason = MoveFailure.NOT_STARTED if settled is None else _failure(settled)
            ctl.journal.append(WithdrawFailed(item_id=item.item_id, reason=reason))
            return None
        else:
            return _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)
    if await _at(ctl, Antenna.PICKUP, item.uid):
        return Step(Event.RECOVERY_NEEDS_RETRACT,
                    {"vend": VendFlow(item_id=item.item_id, slot=_slot(intent))})
    if (await ctl.mech.sensors()).pickup_item_present:
        return _flag(ctl, intent, AuditReason.TAKEN_UNCONFIRMED)
    if intent.stage is Stage.PRESENTED or flow.pickup_door_was_open:
        if intent.stage is Stage.FETCHED:
            ctl.journal.append(WithdrawPresented(item_id=item.item_id))
        ctl.journal.append(ItemUnstocked(item_id=item.item_id, reason=UnstockReason.WITHDRAWN,
                                         inferred=True))
        log.warning("withdraw of %s inferred: the door was open and the port is empty",
                    item.item_id)
        return None
    return _flag(ctl, intent, AuditReason.ITEM_MISSING)


async def _flag_unproven(ctl: "Controller", flow: RecoveryFlow, intent: "Intent") -> None:
    _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)


async def _locate_in_ports(ctl: "Controller") -> None:
    """A book a failed move left unknown (a jam) whose tag is the one read at a port's antenna is
    proven there: located, so that it is put away as a stray is (its flag stays for the audit of
    the slots the jam involved)."""
    unknown = {item.uid: item for item in ctl.journal.items(Place.UNKNOWN)}
    for antenna, place in PORTS:
        if not unknown or ctl.journal.item_at(place) is not None:
            continue
        tags = await ctl.mech.tags(antenna)
        if len(tags) == 1 and tags[0] in unknown:
            item = unknown.pop(tags[0])
            log.warning("%s, unknown since a failed move, is read in the %s", item.item_id,
                        place.value)
            ctl.journal.append(ItemLocated(item_id=item.item_id, place=place))


async def _put_away_strays(ctl: "Controller", flow: RecoveryFlow) -> Step | None:
    """A known book left in a port is put away (a return shelved, one in the pickup port
    retracted into a free slot); one whose tag is not there is audited."""
    for item in ctl.journal.items(Place.RETURN_PORT):
        stray = f"stray:{item.item_id}"
        if stray not in flow.handed_over and await _at(ctl, Antenna.RETURN, item.uid):
            flow.handed_over.add(stray)
            return Step(Event.RECOVERY_NEEDS_SHELVING,
                        {"ret": ReturnFlow(intent_id=None, item_id=item.item_id)})
        ctl.journal.append(AuditFlagged(reason=AuditReason.ITEM_MISSING, item_id=item.item_id))
    for item in ctl.journal.items(Place.PICKUP_PORT):
        stray = f"stray:{item.item_id}"
        free = ctl.journal.free_slots()
        if stray not in flow.handed_over and free and await _at(ctl, Antenna.PICKUP, item.uid):
            flow.handed_over.add(stray)
            status = await ctl.mech.status()
            slot = planner.choose_return_slot(free, (status.level, status.position),
                                              status.geometry, ctl.timing)
            return Step(Event.RECOVERY_NEEDS_RETRACT,
                        {"vend": VendFlow(item_id=item.item_id, slot=slot)})
        ctl.journal.append(AuditFlagged(reason=AuditReason.UNEXPECTED_OCCUPANT, item_id=item.item_id,
                                        place=Place.PICKUP_PORT))
    return None


async def _require_clear_pickup_port(ctl: "Controller") -> None:
    """Nothing may be left in the pickup port: the next vend's FETCH could not put its book
    there. A book recovery could not account for keeps the machine out of service."""
    if (await ctl.mech.sensors()).pickup_item_present:
        raise Fault("pickup_port_occupied",
                    "a book recovery cannot account for is in the pickup port: take it out "
                    "(kiosk maintenance on, kiosk door open pickup), then audit")


def _slot(intent: "Intent") -> int:
    if intent.slot is None:
        raise Fault("retract_without_slot", intent.item_id or "")
    return intent.slot


def _settled_by_record(record: CommandRecord | None) -> Result | None:
    """The PLC's proof of what a SEQ did: its result, REJECTED_BY_PLC, or None (no proof)."""
    if record is None or record.fate is CommandFate.NOT_ACCEPTED:
        return None
    if record.fate is CommandFate.REJECTED:
        return REJECTED_BY_PLC
    return record.code


def _failure(result: Result) -> MoveFailure:
    return MoveFailure.NOT_STARTED if result is REJECTED_BY_PLC else move_failure(result)


async def _at(ctl: "Controller", antenna: Antenna, uid: str) -> bool:
    return uid in await ctl.mech.tags(antenna)


async def _in_slot(ctl: "Controller", slot: int | None, uid: str) -> bool:
    """PRESENT the slot and read the book in front of the picker."""
    if slot is None or (await ctl.mech.run(Command.PRESENT, slot)) is not Result.OK:
        return False
    return uid in await ctl.mech.tags(Antenna.PICKER)


def _flag(ctl: "Controller", intent: "Intent", reason: AuditReason) -> None:
    log.error("cannot prove the outcome of %s %s: flagged for audit", intent.kind.value,
              intent.intent_id)
    ctl.journal.append(AuditFlagged(reason=reason, item_id=intent.item_id, slot=intent.slot,
                                    intent_id=intent.intent_id))


HANDLERS = {
    IntentKind.VEND: _vend,
    IntentKind.RETRACT: _retract,
    IntentKind.RETURN: _return,
    IntentKind.STORE: _store,
    IntentKind.TRANSFER: _transfer,
    IntentKind.WITHDRAW: _withdraw,
}
