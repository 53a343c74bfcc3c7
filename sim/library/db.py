"""The emulator's SQLite database: schema, connection, time columns."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS libraries (
    isil TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS machines (
    machine_id TEXT PRIMARY KEY, isil TEXT NOT NULL REFERENCES libraries);
CREATE TABLE IF NOT EXISTS titles (
    title_id INTEGER PRIMARY KEY, isbn13 TEXT, title TEXT NOT NULL, authors TEXT,
    year INTEGER, language TEXT);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY, title_id INTEGER NOT NULL REFERENCES titles,
    owner_isil TEXT NOT NULL REFERENCES libraries, home_machine TEXT REFERENCES machines,
    loan_fee REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS patrons (
    member_number TEXT PRIMARY KEY, name TEXT NOT NULL,
    home_isil TEXT NOT NULL REFERENCES libraries, pin_hash TEXT, expires_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    suspended_until TEXT, fees_owed REAL NOT NULL DEFAULT 0, block_note TEXT);
CREATE TABLE IF NOT EXISTS cards (
    card_uid TEXT PRIMARY KEY, member_number TEXT NOT NULL REFERENCES patrons);
CREATE TABLE IF NOT EXISTS checkins (
    member_number TEXT NOT NULL REFERENCES patrons, isil TEXT NOT NULL REFERENCES libraries,
    at TEXT NOT NULL, PRIMARY KEY (member_number, isil));
CREATE TABLE IF NOT EXISTS loans (
    loan_id INTEGER PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items,
    member_number TEXT NOT NULL REFERENCES patrons, machine_id TEXT,
    loaned_at TEXT NOT NULL, due_at TEXT NOT NULL, renewals INTEGER NOT NULL DEFAULT 0,
    returned_at TEXT, late_days INTEGER, conflict TEXT,
    offline INTEGER NOT NULL DEFAULT 0, renewed_offline INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_loan_per_item ON loans(item_id)
    WHERE returned_at IS NULL;
CREATE INDEX IF NOT EXISTS open_loans_by_patron ON loans(member_number)
    WHERE returned_at IS NULL;
CREATE TABLE IF NOT EXISTS holds (
    hold_id INTEGER PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items,
    member_number TEXT NOT NULL REFERENCES patrons, pickup_machine TEXT NOT NULL,
    placed_at TEXT NOT NULL, ready_at TEXT, expires_at TEXT,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')));
CREATE INDEX IF NOT EXISTS holds_by_item ON holds(item_id, state);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    transaction_id TEXT PRIMARY KEY, kind TEXT NOT NULL, item_id TEXT, member_number TEXT,
    machine_id TEXT, status TEXT NOT NULL CHECK (status IN ('applied', 'conflict', 'refused')),
    reason TEXT, result TEXT NOT NULL, recorded_at TEXT NOT NULL);
"""

# Columns added after the first release: (table, column, definition) for older files.
_ADDED_COLUMNS = (
    ("patrons", "fees_owed", "REAL NOT NULL DEFAULT 0"),
    ("patrons", "block_note", "TEXT"),
    ("items", "loan_fee", "REAL NOT NULL DEFAULT 0"),
    ("loans", "offline", "INTEGER NOT NULL DEFAULT 0"),  # lent while the kiosk was offline
    ("loans", "renewed_offline", "INTEGER NOT NULL DEFAULT 0"),  # its last renewal, likewise
    ("holds", "notified_at", "TEXT"),  # when the library told the patron the copy is ready
)


def open_db(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the emulator's database; one connection, loop thread only."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns a database file made by an older emulator lacks."""
    for table, column, definition in _ADDED_COLUMNS:
        present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def to_db(when: datetime) -> str:
    """A time column value: ISO 8601 in UTC, so that text order is time order."""
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_db(text: str) -> datetime:
    """An aware datetime from a time column."""
    return datetime.fromisoformat(text)
