"""Checkout, checkin and renewal: the rules, idempotent by transaction id."""

from __future__ import annotations

from datetime import datetime

from sim.library import holds, patrons
from sim.library.core import Library, Result
from sim.library.db import from_db, to_db
from sim.library.rules import (
    MAX_RENEWALS,
    Refused,
    due_at,
    is_overdue,
    late_days,
    renewed_due_at,
    suspension_end,
)


def checkout(lib: Library, tx: str | None, machine_id: str, member_number: str, item_id: str,
             at: datetime, no_block: bool, offline: bool = False) -> Result:
    """Lend a copy of this machine; a no-block checkout is recorded despite a block.

    `offline`: the kiosk lent it while it could not reach the library (kept on the loan).
    """
    return lib.once(tx, ("checkout", item_id, member_number), machine_id,
                    lambda: _checkout(lib, machine_id, member_number, item_id, at, no_block,
                                      offline))


def _checkout(lib: Library, machine_id: str, member_number: str, item_id: str,
              at: datetime, no_block: bool, offline: bool) -> Result:
    patron = patrons.require(lib, member_number)
    home, loan = _copy_and_open_loan(lib, item_id)
    if home != machine_id:
        raise Refused("wrong_location", item_id)
    if loan is not None:
        same = loan["member_number"] == member_number
        raise Refused("already_on_loan" if same else "item_not_available", item_id)
    held = holds.queue_length(lib, item_id) > 0  # most copies have none: skip their queries
    conflict = patrons.block_reason(lib, patron, machine_id, at) or (
        _held_for_other(lib, item_id, member_number) if held else None)
    if conflict is not None and not no_block:
        raise Refused(conflict)
    due = due_at(at, lib.tz)
    lib.run("INSERT INTO loans (item_id, member_number, machine_id, loaned_at, due_at, conflict, "
            "offline) VALUES (?, ?, ?, ?, ?, ?, ?)", item_id, member_number, machine_id,
            to_db(at), to_db(due), conflict, int(offline))
    if held:
        holds.fulfil(lib, item_id, member_number)
        holds.unready(lib, item_id)
    return {"item_id": item_id, "patron": member_number, "due_at": lib.iso(due),
            "conflict": conflict}


def checkin(lib: Library, tx: str | None, machine_id: str, item_id: str, at: datetime,
            no_block: bool, patron: str | None = None) -> Result:
    """Take back a copy of this machine; lateness suspends the borrower. `patron`, when the
    machine sends it, must be the borrower: another's is refused, or recorded as a conflict
    (no_block: the book is back either way)."""
    return lib.once(tx, ("checkin", item_id, None), machine_id,
                    lambda: _checkin(lib, machine_id, item_id, at, no_block, patron))


def _checkin(lib: Library, machine_id: str, item_id: str, at: datetime,
             no_block: bool, patron: str | None = None) -> Result:
    home, loan = _copy_and_open_loan(lib, item_id)
    if loan is None:
        raise Refused("not_on_loan", item_id)
    conflict = None if home == machine_id else "wrong_location"
    if conflict is None and patron is not None and patron != loan["member_number"]:
        conflict = "not_loaned_to_patron"
    if conflict is not None and not no_block:
        raise Refused(conflict, item_id)
    days = return_loan(lib, loan, at)
    waiting = holds.queue_length(lib, item_id) > 0 and holds.promote(lib, item_id, at)
    return {"item_id": item_id, "patron": loan["member_number"], "late_days": days,
            "hold_waiting": waiting, "hold": holds.ready_json(lib, item_id) if waiting else None,
            "conflict": conflict}


def return_loan(lib: Library, loan, at: datetime) -> int:
    """Close a loan at `at`; suspend the borrower as many days as it was late."""
    days = late_days(from_db(loan["due_at"]), at, lib.tz)
    lib.run("UPDATE loans SET returned_at = ?, late_days = ? WHERE loan_id = ?",
            to_db(at), days, loan["loan_id"])
    patrons.extend_suspension(lib, loan["member_number"], suspension_end(at, days, lib.tz))
    return days


def renew(lib: Library, tx: str | None, machine_id: str, member_number: str, item_id: str,
          at: datetime, no_block: bool, offline: bool = False) -> Result:
    """Extend a loan once by 7 days from its due date, unless overdue or held by another.

    `offline`: renewed at the kiosk while it could not reach the library (kept on the loan).
    """
    return lib.once(tx, ("renew", item_id, member_number), machine_id,
                    lambda: _renew(lib, machine_id, member_number, item_id, at, no_block,
                                   offline))


def _renew(lib: Library, machine_id: str, member_number: str, item_id: str, at: datetime,
           no_block: bool, offline: bool) -> Result:
    patron = patrons.require(lib, member_number)
    _, loan = _copy_and_open_loan(lib, item_id)
    if loan is None:
        raise Refused("not_on_loan", item_id)
    if loan["member_number"] != member_number:
        raise Refused("not_loaned_to_patron", item_id)
    conflict = _renewal_block(lib, loan, at) or patrons.block_reason(
        lib, patron, machine_id, at, ignore_limit=True)
    if conflict is not None and not no_block:
        raise Refused(conflict, item_id)
    due = renewed_due_at(from_db(loan["due_at"]))
    lib.run("UPDATE loans SET due_at = ?, renewals = renewals + 1, renewed_offline = ? "
            "WHERE loan_id = ?", to_db(due), int(offline), loan["loan_id"])
    return {"item_id": item_id, "patron": member_number, "due_at": lib.iso(due),
            "conflict": conflict}


def _renewal_block(lib: Library, loan, at: datetime) -> str | None:
    if is_overdue(from_db(loan["due_at"]), at):
        return "overdue"
    if loan["renewals"] >= MAX_RENEWALS:
        return "renewal_limit"
    if holds.queue_length(lib, loan["item_id"]):
        return "held_for_other"
    return None


def _held_for_other(lib: Library, item_id: str, member_number: str) -> str | None:
    ready = holds.ready_hold(lib, item_id)
    if ready is not None and ready["member_number"] != member_number:
        return "held_for_other"
    return None


def _copy_and_open_loan(lib: Library, item_id: str):
    """(the copy's home machine, its open loan or None) in one query; Refused unknown_item."""
    row = lib.one("SELECT i.home_machine AS copy_home, l.* FROM items i LEFT JOIN loans l "
                  "ON l.item_id = i.item_id AND l.returned_at IS NULL WHERE i.item_id = ?",
                  item_id)
    if row is None:
        raise Refused("unknown_item", item_id)
    return row["copy_home"], row if row["loan_id"] is not None else None


def place_hold(lib: Library, tx: str | None, machine_id: str, member_number: str,
               item_id: str, at: datetime) -> Result:
    """Hold a copy that is out, for pickup at its machine; idempotent by transaction id."""
    def action() -> Result:
        patron = patrons.require(lib, member_number)
        block = patrons.block_reason(lib, patron, machine_id, at, ignore_limit=True)
        return holds.place(lib, machine_id, member_number, item_id, at, block)
    return lib.once(tx, ("hold_placed", item_id, member_number), machine_id, action)


def cancel_hold(lib: Library, tx: str | None, machine_id: str, member_number: str,
                item_id: str, at: datetime) -> Result:
    """Cancel a hold; idempotent by transaction id."""
    def action() -> Result:
        patrons.require(lib, member_number)
        return holds.cancel(lib, member_number, item_id, at)
    return lib.once(tx, ("hold_cancelled", item_id, member_number), machine_id, action)
