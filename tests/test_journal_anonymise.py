"""Closed, delivered loans keep no member number in the journal; open ones keep theirs."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from library_fixtures import admin, background_loop, item, library  # noqa: F401 - fixtures
from test_journal_support import ManualClock
from test_sync_support import (  # noqa: F401 - fixtures
    KIM, OH, PARK, connect, drained, give_back, journal, lend, make_sync, running, until,
)

from kiosk.journal import (
    HoldCancelled, HoldEnd, HoldPlaced, ItemStocked, Journal, PatronVerified, Renewed,
)
from kiosk.journal.events import VendFailed, VendStarted
from kiosk.journal.enums import MoveFailure
from kiosk.machine_key import KEY_FILE, MachineKey

DUE = datetime(2099, 2, 1).date()


def key_of(journal: Journal) -> MachineKey:
    return MachineKey(journal.path.parent / KEY_FILE)


def deliver_all(journal: Journal) -> None:
    journal.mark_delivered([e.uuid for e in journal.pending_outbox(1000)])


def everything_stored(path: Path) -> str:
    """Every value of every row of every table of the file, as text (a fresh connection)."""
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for table in tables
                         for row in db.execute(f'SELECT * FROM "{table}"'))


def test_a_returned_and_delivered_loan_keeps_no_member_number(journal):
    lend(journal, item(1), KIM)
    journal.append(Renewed(item(1), KIM, DUE))
    give_back(journal, item(1), 0)
    deliver_all(journal)
    assert KIM in everything_stored(journal.path)  # delivered, not yet anonymised

    assert journal.anonymise(key_of(journal).patron) > 0
    assert KIM not in everything_stored(journal.path)
    alias = key_of(journal).patron(KIM)
    assert alias in everything_stored(journal.path)
    assert [e.payload.patron_id for e in journal.events() if hasattr(e.payload, "patron_id")] \
        == [alias] * 3  # vend started, taken, renewed
    for file in journal.path.parent.glob("journal.db*"):  # nor left in freed pages or the WAL
        assert KIM.encode() not in file.read_bytes(), file.name


def test_an_open_loan_and_an_undelivered_return_keep_their_member_numbers(journal):
    lend(journal, item(1), KIM)  # open
    lend(journal, item(2), PARK)
    give_back(journal, item(2), 1)  # returned, the return not delivered yet
    journal.mark_delivered([e.uuid for e in journal.pending_outbox(1000)
                            if e.payload.kind.value == "vend_taken"])
    journal.anonymise(key_of(journal).patron)
    assert [loan.patron_id for loan in journal.open_loans()] == [KIM]
    stored = everything_stored(journal.path)
    assert KIM in stored and PARK in stored
    assert journal.open_loans(KIM)[0].item_id == item(1)  # the lending rules still find it


def test_counts_by_hashed_patron_still_work(journal):
    for _ in range(2):
        lend(journal, item(1), KIM)
        give_back(journal, item(1), 0)
    lend(journal, item(2), KIM)
    give_back(journal, item(2), 1)
    lend(journal, item(3), OH)
    give_back(journal, item(3), 2)
    deliver_all(journal)
    journal.anonymise(key_of(journal).patron)
    counts = dict(journal.db.execute(
        "SELECT patron_id, COUNT(*) FROM loans GROUP BY patron_id").fetchall())
    key = key_of(journal)
    assert counts == {key.patron(KIM): 3, key.patron(OH): 1}


def test_holds_and_failed_vends_are_anonymised_once_closed(journal):
    lend(journal, item(1), KIM)
    journal.append(HoldPlaced(item(1), PARK))  # PARK waits for KIM's copy
    journal.append(VendStarted(item(2), 1, OH, "S9", 7))
    journal.append(VendFailed(item(2), MoveFailure.JAM))
    give_back(journal, item(1), 0)
    deliver_all(journal)
    journal.anonymise(key_of(journal).patron)
    stored = everything_stored(journal.path)
    assert KIM not in stored and OH not in stored
    assert PARK in stored  # the hold is still active
    journal.append(HoldCancelled(item(1), PARK, HoldEnd.CANCELLED))
    deliver_all(journal)
    journal.anonymise(key_of(journal).patron)
    assert PARK not in everything_stored(journal.path)


def test_old_verifications_are_anonymised_recent_ones_kept_for_offline_lending(tmp_path):
    clock = ManualClock()
    with Journal.open(tmp_path / "journal.db", slot_count=10, clock=clock) as journal:
        journal.append(PatronVerified(KIM, True))
        clock.advance(hours=100)
        journal.append(PatronVerified(PARK, True))
        journal.anonymise(key_of(journal).patron, verified_before=clock() - timedelta(hours=72))
        stored = everything_stored(journal.path)
        assert KIM not in stored and PARK in stored
        assert journal.patron_last_good(PARK) == clock()
        assert journal.patron_last_good(KIM) is None


def test_a_replay_of_anonymised_events_gives_the_same_tables(journal, tmp_path):
    lend(journal, item(1), KIM)
    give_back(journal, item(1), 0)
    lend(journal, item(1), PARK)  # open
    deliver_all(journal)
    journal.anonymise(key_of(journal).patron)
    with Journal.open(tmp_path / "replay.db", slot_count=journal.slot_count) as replay:
        replay.restore(journal.events())
        for table in ("loans", "intents", "holds", "items"):
            assert replay.db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() == \
                journal.db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()


@pytest.mark.parametrize("sql", [
    "UPDATE events SET at = '2000-01-01' WHERE kind = 'vend_taken'",
    "UPDATE events SET payload = json_set(payload, '$.due', '2100-01-01')"
    " WHERE kind = 'vend_taken'",
    "UPDATE events SET payload = json_set(payload, '$.patron_id', 'someone')"
    " WHERE kind = 'vend_taken'",
    "UPDATE events SET payload = json_set(payload, '$.patron_id', 'h:x')"
    " WHERE kind = 'item_stocked'",
    "DELETE FROM events",
])
def test_events_stay_append_only_but_for_a_member_number_becoming_a_hash(journal, sql):
    lend(journal, item(1), KIM)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        journal.db.execute(sql)
    journal.db.execute("UPDATE events SET payload = json_set(payload, '$.patron_id', 'h:ab')"
                       " WHERE kind = 'vend_taken'")  # the one change allowed


def test_the_sync_worker_anonymises_what_the_library_acknowledged(journal, connect):
    library = connect("http")
    lend(journal, item(1), KIM)
    give_back(journal, item(1), 0)
    lend(journal, item(2), PARK)

    async def scenario() -> None:
        sync = make_sync(journal, library)
        async with running(sync):
            await until(lambda: drained(sync), "the backlog delivered")

    asyncio.run(scenario())
    stored = everything_stored(journal.path)
    assert KIM not in stored  # returned and delivered
    assert PARK in stored and journal.open_loans(PARK)  # still on loan


def test_a_pass_pairs_at_a_time_ends_where_one_whole_pass_does(journal, tmp_path):
    for n, patron in enumerate((KIM, PARK, OH)):
        lend(journal, item(n + 1), patron)
        give_back(journal, item(n + 1), n)
    lend(journal, item(5), KIM)  # open: stays named
    deliver_all(journal)
    with Journal.open(tmp_path / "whole.db", slot_count=journal.slot_count) as whole:
        whole.restore(journal.events())
        deliver_all(whole)
        whole.anonymise(key_of(journal).patron)
        chunks = []
        while rows := journal.anonymise(key_of(journal).patron, pairs_limit=1):
            chunks.append(rows)
        assert len(chunks) == 3  # one (patron, item) pair each
        for table in ("loans", "intents", "events"):
            assert journal.db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() == \
                whole.db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    assert journal.open_loans(KIM)


def test_the_sync_worker_lets_the_loop_run_between_anonymising_chunks(journal, connect,
                                                                       monkeypatch):
    monkeypatch.setattr("kiosk.sync.worker.ANONYMISE_PAIRS", 1)
    for n in range(4):
        lend(journal, item(n + 1), KIM)
        give_back(journal, item(n + 1), n)
    deliver_all(journal)
    ticks: list[int] = []

    async def scenario() -> int:
        sync = make_sync(journal, connect("http"))

        async def tick() -> None:
            while True:
                ticks.append(len(ticks))
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0)
        before = len(ticks)
        rows = await sync.anonymise()
        ticker.cancel()
        return len(ticks) - before, rows

    ran, rows = asyncio.run(scenario())
    assert rows > 0 and KIM not in everything_stored(journal.path)
    assert ran >= 4  # once between each of the four pairs, at least


def test_a_journal_file_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with Journal.open(tmp_path / "journal.db", slot_count=10) as journal:
            journal.append(ItemStocked("B1", "E004000000000001", "T", 0))
            modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("journal.db*")}
    finally:
        os.umask(old)
    assert modes == {"journal.db": 0o600, "journal.db-wal": 0o600, "journal.db-shm": 0o600}


def test_a_journal_left_readable_by_an_older_version_is_made_private(tmp_path):
    path = tmp_path / "journal.db"
    Journal.open(path, slot_count=10).close()
    path.chmod(0o644)
    with Journal.open(path, slot_count=10):
        assert path.stat().st_mode & 0o777 == 0o600
