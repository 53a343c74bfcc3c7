"""Named forward migrations; `PRAGMA user_version` is the number applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlite_utils import Database

from kiosk.journal.errors import MigrationError


@dataclass(frozen=True)
class Migration:
    """One schema step: its name and the statements it runs in one transaction."""

    name: str
    statements: tuple[str, ...]


CORE = Migration(
    "core",
    (
        """CREATE TABLE schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL, payload TEXT NOT NULL, at TEXT NOT NULL)""",
        """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TABLE items (
            item_id TEXT PRIMARY KEY, uid TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
            authors TEXT, place TEXT NOT NULL, slot INTEGER UNIQUE,
            CHECK ((place = 'slot') = (slot IS NOT NULL)))""",
        """CREATE TABLE slots (
            slot INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL UNIQUE REFERENCES items(item_id))""",
        """CREATE TABLE intents (
            intent_id TEXT PRIMARY KEY, kind TEXT NOT NULL, stage TEXT NOT NULL,
            item_id TEXT REFERENCES items(item_id), slot INTEGER, to_slot INTEGER,
            patron_id TEXT, session_id TEXT, plc_seq INTEGER,
            opened_at TEXT NOT NULL, closed_at TEXT, outcome TEXT)""",
        """CREATE UNIQUE INDEX intents_one_open_per_item ON intents(item_id)
            WHERE outcome IS NULL AND item_id IS NOT NULL""",
        "CREATE INDEX intents_open ON intents(outcome) WHERE outcome IS NULL",
        """CREATE TABLE loans (
            loan_id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items(item_id),
            patron_id TEXT NOT NULL, taken_at TEXT NOT NULL, due TEXT NOT NULL,
            renewals INTEGER NOT NULL DEFAULT 0, offline INTEGER NOT NULL DEFAULT 0,
            returned_at TEXT, days_late INTEGER)""",
        """CREATE UNIQUE INDEX loans_one_open_per_item ON loans(item_id)
            WHERE returned_at IS NULL""",
        "CREATE INDEX loans_by_patron ON loans(patron_id, returned_at)",
        """CREATE TABLE audit_flags (
            flag_id TEXT PRIMARY KEY, reason TEXT NOT NULL, item_id TEXT, slot INTEGER,
            place TEXT, intent_id TEXT, raised_at TEXT NOT NULL,
            cleared_by TEXT, cleared_at TEXT)""",
    ),
)

OUTBOX = Migration(
    "outbox",
    (
        """CREATE TABLE outbox (
            uuid TEXT PRIMARY KEY REFERENCES events(uuid), seq INTEGER NOT NULL UNIQUE,
            item_id TEXT NOT NULL, kind TEXT NOT NULL, delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, conflict TEXT)""",
        "CREATE INDEX outbox_pending ON outbox(seq) WHERE delivered_at IS NULL",
        # Events written before the outbox existed are owed to the library too.
        """INSERT INTO outbox (uuid, seq, item_id, kind)
            SELECT uuid, seq, json_extract(payload, '$.item_id'), kind FROM events
            WHERE kind IN ('vend_taken', 'return_identified', 'renewed') ORDER BY seq""",
    ),
)

HOLDS_AND_PATRONS = Migration(
    "holds_and_patrons",
    (
        """CREATE TABLE holds (
            hold_id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items(item_id),
            patron_id TEXT NOT NULL, placed_at TEXT NOT NULL, ready_at TEXT,
            ended_at TEXT, end_reason TEXT)""",
        "CREATE UNIQUE INDEX holds_one_active_per_item ON holds(item_id) WHERE ended_at IS NULL",
        """CREATE TABLE patrons (
            patron_id TEXT PRIMARY KEY, last_verified_at TEXT NOT NULL, last_good_at TEXT)""",
    ),
)

# Closed, delivered circulation keeps no patron identity (kiosk/journal/anonymise.py): the one
# change an event may take is its member number becoming a keyed hash ('h:<hex>').
PSEUDONYMOUS_PATRONS = Migration(
    "pseudonymous_patrons",
    (
        "DROP TRIGGER events_no_update",
        """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            WHEN NOT coalesce(NEW.seq = OLD.seq AND NEW.uuid = OLD.uuid AND NEW.kind = OLD.kind
                AND NEW.at = OLD.at
                AND json_extract(OLD.payload, '$.patron_id') NOT LIKE 'h:%'
                AND json_extract(NEW.payload, '$.patron_id') LIKE 'h:%'
                AND json_remove(NEW.payload, '$.patron_id')
                    = json_remove(OLD.payload, '$.patron_id'),
                0)
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        # The events still naming a member: what the anonymisation pass looks at.
        """CREATE INDEX events_named_patron ON events(json_extract(payload, '$.item_id'))
            WHERE json_extract(payload, '$.patron_id') NOT LIKE 'h:%'""",
    ),
)

# A library that refuses an event has not recorded it (a technician acts); and an event once
# handed to the connector may have taken effect even if no answer came back (SIP2 has no
# idempotency key), so the connector must ask the library before sending it again.
OUTBOX_REFUSALS = Migration(
    "outbox_refusals",
    (
        "ALTER TABLE outbox ADD COLUMN refused INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE outbox ADD COLUMN first_sent_at TEXT",
        "UPDATE outbox SET first_sent_at = 'before-migration' WHERE attempts > 0",
    ),
)

# What the library system last said it allows (SIP2 98: offline lending), kept across
# restarts so a kiosk that boots while the library is down still honours it.
LIBRARY_POLICY = Migration(
    "library_policy",
    (
        """CREATE TABLE library_policy (
            key TEXT PRIMARY KEY, value TEXT NOT NULL, noted_at TEXT NOT NULL)""",
    ),
)

# Holds the library reports (placed anywhere) with the library's own pickup deadline.
LIBRARY_HOLDS = Migration(
    "library_holds",
    (
        "ALTER TABLE holds ADD COLUMN expires_at TEXT",
        "ALTER TABLE holds ADD COLUMN source TEXT NOT NULL DEFAULT 'machine'",
    ),
)

# What the touchscreen browses by (new, popular, subject); empty for items stocked before.
ITEM_FACTS = Migration(
    "item_facts",
    (
        "ALTER TABLE items ADD COLUMN year INTEGER",
        "ALTER TABLE items ADD COLUMN subject TEXT",
        "ALTER TABLE items ADD COLUMN popularity REAL",
    ),
)

# Who changed the machine through the control socket, when, what and how it ended (not the
# audit flags: those are what the journal cannot prove). A row is written when a changing
# command is authorised and settled once when it ends; rows are never deleted.
TECHNICIAN_LOG = Migration(
    "technician_log",
    (
        """CREATE TABLE technician_log (
            entry_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, uid INTEGER,
            user TEXT NOT NULL, request TEXT NOT NULL, args TEXT NOT NULL,
            outcome TEXT, detail TEXT, ended_at TEXT)""",
        "CREATE INDEX technician_log_at ON technician_log(at)",
        """CREATE TRIGGER technician_log_settled_once BEFORE UPDATE ON technician_log
            WHEN OLD.outcome IS NOT NULL OR NEW.entry_id IS NOT OLD.entry_id
                OR NEW.at IS NOT OLD.at OR NEW.uid IS NOT OLD.uid OR NEW.user IS NOT OLD.user
                OR NEW.request IS NOT OLD.request OR NEW.args IS NOT OLD.args
            BEGIN SELECT RAISE(ABORT, 'a technician log entry is settled once'); END""",
        """CREATE TRIGGER technician_log_no_delete BEFORE DELETE ON technician_log
            BEGIN SELECT RAISE(ABORT, 'the technician log is append-only'); END""",
    ),
)

# A technician settles an outbox conflict at the library and says so (conflict_resolved).
CONFLICT_RESOLUTIONS = Migration(
    "conflict_resolutions",
    (
        """CREATE TABLE conflict_resolutions (
            event_id TEXT PRIMARY KEY REFERENCES outbox(uuid),
            resolved_by TEXT NOT NULL, resolved_at TEXT NOT NULL, note TEXT)""",
    ),
)

# Lookups that a week's backlog (tens of thousands of events) made scans: the pending events of
# an item (per-item order when marking delivered), the loan a return closed (sending a
# return), the conflicts (sync status, after every batch) and a patron's rows about an item
# (anonymising once delivered).
BACKLOG_INDEXES = Migration(
    "backlog_indexes",
    (
        """CREATE INDEX outbox_pending_by_item ON outbox(item_id, seq)
            WHERE delivered_at IS NULL""",
        "CREATE INDEX loans_by_item ON loans(item_id, returned_at)",
        "CREATE INDEX outbox_conflicts ON outbox(seq) WHERE conflict IS NOT NULL",
        "CREATE INDEX intents_by_item ON intents(item_id, patron_id)",
        "CREATE INDEX holds_by_item ON holds(item_id, patron_id)",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (
    CORE, OUTBOX, HOLDS_AND_PATRONS, PSEUDONYMOUS_PATRONS, OUTBOX_REFUSALS, LIBRARY_POLICY,
    LIBRARY_HOLDS, ITEM_FACTS, CONFLICT_RESOLUTIONS, TECHNICIAN_LOG, BACKLOG_INDEXES,
)
LATEST = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    """The number of migrations applied to this file."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(
    db: Database, migrations: Sequence[Migration] = MIGRATIONS, target: int | None = None
) -> int:
    """Apply the missing migrations up to `target` (default: all), each in its own transaction."""
    target = len(migrations) if target is None else target
    current = schema_version(db)
    if current > len(migrations):
        raise MigrationError(
            f"schema version {current} is newer than this code's {len(migrations)}"
        )
    _check_names(db, migrations[:current])
    for version in range(current + 1, target + 1):
        _apply(db, version, migrations[version - 1])
    return schema_version(db)


def _apply(db: Database, version: int, migration: Migration) -> None:
    try:
        with db.atomic():
            for statement in migration.statements:
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, migration.name, datetime.now(timezone.utc).isoformat()),
            )
            db.execute(f"PRAGMA user_version = {version:d}")
    except Exception as exc:
        raise MigrationError(f"migration {version} ({migration.name}) failed: {exc}") from exc


def _check_names(db: Database, applied: Sequence[Migration]) -> None:
    if not applied:
        return
    rows = db.execute("SELECT version, name FROM schema_migrations ORDER BY version")
    found = {version: name for version, name in rows.fetchall()}
    for version, migration in enumerate(applied, start=1):
        if found.get(version) != migration.name:
            raise MigrationError(
                f"schema version {version} is {found.get(version)!r}, "
                f"this code expects {migration.name!r}"
            )
