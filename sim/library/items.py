"""Items and titles: what the library knows of each copy, and the machine's catalogue."""

from __future__ import annotations

import sqlite3

from sim.library.core import Library, Result
from sim.library.rules import Refused

_ITEM_QUERY = """
SELECT i.item_id, i.owner_isil, i.home_machine, t.title, t.authors, t.isbn13,
       l.member_number AS borrower, l.due_at,
       h.member_number AS hold_patron, h.expires_at AS hold_expires_at,
       (SELECT count(*) FROM holds q WHERE q.item_id = i.item_id
            AND q.state IN ('waiting', 'ready')) AS hold_queue
FROM items i JOIN titles t USING (title_id)
LEFT JOIN loans l ON l.item_id = i.item_id AND l.returned_at IS NULL
LEFT JOIN holds h ON h.item_id = i.item_id AND h.state = 'ready'
"""


def require(lib: Library, item_id: str) -> sqlite3.Row:
    """The item row; Refused unknown_item otherwise."""
    row = lib.one("SELECT * FROM items WHERE item_id = ?", item_id)
    if row is None:
        raise Refused("unknown_item", item_id)
    return row


def info(lib: Library, item_id: str) -> Result:
    """The kiosk-facing view of one copy."""
    row = lib.one(_ITEM_QUERY + "WHERE i.item_id = ?", item_id)
    if row is None:
        raise Refused("unknown_item", item_id)
    return item_json(lib, row)


def catalogue(lib: Library, machine_id: str) -> list[Result]:
    """Every copy homed to the machine, with its catalogue data and status."""
    rows = lib.all(_ITEM_QUERY + "WHERE i.home_machine = ? ORDER BY i.item_id", machine_id)
    return [item_json(lib, row) for row in rows]


def item_json(lib: Library, row: sqlite3.Row) -> Result:
    """One copy as the kiosk-facing API shows it (the hold patron is for SIP2 only)."""
    if row["borrower"] is not None:
        status = "on_loan"
    elif row["hold_patron"] is not None:
        status = "on_hold_shelf"
    else:
        status = "available"
    return {
        "item_id": row["item_id"],
        "title": row["title"],
        "authors": row["authors"],
        "isbn13": row["isbn13"],
        "owner": row["owner_isil"],
        "home_machine": row["home_machine"],
        "status": status,
        "due_at": lib.iso(row["due_at"]),
        "hold_queue": row["hold_queue"],
        "hold_patron": row["hold_patron"],
        "hold_expires_at": lib.iso(row["hold_expires_at"]),
    }

