"""Patrons: lookup by card or member number with PIN, standing, status at a machine."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from sim.library import holds
from sim.library.core import Library, Result
from sim.library.db import from_db, to_db
from sim.library.rules import (
    MACHINE_LOAN_LIMIT,
    Refused,
    Standing,
    borrow_block,
    is_overdue,
    pin_matches,
)


def normalize_uid(card_uid: str) -> str:
    """Card UIDs are compared as upper-case hex without separators."""
    return "".join(c for c in card_uid.upper() if c not in " :-")


def find(lib: Library, *, card_uid: str | None = None,
         member_number: str | None = None) -> sqlite3.Row | None:
    """The patron with this card UID or member number (a card UID also matches a number)."""
    if card_uid is not None:
        row = lib.one("SELECT p.* FROM patrons p JOIN cards c USING (member_number) "
                      "WHERE c.card_uid = ?", normalize_uid(card_uid))
        if row is not None or member_number is None:
            return row
    return lib.one("SELECT * FROM patrons WHERE member_number = ?", member_number)


def require(lib: Library, member_number: str) -> sqlite3.Row:
    """The patron with this member number; Refused unknown_patron otherwise."""
    row = find(lib, member_number=member_number)
    if row is None:
        raise Refused("unknown_patron", member_number)
    return row


def lookup(lib: Library, *, card_uid: str | None, member_number: str | None,
           pin: str | None) -> Result:
    """Identify a patron; a patron with a PIN must give it (pin_required, bad_pin)."""
    row = find(lib, card_uid=card_uid, member_number=member_number)
    if row is None:
        raise Refused("unknown_patron")
    check_pin(row, pin)
    return patron_json(row)


def check_pin(row: sqlite3.Row, pin: str | None) -> None:
    """Refused unless the patron has no PIN or `pin` matches it."""
    if row["pin_hash"] is None:
        return
    if pin is None:
        raise Refused("pin_required")
    if not pin_matches(pin, row["pin_hash"]):
        raise Refused("bad_pin")


def patron_json(row: sqlite3.Row) -> Result:
    """The kiosk-facing view of a patron."""
    return {
        "member_number": row["member_number"],
        "name": row["name"],
        "home_library": row["home_isil"],
        "expires_on": row["expires_on"],
    }


def standing(lib: Library, row: sqlite3.Row, machine_id: str, at: datetime) -> Standing:
    """The facts that decide whether the patron may borrow at `machine_id` at `at`."""
    member, isil = row["member_number"], lib.machine_library(machine_id)
    # A patron of this library needs no check-in there: one query less per loan.
    member_here = row["home_isil"] == isil or lib.one(
        "SELECT 1 FROM checkins WHERE member_number = ? AND isil = ?", member, isil) is not None
    loans = lib.all("SELECT l.due_at, i.home_machine FROM loans l JOIN items i USING (item_id) "
                    "WHERE l.member_number = ? AND l.returned_at IS NULL", member)
    return Standing(
        blocked=row["status"] == "blocked",
        expires_on=date.fromisoformat(row["expires_on"]),
        member_here=member_here,
        overdue_loans=sum(1 for loan in loans if is_overdue(from_db(loan["due_at"]), at)),
        suspended_until=_day(row["suspended_until"]),
        loans_here=sum(1 for loan in loans if loan["home_machine"] == machine_id),
        fees_owed=row["fees_owed"],
    )


def block_reason(lib: Library, row: sqlite3.Row, machine_id: str, at: datetime, *,
                 ignore_limit: bool = False) -> str | None:
    """Why the patron may not borrow at the machine at `at`, or None."""
    today = at.astimezone(lib.tz).date()
    return borrow_block(standing(lib, row, machine_id, at), today, ignore_limit=ignore_limit)


def open_loans(lib: Library, member_number: str) -> list[sqlite3.Row]:
    """The patron's loans anywhere in the federation, with item and title."""
    return lib.all(
        "SELECT l.*, i.home_machine, t.title FROM loans l JOIN items i USING (item_id) "
        "JOIN titles t USING (title_id) WHERE l.member_number = ? AND l.returned_at IS NULL "
        "ORDER BY l.due_at, l.item_id", member_number)


def status(lib: Library, machine_id: str, member_number: str) -> Result:
    """May the patron borrow here now, why not, limit, loans and holds ready here."""
    row = require(lib, member_number)
    now = lib.now()
    reason = block_reason(lib, row, machine_id, now)
    return {
        "patron": patron_json(row),
        "may_borrow": reason is None,
        "reason": reason,
        "blocked_until": row["suspended_until"] if reason == "suspended" else None,
        "loan_limit": MACHINE_LOAN_LIMIT,
        "loans": [_loan_json(lib, loan, now) for loan in open_loans(lib, member_number)],
        "holds_ready": holds.ready_for_patron(lib, machine_id, member_number),
    }


def _loan_json(lib: Library, loan: sqlite3.Row, now: datetime) -> Result:
    return {
        "item_id": loan["item_id"],
        "title": loan["title"],
        "due_at": lib.iso(loan["due_at"]),
        "overdue": is_overdue(from_db(loan["due_at"]), now),
        "home_machine": loan["home_machine"],
    }


def extend_suspension(lib: Library, member_number: str, until: date | None) -> None:
    """Suspend borrowing until `until` unless a longer suspension is already running."""
    if until is None:
        return
    lib.run("UPDATE patrons SET suspended_until = ? WHERE member_number = ? AND "
            "(suspended_until IS NULL OR suspended_until < ?)",
            until.isoformat(), member_number, until.isoformat())


def block(lib: Library, member_number: str, note: str | None) -> sqlite3.Row:
    """Block the patron's account (card lost or retained), keeping the library's note."""
    require(lib, member_number)
    lib.run("UPDATE patrons SET status = 'blocked', block_note = ? WHERE member_number = ?",
            note, member_number)
    return require(lib, member_number)


def block_note(reason: str | None, card_retained: bool) -> str:
    """What the library notes when a machine blocks a card."""
    note = reason or "blocked by a machine"
    return note + (" (card retained)" if card_retained else "")


def set_fees(lib: Library, member_number: str, amount: float) -> None:
    """Set what the patron owes the library."""
    require(lib, member_number)
    lib.run("UPDATE patrons SET fees_owed = ? WHERE member_number = ?", amount, member_number)


def check_in(lib: Library, member_number: str, isil: str) -> None:
    """Record the one-time check-in of a federated member at a library."""
    require(lib, member_number)
    lib.run("INSERT OR IGNORE INTO checkins VALUES (?, ?, ?)",
            member_number, isil, to_db(lib.now()))


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)
