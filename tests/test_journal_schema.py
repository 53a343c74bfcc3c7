"""Schema migrations: from an empty file and from each older version; failures leave the
old version intact."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.journal import (
    HoldPlaced,
    ItemStocked,
    Journal,
    MigrationError,
    Place,
    ReturnIdentified,
    ReturnStarted,
)
from kiosk.journal.checks import consistency_problems
from kiosk.journal.schema import LATEST, MIGRATIONS, Migration, migrate, schema_version
from test_journal_support import SLOT_COUNT, stock

V1_EVENT = "11111111-1111-4111-8111-111111111111"


def _db(path: Path) -> Database:
    return Database(sqlite3.connect(str(path)))


def _tables(db: Database) -> set[str]:
    return set(db.table_names())


def _seed_loan(db: Database) -> None:
    """What an older controller left: one item on loan, its vend_taken event (and, from
    version 2 on, the event's outbox row)."""
    payload = {"item_id": "B1", "patron_id": "P1", "due": "2030-01-16", "offline": False}
    with db.atomic():
        db.execute("INSERT INTO events (uuid, kind, payload, at) VALUES (?, ?, ?, ?)",
                   (V1_EVENT, "vend_taken", json.dumps(payload), "2030-01-01T03:00:00+00:00"))
        db.execute("INSERT INTO items (item_id, uid, title, authors, place, slot) "
                   "VALUES ('B1', 'E0041', 'T', NULL, 'on_loan', NULL)")
        db.execute("INSERT INTO loans VALUES (?, 'B1', 'P1', '2030-01-01T03:00:00+00:00', "
                   "'2030-01-16', 0, 0, NULL, NULL)", (V1_EVENT,))
        if schema_version(db) >= 2:
            db.execute("INSERT INTO outbox (uuid, seq, item_id, kind) VALUES (?, 1, 'B1', ?)",
                       (V1_EVENT, "vend_taken"))


def test_an_empty_file_gets_every_migration(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT) as journal:
        assert journal.schema_version == LATEST == len(MIGRATIONS)
        names = journal.db.execute("SELECT name FROM schema_migrations ORDER BY version")
        assert [n for (n,) in names] == [m.name for m in MIGRATIONS]
        assert {"events", "items", "slots", "loans", "intents", "audit_flags", "outbox",
                "holds", "patrons"} <= _tables(journal.db)


def test_the_file_is_wal_with_synchronous_full(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT) as journal:
        assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


@pytest.mark.parametrize("version", range(LATEST))
def test_each_older_version_migrates_to_the_latest(tmp_path: Path, version: int) -> None:
    db = _db(tmp_path / "j.db")
    assert migrate(db, target=version) == version
    if version >= 1:
        _seed_loan(db)
    db.close()
    with Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT) as journal:
        assert journal.schema_version == LATEST
        assert consistency_problems(journal) == []
        if version >= 1:
            assert journal.open_loan("B1").patron_id == "P1"
            assert [e.uuid for e in journal.pending_outbox()] == [V1_EVENT]
            started = journal.append(ReturnStarted("S", 1))
            journal.append(ReturnIdentified(started.uuid, "B1", 0))
            assert journal.item("B1").place is Place.RETURN_PORT
            old = journal.item("B1")  # stocked before the item_facts migration: none known
            assert (old.year, old.subject, old.popularity) == (None, None, None)
        stock(journal, "B2", 3)
        journal.append(HoldPlaced("B2", "P9"))
        assert journal.active_hold("B2").patron_id == "P9"
        journal.append(ItemStocked("B3", "E0043", "T", 4, year=2014, subject="800",
                                   popularity=0.93))
        new = journal.item("B3")
        assert (new.year, new.subject, new.popularity) == (2014, "800", 0.93)


def test_v1_events_owed_to_the_library_enter_the_outbox_once(tmp_path: Path) -> None:
    db = _db(tmp_path / "j.db")
    migrate(db, target=1)
    _seed_loan(db)
    migrate(db)
    migrate(db)
    rows = db.execute("SELECT uuid, item_id, delivered_at FROM outbox").fetchall()
    assert rows == [(V1_EVENT, "B1", None)]


def test_an_event_tried_before_the_refusals_migration_is_asked_about_before_a_resend(
        tmp_path: Path) -> None:
    db = _db(tmp_path / "j.db")
    migrate(db, target=4)  # before outbox_refusals: attempts counted failed sends only
    _seed_loan(db)
    db.execute("UPDATE outbox SET attempts = 1")
    db.commit()
    db.close()
    with Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT) as journal:
        assert journal.mark_sending([V1_EVENT]) == {V1_EVENT}  # it may have taken effect


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path) -> None:
    db = _db(tmp_path / "j.db")
    migrate(db, target=1)
    broken = Migration("broken", ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    with pytest.raises(MigrationError, match="broken"):
        migrate(db, [MIGRATIONS[0], broken])
    assert schema_version(db) == 1
    assert "half_done" not in _tables(db)
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == 1


def test_a_failure_in_a_later_migration_keeps_the_earlier_ones(tmp_path: Path) -> None:
    db = _db(tmp_path / "j.db")
    broken = Migration("broken", ("THIS IS NOT SQL",))
    with pytest.raises(MigrationError):
        migrate(db, [*MIGRATIONS[:2], broken])
    assert schema_version(db) == 2
    assert "outbox" in _tables(db)


def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path / "j.db")
    migrate(db, [*MIGRATIONS, Migration("from_the_future", ("CREATE TABLE f (x)",))])
    db.close()
    with pytest.raises(MigrationError, match="newer"):
        Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT)


def test_a_file_from_another_lineage_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path / "j.db")
    create_log = MIGRATIONS[0].statements[0]  # schema_migrations, as every lineage has it
    migrate(db, [Migration("someone_elses", (create_log,))])
    db.close()
    with pytest.raises(MigrationError, match="someone_elses"):
        Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT)
    assert schema_version(_db(tmp_path / "j.db")) == 1


def test_events_are_append_only(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.db", slot_count=SLOT_COUNT) as journal:
        stock(journal, "B1", 0)
        for statement in ("UPDATE events SET kind = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                journal.db.execute(statement)
        assert [e.kind.value for e in journal.events()] == ["item_stocked"]
