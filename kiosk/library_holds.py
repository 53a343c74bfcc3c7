"""The library's holds on this machine's books, placed anywhere, into the journal.

The sync worker hands them over (a full list pulled from the library, or the hold a return
made ready); the journal's hold follows the library's word, except while an event of that
book is still owed to the library (the journal knows something the library does not yet).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kiosk.connectors import LibraryHold
from kiosk.journal import HoldEnd, HoldReleased, HoldReported, JournalRefused

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


def take(ctl: "Controller", holds: Sequence[LibraryHold], complete: bool) -> None:
    """Follow the library's holds; `complete`: every hold of the machine's books is listed."""
    journal = ctl.journal
    listed = {h.item_id: h for h in holds if journal.item(h.item_id) is not None}
    changed = False
    for hold in listed.values():
        changed |= _follow(ctl, hold)
    if complete:
        for hold in journal.active_holds():
            if hold.item_id not in listed and not journal.owes_library(hold.item_id):
                changed |= _append(ctl, HoldReleased(item_id=hold.item_id,
                                                     patron_id=hold.patron_id))
    if changed:
        ctl.publish()


def _follow(ctl: "Controller", hold: LibraryHold) -> bool:
    """Note one hold the library keeps, unless the journal already says the same (or has
    already ended that very hold: the library drops an expired hold only when next asked)."""
    if ctl.journal.owes_library(hold.item_id):
        return False
    current = ctl.journal.active_hold(hold.item_id)
    if current is not None and current.patron_id == hold.patron and (
            current.expires_at == hold.expires_at or hold.expires_at is None) and (
            current.ready_at is not None or not hold.ready):
        return False
    last = ctl.journal.last_hold(hold.item_id)
    if current is None and last is not None and last.patron_id == hold.patron and (
            last.end_reason in (HoldEnd.EXPIRED, HoldEnd.RELEASED)
            and last.expires_at == hold.expires_at and hold.ready):
        return False
    log.info("the library holds %s for a patron%s", hold.item_id,
             " (ready)" if hold.ready else "")
    return _append(ctl, HoldReported(item_id=hold.item_id, patron_id=hold.patron,
                                     expires_at=hold.expires_at, ready=hold.ready))


def _append(ctl: "Controller", payload) -> bool:
    try:
        ctl.journal.append(payload)
    except JournalRefused as refused:  # e.g. the book was unstocked meanwhile: logged, no fault
        log.warning("library hold not noted (%s): %s", payload.kind.value, refused)
        return False
    return True
