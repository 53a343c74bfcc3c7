"""The writers journal_writes sets beside Journal.append: raw SQLite, the journal's own SQL for a
loan event written by hand, and the journal's steps timed one by one."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from kiosk.journal import ItemStocked, Journal, Payload, VendTaken
from kiosk.journal.codec import encode
from kiosk.journal.reducers import reduce
from kiosk.journal.rules import Context

EVENTS_DDL = """CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL, payload TEXT NOT NULL, at TEXT NOT NULL)"""
# Journal.open's PRAGMAs but synchronous (each writer says its own).
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON")


def payload_json(payload: Payload) -> str:
    """The event's payload column, as the journal writes it."""
    return json.dumps(encode(payload), sort_keys=True, separators=(",", ":"))


class RawLog:
    """The raw write of an event: one JSON row, INSERT + commit, the journal's PRAGMAs."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.conn = sqlite3.connect(str(path))
        for pragma in (*PRAGMAS, f"PRAGMA synchronous={synchronous}"):
            self.conn.execute(pragma)
        self.conn.execute(EVENTS_DDL)
        self.conn.commit()

    def append(self, payload: Payload) -> None:
        """Serialise, insert and commit one event row."""
        self.conn.execute("INSERT INTO events (uuid, kind, payload, at) VALUES (?, ?, ?, ?)",
                          (str(uuid.uuid4()), payload.kind.value, payload_json(payload),
                           datetime.now(timezone.utc).isoformat()))
        self.conn.commit()

    def count(self) -> int:
        """Rows written."""
        return self.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def close(self) -> None:
        """Close the file."""
        self.conn.close()


class LoanByHand:
    """A loan event as the plain sqlite3 statements Journal.append runs for it, on a file the
    journal opened: the reads of the reducer's rule checks, then the event, loan, intent, item
    and outbox rows, in one transaction with one commit. No validation, no records."""

    def __init__(self, journal: Journal) -> None:
        self.conn = journal.db.conn

    def reads(self, item_id: str) -> str:
        """The rule checks' reads (open vend, open loan, the item, its hold); the vend's id."""
        conn = self.conn
        intent = conn.execute("SELECT * FROM intents WHERE item_id = ? AND outcome IS NULL",
                              (item_id,)).fetchone()
        conn.execute("SELECT * FROM loans WHERE item_id = ? AND returned_at IS NULL",
                     (item_id,)).fetchone()
        conn.execute("SELECT * FROM items WHERE item_id = ?", (item_id,)).fetchone()
        conn.execute("SELECT * FROM holds WHERE item_id = ? AND ended_at IS NULL",
                     (item_id,)).fetchone()
        return intent[0]

    def append(self, p: VendTaken) -> None:
        """Read, write and commit the loan."""
        conn, event_id = self.conn, str(uuid.uuid4())
        at = datetime.now(timezone.utc).isoformat()
        conn.execute("BEGIN")
        try:
            intent_id = self.reads(p.item_id)
            seq = conn.execute(
                "INSERT INTO events (uuid, kind, payload, at) VALUES (?, ?, ?, ?)",
                (event_id, p.kind.value, payload_json(p), at)).lastrowid
            conn.execute("INSERT INTO loans (loan_id, item_id, patron_id, taken_at, due, renewals,"
                         " offline) VALUES (?, ?, ?, ?, ?, 0, ?)",
                         (event_id, p.item_id, p.patron_id, at, p.due.isoformat(), p.offline))
            conn.execute("UPDATE intents SET outcome = 'done', closed_at = ? WHERE intent_id = ?",
                         (at, intent_id))
            conn.execute("UPDATE items SET place = 'on_loan', slot = NULL WHERE item_id = ?",
                         (p.item_id,))
            conn.execute("INSERT INTO outbox (uuid, seq, item_id, kind) VALUES (?, ?, ?, ?)",
                         (event_id, seq, p.item_id, p.kind.value))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


# What a loan leaves in the tables, without the uuids and times that differ between files.
_STATE = (
    "SELECT kind, payload FROM events ORDER BY seq",
    "SELECT item_id, patron_id, due, renewals, offline, returned_at FROM loans ORDER BY item_id",
    "SELECT kind, stage, item_id, slot, patron_id, outcome FROM intents ORDER BY item_id, kind",
    "SELECT item_id, place, slot FROM items ORDER BY item_id",
    "SELECT slot, item_id FROM slots ORDER BY slot",
    "SELECT item_id, kind, delivered_at FROM outbox ORDER BY seq",
)


def derived_state(journal: Journal) -> list[list[tuple]]:
    """The journal's rows that the same events must leave the same, whoever wrote them."""
    return [journal.db.conn.execute(sql).fetchall() for sql in _STATE]


STAGES = ("validation", "rule checks", "rule checks' reads")


def time_stages(journal: Journal, payload: VendTaken) -> dict[str, float]:
    """Seconds of the journal's own steps for `payload`, each alone on the journal's state
    before it (all read-only): validating it, the reducer with its reads, the reads by hand."""
    clock, by_hand = time.perf_counter, LoanByHand(journal)
    context = Context(journal, str(uuid.uuid4()), datetime.now(timezone.utc))
    started = clock()
    payload.validate()
    validated = clock()
    reduce(payload, context)
    reduced = clock()
    by_hand.reads(payload.item_id)
    read = clock()
    return dict(zip(STAGES, (validated - started, reduced - validated, read - reduced)))


def wal_pages(root: Path, stocked: Sequence[ItemStocked], payloads: Sequence[Payload],
              slot_count: int) -> dict[str, float]:
    """WAL pages a commit writes (checkpoints off), on average: a loan event's, a raw row's."""
    root.mkdir()
    journal = Journal.open(root / "journal.db", slot_count=slot_count)
    raw = RawLog(root / "raw.db", "FULL")
    pages = {"loan": 0, "raw": 0}
    try:
        journal.append_many(stocked)
        for conn in (journal.db.conn, raw.conn):
            conn.execute("PRAGMA wal_autocheckpoint=0")
        frame = journal.db.execute("PRAGMA page_size").fetchone()[0] + 24
        for p in payloads:
            before = _size(root / "journal.db-wal")
            journal.append(p)
            if isinstance(p, VendTaken):
                pages["loan"] += (_size(root / "journal.db-wal") - before) // frame
                before = _size(root / "raw.db-wal")
                raw.append(p)
                pages["raw"] += (_size(root / "raw.db-wal") - before) // frame
    finally:
        journal.close()
        raw.close()
    loans = sum(isinstance(p, VendTaken) for p in payloads)
    return {name: count / loans for name, count in pages.items()}


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
