"""The journal's read API: what recovery, the state machine and reducers ask."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from kiosk.journal.codec import row_decoder
from kiosk.journal.enums import Place, TechnicianOutcome
from kiosk.journal.events import EventKind, decode_payload
from kiosk.journal.records import (
    AuditFlag,
    Backlog,
    Event,
    Hold,
    Intent,
    Item,
    Loan,
    OutboxConflict,
    TechnicianLogEntry,
)

R = TypeVar("R")


class JournalReader:
    """Read-only queries over the derived tables and the event log."""

    def __init__(self, db: Database, slot_count: int) -> None:
        self.db = db
        self.slot_count = slot_count

    def _rows(self, cls: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        cursor = self.db.conn.execute(sql, params)
        read = row_decoder(cls, _columns(cursor))
        return [read(row) for row in cursor]

    def _dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts (plain sqlite3: sqlite-utils' query() wraps each in a savepoint)."""
        cursor = self.db.conn.execute(sql, params)
        columns = _columns(cursor)
        return [dict(zip(columns, row)) for row in cursor]

    def _one(self, cls: type[R], sql: str, params: Sequence[Any] = ()) -> R | None:
        rows = self._rows(cls, sql, params)
        return rows[0] if rows else None

    def item(self, item_id: str) -> Item | None:
        """The item with this id, wherever it is."""
        return self._one(Item, "SELECT * FROM items WHERE item_id = ?", (item_id,))

    def item_by_uid(self, uid: str) -> Item | None:
        """The item whose tag has this UID."""
        return self._one(Item, "SELECT * FROM items WHERE uid = ?", (uid,))

    def items(self, place: Place | None = None) -> list[Item]:
        """All items (or those at one place), by id."""
        if place is None:
            return self._rows(Item, "SELECT * FROM items ORDER BY item_id")
        return self._rows(Item, "SELECT * FROM items WHERE place = ? ORDER BY item_id", (place,))

    def item_in_slot(self, slot: int) -> Item | None:
        """The item the journal has in this slot."""
        sql = "SELECT items.* FROM slots JOIN items USING (item_id) WHERE slots.slot = ?"
        return self._one(Item, sql, (slot,))

    def item_at(self, place: Place) -> Item | None:
        """The item at a one-book place (pickup port, return port, picker)."""
        return self._one(Item, "SELECT * FROM items WHERE place = ? LIMIT 1", (place,))

    def free_slots(self) -> list[int]:
        """Slots with no item, no open intent reserving them and no open audit flag."""
        taken = {row["slot"] for row in self._dicts(_UNUSABLE_SLOTS)}
        return [slot for slot in range(self.slot_count) if slot not in taken]

    def slot_reserved_by(self, slot: int) -> Intent | None:
        """The open intent that moves a book out of or into this slot."""
        sql = "SELECT * FROM intents WHERE outcome IS NULL AND (slot = ? OR to_slot = ?)"
        return self._one(Intent, sql, (slot, slot))

    def slot_flagged(self, slot: int) -> bool:
        """True while an open audit flag names this slot."""
        sql = "SELECT 1 FROM audit_flags WHERE slot = ? AND cleared_at IS NULL"
        return self.db.execute(sql, (slot,)).fetchone() is not None

    def open_intents(self) -> list[Intent]:
        """Intents without an outcome, oldest first: what recovery must reconcile."""
        sql = "SELECT * FROM intents WHERE outcome IS NULL ORDER BY opened_at, rowid"
        return self._rows(Intent, sql)

    def intent(self, intent_id: str) -> Intent | None:
        """One intent, open or closed."""
        return self._one(Intent, "SELECT * FROM intents WHERE intent_id = ?", (intent_id,))

    def open_intent_for(self, item_id: str) -> Intent | None:
        """The open intent moving this item, if any."""
        sql = "SELECT * FROM intents WHERE item_id = ? AND outcome IS NULL"
        return self._one(Intent, sql, (item_id,))

    def open_loan(self, item_id: str) -> Loan | None:
        """The loan of this item that has not been returned."""
        sql = "SELECT * FROM loans WHERE item_id = ? AND returned_at IS NULL"
        return self._one(Loan, sql, (item_id,))

    def open_loans(self, patron_id: str | None = None) -> list[Loan]:
        """Loans not yet returned (of one patron, or all), oldest first."""
        if patron_id is None:
            return self._rows(Loan, "SELECT * FROM loans WHERE returned_at IS NULL ORDER BY rowid")
        sql = "SELECT * FROM loans WHERE patron_id = ? AND returned_at IS NULL ORDER BY rowid"
        return self._rows(Loan, sql, (patron_id,))

    def loan_closed_by(self, event: Event) -> Loan | None:
        """The loan a return event closed (its patron is the one the check-in names)."""
        sql = "SELECT * FROM loans WHERE item_id = ? AND returned_at = ? LIMIT 1"
        return self._one(Loan, sql, (event.payload.item_id, event.at.isoformat()))

    def loans_closed_by(self, events: Sequence[Event]) -> dict[str, Loan]:
        """The loans these return events closed, by event uuid (one query for a batch)."""
        keys = json.dumps([[e.uuid, e.payload.item_id, e.at.isoformat()] for e in events])
        sql = """SELECT loans.*, json_extract(k.value, '$[0]') AS closed_by FROM json_each(?) AS k
                 JOIN loans ON loans.item_id = json_extract(k.value, '$[1]')
                 AND loans.returned_at = json_extract(k.value, '$[2]') ORDER BY loans.rowid"""
        cursor = self.db.conn.execute(sql, (keys,))
        read = row_decoder(Loan, _columns(cursor)[:-1])
        closed: dict[str, Loan] = {}
        for row in cursor:
            closed.setdefault(row[-1], read(row[:-1]))
        return closed

    def active_hold(self, item_id: str) -> Hold | None:
        """The hold on this item that has not ended."""
        sql = "SELECT * FROM holds WHERE item_id = ? AND ended_at IS NULL"
        return self._one(Hold, sql, (item_id,))

    def last_hold(self, item_id: str) -> Hold | None:
        """The item's latest hold, active or ended."""
        sql = "SELECT * FROM holds WHERE item_id = ? ORDER BY rowid DESC LIMIT 1"
        return self._one(Hold, sql, (item_id,))

    def active_holds(self) -> list[Hold]:
        """Every hold that has not ended, oldest first."""
        return self._rows(Hold, "SELECT * FROM holds WHERE ended_at IS NULL ORDER BY rowid")

    def flag(self, flag_id: str) -> AuditFlag | None:
        """One audit flag, open or cleared."""
        return self._one(AuditFlag, "SELECT * FROM audit_flags WHERE flag_id = ?", (flag_id,))

    def open_flags(self) -> list[AuditFlag]:
        """Audit flags not yet cleared, oldest first."""
        sql = "SELECT * FROM audit_flags WHERE cleared_at IS NULL ORDER BY rowid"
        return self._rows(AuditFlag, sql)

    def patron_last_good(self, patron_id: str) -> datetime | None:
        """When the library last said this patron was in good standing."""
        row = self.db.execute(
            "SELECT last_good_at FROM patrons WHERE patron_id = ?", (patron_id,)
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def library_policy(self, key: str) -> str | None:
        """What the library last said of `key` (None: never said)."""
        row = self.db.execute("SELECT value FROM library_policy WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def due_before(self, item_id: str, seq: int) -> date | None:
        """The due date a loan of `item_id` had before event `seq` (a renewal's old date)."""
        row = self.db.execute(
            """SELECT json_extract(payload, '$.due') FROM events
               WHERE kind IN ('vend_taken', 'renewed') AND seq < ?
               AND json_extract(payload, '$.item_id') = ? ORDER BY seq DESC LIMIT 1""",
            (seq, item_id)).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def event(self, event_id: str) -> Event | None:
        """The stored event with this uuid."""
        rows = self._dicts("SELECT * FROM events WHERE uuid = ?", (event_id,))
        return _event(rows[0]) if rows else None

    def events(self, after_seq: int = 0, limit: int = 1000) -> list[Event]:
        """Stored events after `after_seq`, in order."""
        sql = "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
        return [_event(row) for row in self._dicts(sql, (after_seq, limit))]

    def last_events(self, count: int) -> list[Event]:
        """The latest `count` stored events, oldest of them first."""
        sql = "SELECT * FROM (SELECT * FROM events ORDER BY seq DESC LIMIT ?) ORDER BY seq"
        return [_event(row) for row in self._dicts(sql, (count,))]

    def events_since(self, since: datetime, after_seq: int = 0, limit: int = 1000) -> list[Event]:
        """Stored events at or after `since` (and after `after_seq`, for paging), in order."""
        sql = "SELECT * FROM events WHERE at >= ? AND seq > ? ORDER BY seq LIMIT ?"
        return [_event(row) for row in self._dicts(sql, (_utc(since), after_seq, limit))]

    def outbox_conflicts(self, open_only: bool = False) -> list[OutboxConflict]:
        """Outbox events the library objected to, oldest first (open only: not yet resolved)."""
        where = " AND conflict_resolutions.resolved_at IS NULL" if open_only else ""
        return [_conflict(row) for row in self._dicts(_CONFLICTS + where + " ORDER BY outbox.seq")]

    def outbox_conflict(self, event_id: str) -> OutboxConflict | None:
        """The conflict of this outbox event (None: not an event the library objected to)."""
        rows = self._dicts(_CONFLICTS + " AND outbox.uuid = ?", (event_id,))
        return _conflict(rows[0]) if rows else None

    def open_conflict_counts(self) -> tuple[int, int]:
        """(open conflicts, of them refused): what still needs a technician."""
        row = self.db.execute(
            """SELECT COUNT(*), COALESCE(SUM(outbox.refused), 0) FROM outbox
               LEFT JOIN conflict_resolutions ON conflict_resolutions.event_id = outbox.uuid
               WHERE outbox.conflict IS NOT NULL
               AND conflict_resolutions.resolved_at IS NULL""").fetchone()
        return row[0], row[1]

    def pending_outbox(self, limit: int = 100) -> list[Event]:
        """Undelivered events the library must know, in journal order (so in order per item)."""
        sql = """SELECT events.* FROM outbox JOIN events USING (uuid)
                 WHERE outbox.delivered_at IS NULL ORDER BY outbox.seq LIMIT ?"""
        return [_event(row) for row in self._dicts(sql, (limit,))]

    def last_lent_or_stocked(self) -> dict[str, datetime]:
        """For each item in a slot: when it was last lent or stocked (or loaded), whichever is
        later (what `kiosk unload --idle-days` measures from)."""
        rows = self.db.execute("""
            WITH lent AS (SELECT item_id, MAX(taken_at) AS at FROM loans GROUP BY item_id),
            stocked AS (SELECT json_extract(payload, '$.item_id') AS item_id, MAX(at) AS at
                        FROM events WHERE kind IN ('item_stocked', 'item_loaded') GROUP BY 1)
            SELECT items.item_id, MAX(COALESCE(lent.at, stocked.at), COALESCE(stocked.at, lent.at))
            FROM items LEFT JOIN lent USING (item_id) LEFT JOIN stocked USING (item_id)
            WHERE items.place = 'slot' ORDER BY items.slot""").fetchall()
        return {item_id: datetime.fromisoformat(at) for item_id, at in rows if at}

    def outbox_backlog(self) -> Backlog:
        """How many outbox events are undelivered, and when the first of them was written."""
        row = self.db.execute(
            """SELECT (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL),
                      (SELECT events.at FROM outbox JOIN events USING (seq)
                       WHERE outbox.delivered_at IS NULL ORDER BY outbox.seq LIMIT 1)"""
        ).fetchone()
        return Backlog(row[0], datetime.fromisoformat(row[1]) if row[1] else None)

    def technician_log(self, since: datetime | None = None,
                       limit: int = 50) -> list[TechnicianLogEntry]:
        """The latest `limit` technician log entries (at or after `since`), oldest first."""
        sql = """SELECT * FROM (SELECT * FROM technician_log WHERE at >= ?
                 ORDER BY entry_id DESC LIMIT ?) ORDER BY entry_id"""
        start = since.astimezone(timezone.utc).isoformat() if since is not None else ""
        return [_log_entry(row) for row in self._dicts(sql, (start, limit))]


def _columns(cursor: sqlite3.Cursor) -> tuple[str, ...]:
    return tuple(map(itemgetter(0), cursor.description))


def _log_entry(row: dict[str, Any]) -> TechnicianLogEntry:
    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None
    return TechnicianLogEntry(
        entry_id=row["entry_id"], at=datetime.fromisoformat(row["at"]), uid=row["uid"],
        user=row["user"], request=row["request"], args=json.loads(row["args"]),
        outcome=TechnicianOutcome(row["outcome"]) if row["outcome"] else None,
        detail=row["detail"], ended_at=moment(row["ended_at"]))


_UNUSABLE_SLOTS = """
    SELECT slot FROM slots
    UNION SELECT slot FROM intents WHERE outcome IS NULL AND slot IS NOT NULL
    UNION SELECT to_slot FROM intents WHERE outcome IS NULL AND to_slot IS NOT NULL
    UNION SELECT slot FROM audit_flags WHERE cleared_at IS NULL AND slot IS NOT NULL
"""


_CONFLICTS = """
    SELECT events.*, outbox.conflict, outbox.refused, outbox.delivered_at,
           conflict_resolutions.resolved_by, conflict_resolutions.resolved_at,
           conflict_resolutions.note
    FROM outbox JOIN events USING (uuid)
    LEFT JOIN conflict_resolutions ON conflict_resolutions.event_id = outbox.uuid
    WHERE outbox.conflict IS NOT NULL"""


def _conflict(row: dict[str, Any]) -> OutboxConflict:
    resolved_at = row["resolved_at"]
    return OutboxConflict(
        _event(row), row["conflict"], bool(row["refused"]),
        datetime.fromisoformat(row["delivered_at"]), row["resolved_by"],
        datetime.fromisoformat(resolved_at) if resolved_at else None, row["note"])


def _utc(moment: datetime) -> str:
    """`moment` as the journal writes times (ISO, UTC), for comparing as text."""
    if moment.tzinfo is None:
        raise ValueError("a journal time must be aware")
    return moment.astimezone(timezone.utc).isoformat()


def _event(row: dict[str, Any]) -> Event:
    kind = EventKind(row["kind"])
    payload = decode_payload(kind, json.loads(row["payload"]))
    return Event(row["seq"], row["uuid"], kind, datetime.fromisoformat(row["at"]), payload)


def open_reader(path: Path, slot_count: int) -> JournalReader:
    """A read-only connection of its own to the journal file (WAL: it reads one consistent
    snapshot while the controller goes on writing); for long reports off the loop."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    return JournalReader(Database(connection), slot_count)
