"""Start-up reconciliation: every open intent is settled from the PLC's records and the sensors.

What the PLC's registers prove (the fate of a SEQ) is used first; a PLC reboot erases them, so a
book's place is then checked physically (RFID at the ports, PRESENT and the picker antenna at a
slot). What cannot be proven is flagged for a technician's audit, never guessed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from drivers.carousel import CommandFate, CommandRecord, Command, Result, State
from drivers.rfid import AFI_SECURED, Antenna
from kiosk import policy, returning
from kiosk.journal import (
    AuditFlagged,
    AuditReason,
    IntentKind,
    MoveFailure,
    Place,
    RetractFailed,
    RetractStarted,
    ReturnDiverted,
    ReturnShelved,
    Stage,
    StoreFailed,
    VendFailed,
    VendFetched,
    VendRetracted,
    VendTaken,
    utc_now,
)
from kiosk.mechanics import move_failure
from kiosk.steps import Fault

if TYPE_CHECKING:
    from kiosk.controller import Controller
    from kiosk.journal import Intent

log = logging.getLogger(__name__)
BUSY_WAIT_SECONDS = 120.0
NEVER_STARTED = Result.BUSY  # what a rejected SEQ settles as: the PLC refused it, nothing moved


async def reconcile_before_homing(ctl: "Controller") -> None:
    """Let a command still running finish, then note the fate of every journaled SEQ."""
    deadline = asyncio.get_running_loop().time() + BUSY_WAIT_SECONDS
    while (await ctl.mech.status()).state is State.BUSY:
        if asyncio.get_running_loop().time() > deadline:
            raise Fault("plc_busy", "a command did not finish")
        await asyncio.sleep(0.1)
    ctl.recovery_records = {}
    for intent in ctl.journal.open_intents():
        if intent.plc_seq is not None and intent.stage is Stage.MOVING:
            ctl.recovery_records[intent.intent_id] = await ctl.devices.carousel.last_command(
                intent.plc_seq)
    if (await ctl.mech.sensors()).picker_loaded:
        raise Fault("picker_loaded", "a book is on the picker: audit needed")


async def reconcile(ctl: "Controller") -> None:
    """Shut the doors, settle every open intent (the carousel is homed), put stray books away."""
    records: dict[str, CommandRecord] = getattr(ctl, "recovery_records", {})
    ctl.recovery_records = {}
    await _shut_doors(ctl)
    for intent in ctl.journal.open_intents():
        log.warning("recovering open %s intent %s (%s)", intent.kind.value, intent.intent_id,
                    intent.stage.value)
        handler = HANDLERS.get(intent.kind, _flag_unproven)
        await handler(ctl, intent, records.get(intent.intent_id))
    await _put_away_strays(ctl)


async def _shut_doors(ctl: "Controller") -> None:
    """A door left open (a crash, a fault) is closed before anything is read behind it."""
    sensors = await ctl.mech.sensors()
    if not sensors.pickup_door_closed:
        await ctl.mech.close_door(Command.CLOSE_PICKUP)
    if not sensors.return_shutter_closed:
        await ctl.mech.close_door(Command.CLOSE_RETURN)


async def _vend(ctl: "Controller", intent: "Intent", record: CommandRecord | None) -> None:
    item = ctl.journal.item(intent.item_id)
    if intent.stage is Stage.MOVING:
        settled = _settled_by_record(record)
        if settled is Result.OK or (settled is None and await _at(ctl, Antenna.PICKUP, item.uid)):
            ctl.journal.append(VendFetched(item_id=item.item_id))
        elif settled is not None:
            ctl.journal.append(VendFailed(item_id=item.item_id, reason=_failure(settled)))
            return
        elif await _in_slot(ctl, intent.slot, item.uid):
            ctl.journal.append(VendFailed(item_id=item.item_id, reason=MoveFailure.NOT_STARTED))
            return
        else:
            return _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)
    present = await _at(ctl, Antenna.PICKUP, item.uid)
    if present:
        await _retract(ctl, item.item_id, item.uid, intent.slot)
    elif intent.stage is Stage.PRESENTED and (await ctl.mech.sensors()).pickup_item_present:
        _flag(ctl, intent, AuditReason.TAKEN_UNCONFIRMED)  # something is there, but not its tag
    elif intent.stage is Stage.PRESENTED:
        # The door was open and the port is empty: only the patron can have taken it.
        due = policy.due_date(utc_now(), ctl.config.policy)
        ctl.journal.append(VendTaken(item_id=item.item_id, patron_id=intent.patron_id, due=due,
                                     offline=ctl.offline))
        ctl.kick_sync()
    else:
        _flag(ctl, intent, AuditReason.ITEM_MISSING)


async def _retract_intent(ctl: "Controller", intent: "Intent", record: CommandRecord | None) -> None:
    item = ctl.journal.item(intent.item_id)
    settled = _settled_by_record(record)
    if settled is Result.OK:
        ctl.journal.append(VendRetracted(item_id=item.item_id))
    elif settled not in (None, NEVER_STARTED):
        # The PLC finished it with a finding (slot occupied, port empty): the journal flags it.
        ctl.journal.append(RetractFailed(item_id=item.item_id, reason=_failure(settled)))
    elif await _at(ctl, Antenna.PICKUP, item.uid):
        ctl.journal.append(RetractFailed(item_id=item.item_id, reason=MoveFailure.NOT_STARTED))
        await _retract(ctl, item.item_id, item.uid, intent.slot)
    elif await _in_slot(ctl, intent.slot, item.uid):
        ctl.journal.append(VendRetracted(item_id=item.item_id))
    else:
        _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)


async def _return(ctl: "Controller", intent: "Intent", record: CommandRecord | None) -> None:
    """A return the patron had begun: close the shutter; a book inside is handled as usual."""
    ctl.return_intent = intent.intent_id
    await returning.close_shutter(ctl)
    if not (await ctl.mech.sensors()).return_item_present:
        return
    step = await returning.identify(ctl)
    if step.event == "return_accepted":
        await _shelve_now(ctl)
    else:
        await returning.hand_back(ctl)


async def _store(ctl: "Controller", intent: "Intent", record: CommandRecord | None) -> None:
    item = ctl.journal.item(intent.item_id)
    settled = _settled_by_record(record)
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


async def _flag_unproven(ctl: "Controller", intent: "Intent", record: CommandRecord | None) -> None:
    _flag(ctl, intent, AuditReason.MOVE_UNCONFIRMED)


async def _put_away_strays(ctl: "Controller") -> None:
    """An identified return left in the port is shelved; anything else in a port is audited."""
    for item in ctl.journal.items(Place.RETURN_PORT):
        if await _at(ctl, Antenna.RETURN, item.uid):
            ctl.return_item = item.item_id
            await _shelve_now(ctl)
        else:
            ctl.journal.append(AuditFlagged(reason=AuditReason.ITEM_MISSING, item_id=item.item_id))
    for item in ctl.journal.items(Place.PICKUP_PORT):
        ctl.journal.append(AuditFlagged(reason=AuditReason.UNEXPECTED_OCCUPANT, item_id=item.item_id,
                                        place=Place.PICKUP_PORT))


async def _shelve_now(ctl: "Controller") -> None:
    step = await returning.shelve(ctl)
    if step.event == "return_overflow":
        await returning.divert(ctl)


async def _retract(ctl: "Controller", item_id: str, uid: str, slot: int | None) -> None:
    if slot is None:
        raise Fault("retract_without_slot", item_id)
    await ctl.mech.close_door(Command.CLOSE_PICKUP)
    await ctl.mech.set_afi(Antenna.PICKUP, uid, AFI_SECURED)
    seq = await ctl.mech.reserve_seq()
    ctl.journal.append(RetractStarted(item_id=item_id, slot=slot, plc_seq=seq))
    result = await ctl.mech.run(Command.RETRACT, slot, seq=seq)
    if result is not Result.OK:
        ctl.journal.append(RetractFailed(item_id=item_id, reason=move_failure(result)))
        raise Fault("retract_failed", result.name.lower())
    ctl.journal.append(VendRetracted(item_id=item_id))


def _settled_by_record(record: CommandRecord | None) -> Result | None:
    """The PLC's proof of what a SEQ did: its result, NEVER_STARTED, or None (no proof)."""
    if record is None or record.fate is CommandFate.NOT_ACCEPTED:
        return None
    if record.fate is CommandFate.REJECTED:
        return NEVER_STARTED
    return record.code


def _failure(result: Result) -> MoveFailure:
    return MoveFailure.NOT_STARTED if result is NEVER_STARTED else move_failure(result)


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
    IntentKind.RETRACT: _retract_intent,
    IntentKind.RETURN: _return,
    IntentKind.STORE: _store,
}
