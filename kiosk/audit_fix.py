"""Correcting the journal from an audit's findings, once the technician has confirmed them.

A book the journal has but the slot does not becomes unknown with an open flag (ITEM_MISSING);
a book of this machine found in a slot is located there and its flags are cleared; a foreign tag
flags its slot. A slot whose journal entry changed since it was read is left alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.job_audit import AuditRun, Mismatch
from kiosk.journal import (
    AuditCleared,
    AuditFlagged,
    AuditReason,
    ItemLocated,
    JournalRefused,
    Payload,
    Place,
)

if TYPE_CHECKING:
    from kiosk.controller import Controller

RELOCATABLE = (Place.SLOT, Place.UNKNOWN)  # a book on loan or removed is the library's to settle


def fix(ctl: "Controller", run: AuditRun, by: str) -> dict:
    """Apply every finding still true to the journal; what was done and what was left."""
    done: list[dict] = []
    left: list[dict] = []
    found_here: list[dict] = []
    for finding in run.pending():
        run.applied.append(finding["slot"])  # done or left for a person: not tried again
        if not _journal_unchanged(ctl, finding):
            left.append({**_brief(finding), "reason": "the journal changed since the audit"})
            continue
        kind = Mismatch(finding["mismatch"])
        if kind in (Mismatch.MISSING, Mismatch.DIFFERENT):
            _append(ctl, AuditFlagged(reason=AuditReason.ITEM_MISSING,
                                      item_id=finding["journal_item"]), finding, done, left,
                    "not in its slot: unknown, flagged")
        if kind in (Mismatch.UNEXPECTED, Mismatch.DIFFERENT):
            found_here.append(finding)
        if kind is Mismatch.FOREIGN:
            _append(ctl, AuditFlagged(reason=AuditReason.UNEXPECTED_OCCUPANT, slot=finding["slot"],
                                      place=Place.SLOT), finding, done, left,
                    "foreign tag: slot flagged, take the book out by hand")
    for finding in found_here:
        _locate(ctl, finding, by, done, left)
    return {"run_id": run.run_id, "done": done, "left": left}


def _locate(ctl: "Controller", finding: dict, by: str, done: list, left: list) -> None:
    """A book of this machine read in a slot: the journal puts it there."""
    item = ctl.journal.item(finding["tag_item"])
    if item is None or item.place not in RELOCATABLE:
        where = item.place.value if item else "unknown to the journal"
        left.append({**_brief(finding), "reason": f"the journal has it {where}: check by hand"})
        return
    if item.place is Place.SLOT and not _append(
            ctl, AuditFlagged(reason=AuditReason.INVENTORY_MISMATCH, item_id=item.item_id),
            finding, done, left, f"not in slot {item.slot}"):
        return
    if not _append(ctl, ItemLocated(item_id=item.item_id, place=Place.SLOT, slot=finding["slot"]),
                   finding, done, left, "located here"):
        return
    for flag in ctl.journal.open_flags():
        if flag.item_id == item.item_id:
            _append(ctl, AuditCleared(flag_id=flag.flag_id, cleared_by=by), finding, done, left,
                    f"flag {flag.flag_id} cleared")


def _append(ctl: "Controller", payload: Payload, finding: dict, done: list, left: list,
            what: str) -> bool:
    try:
        ctl.journal.append(payload)
    except JournalRefused as refused:
        left.append({**_brief(finding), "reason": f"the journal refused: {refused}"})
        return False
    done.append({**_brief(finding), "did": what})
    return True


def _journal_unchanged(ctl: "Controller", finding: dict) -> bool:
    item = ctl.journal.item_in_slot(finding["slot"])
    return (item.item_id if item else None) == finding["journal_item"]


def _brief(finding: dict) -> dict:
    return {"slot": finding["slot"], "mismatch": finding["mismatch"],
            "journal_item": finding["journal_item"], "tag_item": finding["tag_item"]}
