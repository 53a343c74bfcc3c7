"""The technician log: who changed the machine through the control socket, when, what, and how it
ended (not the audit flags of test_journal_audit.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.control_access import parse_since
from kiosk.control_api import ControlError
from kiosk.journal import Journal, TechnicianCommand, TechnicianOutcome
from test_journal_support import ManualClock

RESET = TechnicianCommand(uid=1001, user="minji", request="reset", args={})
STOCK = TechnicianCommand(uid=1001, user="minji", request="stock", args={"items": "[3 rows]"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def journal(tmp_path: Path, clock: ManualClock) -> Iterator[Journal]:
    with Journal.open(tmp_path / "journal.db", slot_count=4, clock=clock) as opened:
        yield opened


def test_a_command_is_logged_when_it_starts_and_settled_when_it_ends(
        journal: Journal, clock: ManualClock) -> None:
    entry = journal.log_technician_command(STOCK)
    [running] = journal.technician_log()
    assert (running.user, running.uid, running.request, running.args, running.outcome,
            running.at) == ("minji", 1001, "stock", {"items": "[3 rows]"}, None, clock.now)
    clock.advance(seconds=5)
    journal.settle_technician_command(entry, TechnicianOutcome.REFUSED, "row 2: uid")
    [ended] = journal.technician_log()
    assert (ended.outcome, ended.detail, ended.ended_at) == \
        (TechnicianOutcome.REFUSED, "row 2: uid", clock.now)


def test_a_denied_command_is_logged_ended(journal: Journal) -> None:
    journal.log_technician_command(RESET, TechnicianOutcome.DENIED, "wrong technician PIN")
    [denied] = journal.technician_log()
    assert (denied.outcome, denied.detail) == (TechnicianOutcome.DENIED, "wrong technician PIN")
    assert denied.ended_at == denied.at


def test_an_entry_is_settled_once_and_never_deleted(journal: Journal) -> None:
    entry = journal.log_technician_command(RESET)
    journal.settle_technician_command(entry, TechnicianOutcome.DONE)
    with pytest.raises(sqlite3.IntegrityError, match="settled once"):
        journal.settle_technician_command(entry, TechnicianOutcome.FAILED, "rewritten")
    with pytest.raises(sqlite3.IntegrityError, match="settled once"):
        journal.db.execute("UPDATE technician_log SET user = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.db.execute("DELETE FROM technician_log")
    with pytest.raises(ValueError, match="does not exist"):
        journal.settle_technician_command(entry + 1, TechnicianOutcome.DONE)
    assert journal.technician_log()[0].outcome is TechnicianOutcome.DONE


def test_the_log_reads_the_latest_n_oldest_first_and_since_a_moment(
        journal: Journal, clock: ManualClock) -> None:
    for n in range(5):
        journal.log_technician_command(TechnicianCommand(0, "root", f"r{n}", {}),
                                       TechnicianOutcome.DONE)
        clock.advance(hours=1)
    assert [e.request for e in journal.technician_log(limit=2)] == ["r3", "r4"]
    since = clock.now - timedelta(hours=2, minutes=30)
    assert [e.request for e in journal.technician_log(since=since)] == ["r3", "r4"]
    assert [e.request for e in journal.technician_log(since=parse_since("150m", clock.now))] \
        == ["r3", "r4"]


def test_it_survives_a_reopen(tmp_path: Path, clock: ManualClock) -> None:
    with Journal.open(tmp_path / "j.db", slot_count=4, clock=clock) as first:
        first.log_technician_command(RESET, TechnicianOutcome.DONE)
    with Journal.open(tmp_path / "j.db", slot_count=4, clock=clock) as again:
        assert [e.request for e in again.technician_log()] == ["reset"]


@pytest.mark.parametrize("text", ["yesterday", "7x", "2025-13-01", ""])
def test_since_that_is_not_a_moment_is_refused(text: str) -> None:
    with pytest.raises(ControlError, match="is not a date"):
        parse_since(text)
