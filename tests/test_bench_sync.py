"""The sync benchmarks' measuring functions, at small counts (no timings asserted)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bench import fleet, sync_catchup
from bench._sync_rig import MACHINE, Drained, Lending, Tally, catch_up, journal_backlog, tally
from kiosk.config import SyncConfig
from kiosk.journal import EventKind, Journal

SMALL = Lending(loans=30, days=7, books=12)


def test_a_backlog_lends_a_copy_again_only_after_its_return_within_the_loan_limit(
        tmp_path: Path) -> None:
    lending = Lending(loans=60, days=1, books=7, seed=3)
    with Journal.open(tmp_path / "journal.db", slot_count=lending.books) as journal:
        journal_backlog(journal, lending, datetime.now(timezone.utc))
        events = journal.events(limit=10_000)
        assert journal.outbox_backlog().count == lending.events
        assert journal.open_loans() == []
    borrower: dict[str, str] = {}
    held: Counter[str] = Counter()
    for event in events:
        if event.kind is EventKind.VEND_TAKEN:
            assert event.payload.item_id not in borrower
            assert held[event.payload.patron_id] < 2  # the library's limit at one machine
            borrower[event.payload.item_id] = event.payload.patron_id
            held[event.payload.patron_id] += 1
        elif event.kind is EventKind.RETURN_IDENTIFIED:
            held[borrower.pop(event.payload.item_id)] -= 1
    assert borrower == {}
    assert [e.at for e in events] == sorted(e.at for e in events)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small backlog journaled once, as the benchmark does."""
    return sync_catchup.build(tmp_path_factory.mktemp("template"), SMALL)


def test_a_batched_catch_up_is_delivered_exactly_once(template: Path, tmp_path: Path) -> None:
    run = sync_catchup.measure("batched", template, tmp_path / "run", 25, lending=SMALL)
    assert (run.events, run.requests) == (SMALL.events, 3)  # 60 events, 25 a request
    assert run.tally.exactly_once and run.tally.recorded == SMALL.events
    assert (run.tally.loans, run.tally.returned) == (SMALL.loans, SMALL.loans)


def test_one_request_per_event_stops_after_its_sample(template: Path, tmp_path: Path) -> None:
    run = sync_catchup.measure("single", template, tmp_path / "run", 1, sample=10,
                               lending=SMALL)
    assert (run.events, run.requests, run.tally.delivered) == (10, 10, 10)
    assert run.tally.exactly_once  # nothing left in flight when it stopped


def test_sip2_delivers_the_backlog_once_two_messages_an_event(template: Path,
                                                              tmp_path: Path) -> None:
    run = sync_catchup.measure("sip2", template, tmp_path / "run", 200, sip2=True,
                               lending=SMALL)
    assert run.requests == 2 + 2 * SMALL.events  # login and status, then 63+11 or 17+09
    assert run.tally.exactly_once and run.tally.delivered == SMALL.events


def test_the_tally_finds_doubled_lacking_missing_and_invented(template: Path,
                                                              tmp_path: Path) -> None:
    sync_catchup.measure("batched", template, tmp_path / "run", 200, lending=SMALL)
    library_db, journal = tmp_path / "run" / "library.sqlite", tmp_path / "run" / "journal.db"
    library = sqlite3.connect(library_db)
    with library:
        loan = library.execute("SELECT * FROM loans WHERE machine_id = ? LIMIT 1",
                               (MACHINE,)).fetchone()
        library.execute("INSERT INTO loans (item_id, member_number, machine_id, loaned_at, "
                        "due_at) VALUES (?, ?, ?, ?, ?)", (loan[1], loan[2], MACHINE, loan[4],
                                                          loan[5]))
        library.execute("DELETE FROM transactions WHERE rowid = (SELECT MIN(rowid) FROM "
                        "transactions WHERE machine_id = ?)", (MACHINE,))
        library.execute("INSERT INTO transactions SELECT ?, kind, item_id, member_number, "
                        "machine_id, status, reason, result, recorded_at FROM transactions "
                        "WHERE machine_id = ? LIMIT 1", (str(uuid.uuid4()), MACHINE))
    library.close()
    found = tally(library_db, {MACHINE: journal})
    assert (found.doubled, found.missing, found.invented) == (1, 1, 1)
    assert not found.exactly_once


def test_the_verdicts_judge_the_week_and_the_ratio() -> None:
    def run(events: int, seconds: float) -> sync_catchup.Run:
        return sync_catchup.Run("r", "1", events, events, Drained(seconds, seconds),
                                Tally(events, events, 0, 0, 0, 0, 0, 0))

    fast, slow = sync_catchup.verdicts(run(25_000, 10.0), run(2_500, 25.0))
    assert (fast.met, slow.met) == (True, True)  # 10 s; 2,500 / 100 events/s = 25x
    late, short = sync_catchup.verdicts(run(25_000, 20.0), run(2_500, 5.0))
    assert (late.met, short.met) == (False, False)
    assert late.note and short.note  # by how much


def test_the_report_compares_events_per_second_and_extrapolates_sip2() -> None:
    def run(events: int, seconds: float) -> sync_catchup.Run:
        return sync_catchup.Run("r", "1", events, events, Drained(seconds + 1, seconds),
                                Tally(events, events, 0, 0, events // 2, events // 2, 0, 0))

    week = sync_catchup.WEEK.events
    text = sync_catchup.report(run(week, 10.0), run(2_500, 25.0), run(5_000, 20.0), 30.0)
    assert "batched / one request per event: 24.9x" in text  # 2,491 / 100 events/s
    assert f"the week would take {week / 250:.0f} s at its 250 events/s" in text


def test_a_small_fleet_drains_every_kiosk_exactly_once(tmp_path: Path) -> None:
    plan = fleet.Plan(kiosks=3, loans=20, books=8)
    result = fleet.measure(tmp_path, plan)
    assert [k.kiosk for k in result.kiosks] == [0, 1, 2]
    assert result.tally.exactly_once and result.tally.recorded == 3 * 40
    assert [len(k.round_trips) for k in result.kiosks] == [1, 1, 1]  # one batch of 40 each
    assert len(result.batch_seconds) >= 3 and result.requests >= 3  # a retry may add one
    assert all(k.delivered <= k.rested for k in result.kiosks)
    once, *_ = fleet.verdicts(result)
    assert once.met
    assert "3 kiosks" in fleet.report(result)


def test_percentiles_interpolate_between_ranks() -> None:
    assert fleet.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert fleet.percentile([1.0, 2.0], 0.95) == pytest.approx(1.95)
    assert fleet.percentile([7.0], 0.95) == 7.0


def test_a_catch_up_whose_worker_dies_fails_at_once_with_its_error(tmp_path: Path) -> None:
    class Broken:
        """A library whose every call is a programming error, as a bad wrapper once was."""

        async def call(self, method: str, *args: object) -> object:
            raise TypeError(f"{method}() got an unexpected keyword argument")

    with Journal.open(tmp_path / "journal.db", slot_count=SMALL.books) as journal:
        journal_backlog(journal, SMALL, datetime.now(timezone.utc))
        with pytest.raises(TypeError, match="unexpected keyword"):
            broken: Any = Broken()
            asyncio.run(catch_up(journal, broken, SyncConfig(), MACHINE))
