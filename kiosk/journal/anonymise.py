"""Closed, delivered circulation keeps no patron identity: member numbers become keyed hashes.

A patron's events and rows about one item (vend, loan, renewals, holds) are pseudonymised once
nothing about that item is waiting for the library (its outbox is delivered) and the patron
has nothing open on it (no open loan, active hold or open intent). Library verifications are
pseudonymised once older than the offline window (they only serve offline lending). The
pseudonym ('h:<hmac>') is the same for one patron everywhere, so statistics still count by
patron; a replay of the events gives the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlite_utils import Database

Pseudonym = Callable[[str], str]

# The exact term of the partial index events_named_patron (schema.py), so it is used.
NAMED = "json_extract(payload, '$.patron_id') NOT LIKE 'h:%'"

# (patron, item) pairs still named in events whose item awaits nothing from the library and
# on which the patron has nothing open (no open loan, active hold or open intent).
_CLOSED_PAIRS = f"""
    SELECT patron, item FROM (
        SELECT DISTINCT json_extract(payload, '$.patron_id') AS patron,
                        json_extract(payload, '$.item_id') AS item
        FROM events WHERE {NAMED} AND json_extract(payload, '$.item_id') IS NOT NULL)
    WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.item_id = item
                      AND delivered_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM loans WHERE loans.item_id = item
                    AND loans.patron_id = patron AND returned_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM holds WHERE holds.item_id = item
                    AND holds.patron_id = patron AND ended_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM intents WHERE intents.item_id = item
                    AND intents.patron_id = patron AND outcome IS NULL)"""

_CLOSED_ROWS = (
    "UPDATE loans SET patron_id = :pseudonym WHERE item_id = :item AND patron_id = :patron"
    " AND returned_at IS NOT NULL",
    "UPDATE holds SET patron_id = :pseudonym WHERE item_id = :item AND patron_id = :patron"
    " AND ended_at IS NOT NULL",
    "UPDATE intents SET patron_id = :pseudonym WHERE item_id = :item AND patron_id = :patron"
    " AND outcome IS NOT NULL",
    f"""UPDATE events SET payload = json_set(payload, '$.patron_id', :pseudonym)
        WHERE {NAMED} AND json_extract(payload, '$.item_id') = :item
        AND json_extract(payload, '$.patron_id') = :patron""",
)


def anonymise(db: Database, pseudonym: Pseudonym, verified_before: datetime | None = None,
              pairs_limit: int = -1) -> int:
    """Pseudonymise what is closed and delivered (in one transaction), at most `pairs_limit`
    (patron, item) pairs of it (-1: all); rows changed (0: nothing was left)."""
    with db.atomic():
        pairs = db.execute(f"{_CLOSED_PAIRS} LIMIT ?", (pairs_limit,)).fetchall()
        aliases = {patron: pseudonym(patron) for patron in {patron for patron, _ in pairs}}
        values = [{"pseudonym": aliases[patron], "patron": patron, "item": item}
                  for patron, item in pairs]
        # One executemany per table: a week's backlog closes thousands of pairs at once.
        changed = sum(db.conn.executemany(sql, values).rowcount
                      for sql in _CLOSED_ROWS) if values else 0
        if verified_before is not None:
            changed += _old_verifications(db, pseudonym, verified_before.isoformat())
    return changed


def _old_verifications(db: Database, pseudonym: Pseudonym, before: str) -> int:
    """Verifications older than `before` (ISO, UTC): their events and patrons rows."""
    events = db.execute(f"""SELECT seq, json_extract(payload, '$.patron_id') FROM events
                            WHERE {NAMED} AND json_extract(payload, '$.item_id') IS NULL
                            AND kind = 'patron_verified' AND at < ?""", (before,)).fetchall()
    for seq, patron in events:
        db.execute("UPDATE events SET payload = json_set(payload, '$.patron_id', ?) WHERE seq = ?",
                   (pseudonym(patron), seq))
    rows = db.execute("SELECT patron_id, last_verified_at, last_good_at FROM patrons"
                      " WHERE patron_id NOT LIKE 'h:%' AND last_verified_at < ?",
                      (before,)).fetchall()
    for patron, verified_at, good_at in rows:
        alias = pseudonym(patron)
        newer = db.execute("SELECT 1 FROM patrons WHERE patron_id = ? AND last_verified_at >= ?",
                           (alias, verified_at)).fetchone()
        if newer is None:
            db.execute("INSERT OR REPLACE INTO patrons (patron_id, last_verified_at, last_good_at)"
                       " VALUES (?, ?, ?)", (alias, verified_at, good_at))
        db.execute("DELETE FROM patrons WHERE patron_id = ?", (patron,))
    return len(events) + len(rows)
