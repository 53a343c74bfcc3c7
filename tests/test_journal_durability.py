"""Crashes: a child process writing the journal is killed with SIGKILL right after a commit
returns, in the middle of a transaction, and in the middle of a migration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.journal import Journal, Place
from kiosk.journal.checks import consistency_problems
from kiosk.journal.schema import LATEST, schema_version
from test_journal_support import SLOT_COUNT, snapshot, stock

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

PRELUDE = """
import sys, time
from kiosk.journal import ItemStocked, Journal
def say(line):
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()
def hang():
    while True:
        time.sleep(60)
path, slot_count = sys.argv[1], {slot_count}
"""

AFTER_COMMIT = """
journal = Journal.open(path, slot_count=slot_count)
event = journal.append(ItemStocked("B2", "E0042", "Two", 1))
say("committed " + event.uuid)
hang()
"""

MID_TRANSACTION = """
import kiosk.journal.journal as module
real_apply = module.apply_changes
def apply_then_hang(db, changes):
    real_apply(db, changes)
    say("inside")
    hang()
module.apply_changes = apply_then_hang
journal = Journal.open(path, slot_count=slot_count)
journal.append(ItemStocked("B2", "E0042", "Two", 1))
"""

MID_MIGRATION = """
import sqlite3
from sqlite_utils import Database
from kiosk.journal.schema import MIGRATIONS, Migration, migrate
db = Database(sqlite3.connect(path))
db.enable_wal()
db.conn.create_function("hang_here", 0, lambda: (say("inside"), hang()))
slow = Migration("slow", ("CREATE TABLE half_done (x)", "SELECT hang_here()"))
migrate(db, [*MIGRATIONS, slow])
"""


def _run_until(path: Path, body: str, expected: str) -> str:
    """Start a child writing `path`, wait for a line starting with `expected`, SIGKILL it."""
    code = textwrap.dedent(PRELUDE.format(slot_count=SLOT_COUNT)) + textwrap.dedent(body)
    child = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()  # bounded: the child either prints or exits
        assert line.startswith(expected), f"child said {line!r}: {child.stderr.read()}"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=READY_TIMEOUT)
    assert child.returncode == -signal.SIGKILL
    return line.split()[-1]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A journal file with one item, closed."""
    path = tmp_path / "journal.db"
    with Journal.open(path, slot_count=SLOT_COUNT) as journal:
        stock(journal, "B1", 0)
    return path


def test_an_event_whose_commit_returned_survives_a_kill(seeded: Path) -> None:
    event_id = _run_until(seeded, AFTER_COMMIT, "committed")
    with Journal.open(seeded, slot_count=SLOT_COUNT) as journal:
        assert event_id in [e.uuid for e in journal.events()]
        assert journal.item("B2").place is Place.SLOT
        assert journal.item_in_slot(1).item_id == "B2"
        assert consistency_problems(journal) == []


def test_a_kill_inside_a_transaction_leaves_nothing_of_it(seeded: Path) -> None:
    with Journal.open(seeded, slot_count=SLOT_COUNT) as journal:
        before = snapshot(journal)
    _run_until(seeded, MID_TRANSACTION, "inside")
    with Journal.open(seeded, slot_count=SLOT_COUNT) as journal:
        assert snapshot(journal) == before
        assert journal.item("B2") is None
        assert journal.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stock(journal, "B2", 1)  # the interrupted write can simply be done again
        assert journal.item_in_slot(1).item_id == "B2"


def test_a_kill_inside_a_migration_leaves_the_old_version(seeded: Path) -> None:
    _run_until(seeded, MID_MIGRATION, "inside")
    with Journal.open(seeded, slot_count=SLOT_COUNT) as journal:
        assert schema_version(journal.db) == LATEST
        assert "half_done" not in journal.db.table_names()
        assert journal.item("B1").slot == 0
