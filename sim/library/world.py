"""Admin operations for tests and demos: create patrons, lend elsewhere, read the truth."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sim.collection import CatalogRow, load_catalog
from sim.library import circulation, holds, items, patrons
from sim.library.core import Library, Result
from sim.library.db import from_db, to_db
from sim.library.rules import Refused, due_at, end_of_day, hash_pin, is_overdue

DEFAULT_VALIDITY_DAYS = 365


def ensure_library(lib: Library, isil: str, name: str) -> None:
    """Add a library to the federation unless it is there."""
    lib.run("INSERT OR IGNORE INTO libraries VALUES (?, ?)", isil, name)


def ensure_machine(lib: Library, machine_id: str, isil: str) -> None:
    """Register a kiosk machine of a library."""
    lib.run("INSERT INTO machines VALUES (?, ?) ON CONFLICT (machine_id) DO UPDATE "
            "SET isil = excluded.isil", machine_id, isil)


def add_title(lib: Library, row: CatalogRow) -> None:
    """Add a catalogue title unless it is there."""
    lib.run("INSERT OR IGNORE INTO titles VALUES (?, ?, ?, ?, ?, ?)", row.book_id, row.isbn13,
            row.title, row.authors, row.year, row.language)


def add_item(lib: Library, item_id: str, title_id: int, owner: str,
             home_machine: str | None) -> None:
    """Add a copy unless it is there."""
    lib.run("INSERT OR IGNORE INTO items (item_id, title_id, owner_isil, home_machine) "
            "VALUES (?, ?, ?, ?)", item_id, title_id, owner, home_machine)


def create_patron(lib: Library, spec: dict[str, Any]) -> Result:
    """Create a patron from an admin spec (see docs/library.md); conflict if the number exists."""
    member = spec["member_number"]
    if patrons.find(lib, member_number=member) is not None:
        raise Refused("patron_exists", member)
    home = spec.get("home_library") or lib.home_isil
    if lib.one("SELECT 1 FROM libraries WHERE isil = ?", home) is None:
        raise Refused("unknown_library", home)
    expires = spec.get("expires_on") or (lib.clock.today() + timedelta(DEFAULT_VALIDITY_DAYS))
    with lib.atomic():
        lib.run("INSERT INTO patrons (member_number, name, home_isil, pin_hash, expires_on, "
                "status, suspended_until, fees_owed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                member, spec["name"], home,
                hash_pin(spec["pin"]) if spec.get("pin") else None, str(expires),
                "blocked" if spec.get("blocked") else "active",
                _opt_str(spec.get("suspended_until")), spec.get("fees_owed") or 0)
        if spec.get("card_uid"):
            lib.run("INSERT INTO cards VALUES (?, ?)", patrons.normalize_uid(spec["card_uid"]),
                    member)
        for isil in spec.get("checked_in", ()):
            patrons.check_in(lib, member, isil)
    return patron_report(lib, member)


def lend_elsewhere(lib: Library, member_number: str, isil: str, days_overdue: int) -> Result:
    """A loan of another library's copy (not in any machine), `days_overdue` late now."""
    patrons.require(lib, member_number)
    if lib.one("SELECT 1 FROM libraries WHERE isil = ?", isil) is None:
        raise Refused("unknown_library", isil)
    title = _spare_title(lib)
    item_id = f"X{isil}-{title.book_id:05d}"
    now = lib.now()
    with lib.atomic():
        add_title(lib, title)
        add_item(lib, item_id, title.book_id, isil, None)
        due = _due_for_lateness(lib, now, days_overdue)
        lib.run("INSERT INTO loans (item_id, member_number, loaned_at, due_at) VALUES (?, ?, ?, ?)",
                item_id, member_number, to_db(min(now, due)), to_db(due))
    return item_report(lib, item_id)


def make_overdue(lib: Library, item_id: str, days: int) -> Result:
    """Move an open loan's due date so that it is `days` days overdue now."""
    loan = _open_loan(lib, item_id)
    lib.run("UPDATE loans SET due_at = ? WHERE loan_id = ?",
            to_db(_due_for_lateness(lib, lib.now(), days)), loan["loan_id"])
    return item_report(lib, item_id)


def return_elsewhere(lib: Library, item_id: str, at: datetime | None) -> Result:
    """Return an open loan at its library's desk (suspends the borrower if late)."""
    loan = _open_loan(lib, item_id)
    when = at or lib.now()
    with lib.atomic():
        circulation.return_loan(lib, loan, when)
        holds.promote(lib, item_id, when)
    return item_report(lib, item_id)


def hold_at_desk(lib: Library, item_id: str, member_number: str) -> Result:
    """A hold placed at the library's desk (not at a kiosk) on a copy that is out."""
    item = items.require(lib, item_id)
    patrons.require(lib, member_number)
    if item["home_machine"] is None:
        raise Refused("wrong_location", item_id)
    holds.place(lib, item["home_machine"], member_number, item_id, lib.now(), None)
    return item_report(lib, item_id)


def set_loan_fee(lib: Library, item_id: str, amount: float) -> Result:
    """The fee a SIP2 checkout of the copy asks the patron to acknowledge (0: none)."""
    items.require(lib, item_id)
    lib.run("UPDATE items SET loan_fee = ? WHERE item_id = ?", amount, item_id)
    return item_report(lib, item_id)


def patron_report(lib: Library, member_number: str) -> Result:
    """Everything the library knows of a patron."""
    row = patrons.require(lib, member_number)
    now = lib.now()
    return {
        **patrons.patron_json(row),
        "status": row["status"],
        "pin": row["pin_hash"] is not None,
        "suspended_until": row["suspended_until"],
        "fees_owed": row["fees_owed"],
        "block_note": row["block_note"],
        "cards": [r["card_uid"] for r in lib.all(
            "SELECT card_uid FROM cards WHERE member_number = ? ORDER BY card_uid", member_number)],
        "checked_in": [r["isil"] for r in lib.all(
            "SELECT isil FROM checkins WHERE member_number = ? ORDER BY isil", member_number)],
        "loans": [_loan_report(lib, r, now) for r in lib.all(
            "SELECT * FROM loans WHERE member_number = ? ORDER BY loan_id", member_number)],
        "holds": [_hold_report(lib, r) for r in lib.all(
            "SELECT * FROM holds WHERE member_number = ? ORDER BY hold_id", member_number)],
    }


def item_report(lib: Library, item_id: str) -> Result:
    """Everything the library knows of a copy: status, loan history, holds."""
    now = lib.now()
    return {
        **items.info(lib, item_id),
        "loan_fee": items.require(lib, item_id)["loan_fee"],
        "loans": [_loan_report(lib, r, now) for r in lib.all(
            "SELECT * FROM loans WHERE item_id = ? ORDER BY loan_id", item_id)],
        "holds": [_hold_report(lib, r) for r in lib.all(
            "SELECT * FROM holds WHERE item_id = ? ORDER BY hold_id", item_id)],
    }


def transactions(lib: Library, limit: int) -> list[Result]:
    """The most recent transactions the library recorded, newest first."""
    rows = lib.all("SELECT * FROM transactions ORDER BY recorded_at DESC, rowid DESC LIMIT ?",
                   limit)
    return [{"transaction_id": r["transaction_id"], "kind": r["kind"], "item_id": r["item_id"],
             "patron": r["member_number"], "machine_id": r["machine_id"], "status": r["status"],
             "reason": r["reason"], "recorded_at": lib.iso(r["recorded_at"])} for r in rows]


def _loan_report(lib: Library, row, now: datetime) -> Result:
    return {"item_id": row["item_id"], "patron": row["member_number"],
            "machine_id": row["machine_id"], "loaned_at": lib.iso(row["loaned_at"]),
            "due_at": lib.iso(row["due_at"]), "renewals": row["renewals"],
            "returned_at": lib.iso(row["returned_at"]), "late_days": row["late_days"],
            "overdue": row["returned_at"] is None and is_overdue(from_db(row["due_at"]), now),
            "conflict": row["conflict"], "offline": bool(row["offline"]),
            "renewed_offline": bool(row["renewed_offline"])}


def _hold_report(lib: Library, row) -> Result:
    return {"item_id": row["item_id"], "patron": row["member_number"], "state": row["state"],
            "pickup_machine": row["pickup_machine"], "placed_at": lib.iso(row["placed_at"]),
            "expires_at": lib.iso(row["expires_at"]),
            "notified_at": lib.iso(row["notified_at"])}


def _due_for_lateness(lib: Library, now: datetime, days_overdue: int) -> datetime:
    if days_overdue <= 0:
        return due_at(now, lib.tz)
    return end_of_day(now.astimezone(lib.tz).date() - timedelta(days=days_overdue), lib.tz)


def _open_loan(lib: Library, item_id: str):
    items.require(lib, item_id)
    loan = lib.one("SELECT * FROM loans WHERE item_id = ? AND returned_at IS NULL", item_id)
    if loan is None:
        raise Refused("not_on_loan", item_id)
    return loan


def _spare_title(lib: Library) -> CatalogRow:
    """A catalogue title no copy uses yet, from the least popular end."""
    used = {r["title_id"] for r in lib.all("SELECT title_id FROM items")}
    return next(row for row in reversed(load_catalog()) if row.book_id not in used)


def _opt_str(value: date | str | None) -> str | None:
    return None if value is None else str(value)
