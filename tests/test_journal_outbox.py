"""The outbox: what the library must know, in order per item, delivered once in effect."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.journal import (
    EventKind,
    HoldPlaced,
    Journal,
    JournalRefused,
    PatronVerified,
    Refusal,
    Renewed,
    ReturnIdentified,
    ReturnStarted,
)
from test_journal_support import clock, journal, lend, stock  # noqa: F401


def _lend_and_return(journal: Journal, item_id: str) -> None:
    lend(journal, item_id)
    started = journal.append(ReturnStarted("S", 9))
    journal.append(ReturnIdentified(started.uuid, item_id, 0))


@pytest.fixture
def busy(journal: Journal) -> Journal:
    """B1 lent and returned, B2 lent and renewed, a hold on B3, and non-outbox events."""
    for n, slot in ((1, 0), (2, 1), (3, 2)):
        stock(journal, f"B{n}", slot)
    _lend_and_return(journal, "B1")
    lend(journal, "B2")
    journal.append(PatronVerified("P1", True))
    journal.append(Renewed("B2", "P1", date(2030, 1, 23)))
    journal.append(HoldPlaced("B3", "P1"))
    return journal


def _kinds(events) -> list[tuple[str, str]]:
    return [(e.payload.item_id, e.kind.value) for e in events]


def test_pending_lists_only_library_events_in_journal_order(busy: Journal) -> None:
    pending = busy.pending_outbox()
    assert _kinds(pending) == [("B1", "vend_taken"), ("B1", "return_identified"),
                               ("B2", "vend_taken"), ("B2", "renewed"), ("B3", "hold_placed")]
    assert [e.seq for e in pending] == sorted(e.seq for e in pending)
    outbox_seqs = {e.seq for e in pending}
    others = [e for e in busy.events() if e.seq not in outbox_seqs]
    assert all(e.kind not in {EventKind.VEND_TAKEN, EventKind.RENEWED} for e in others)


def test_pending_is_batched(busy: Journal) -> None:
    assert busy.pending_outbox(limit=2) == busy.pending_outbox()[:2]


def test_delivered_events_leave_the_backlog_once(busy: Journal) -> None:
    first = busy.pending_outbox(limit=2)
    assert busy.mark_delivered([e.uuid for e in reversed(first)]) == 2
    assert busy.mark_delivered([first[0].uuid]) == 0  # a repeat changes nothing
    assert _kinds(busy.pending_outbox()) == [("B2", "vend_taken"), ("B2", "renewed"),
                                             ("B3", "hold_placed")]


def test_an_item_is_delivered_in_order(busy: Journal) -> None:
    checkout, checkin = busy.pending_outbox()[:2]
    with pytest.raises(JournalRefused) as caught:
        busy.mark_delivered([checkin.uuid])
    assert caught.value.code is Refusal.OUT_OF_ORDER
    assert busy.pending_outbox()[:2] == [checkout, checkin]


def test_other_items_do_not_wait_for_a_stuck_one(busy: Journal) -> None:
    hold = busy.pending_outbox()[-1]
    busy.mark_failed([busy.pending_outbox()[0].uuid], "timeout")
    assert busy.mark_delivered([hold.uuid]) == 1


def test_failures_are_counted_and_stay_pending(busy: Journal) -> None:
    first = busy.pending_outbox()[0]
    busy.mark_failed([first.uuid], "http_503")
    busy.mark_failed([first.uuid], "timeout")
    row = busy.db.execute("SELECT attempts, last_error, delivered_at FROM outbox WHERE uuid = ?",
                          (first.uuid,)).fetchone()
    assert row == (2, "timeout", None)
    assert busy.pending_outbox()[0] == first


def test_a_conflict_is_kept_with_the_delivery(busy: Journal) -> None:
    first = busy.pending_outbox()[0]
    busy.mark_delivered([first.uuid], conflict="patron_blocked")
    row = busy.db.execute("SELECT conflict FROM outbox WHERE uuid = ?", (first.uuid,)).fetchone()
    assert row == ("patron_blocked",)


def test_unknown_events_are_refused(busy: Journal) -> None:
    with pytest.raises(JournalRefused) as caught:
        busy.mark_delivered(["not-an-event"])
    assert caught.value.code is Refusal.UNKNOWN_EVENT


def test_backlog_counts_and_ages(journal: Journal, clock) -> None:
    assert journal.outbox_backlog().count == 0
    assert journal.outbox_backlog().oldest_age_seconds(clock.now) == 0.0
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    first_at = clock.advance(minutes=1)
    lend(journal, "B1")
    clock.advance(minutes=1)
    lend(journal, "B2")
    backlog = journal.outbox_backlog()
    assert (backlog.count, backlog.oldest_at) == (2, first_at)
    now = clock.advance(hours=2)
    assert backlog.oldest_age_seconds(now) == (now - first_at).total_seconds()
    journal.mark_delivered([journal.pending_outbox()[0].uuid])
    assert journal.outbox_backlog().count == 1


def test_a_batch_is_marked_delivered_in_one_statement(busy: Journal) -> None:
    statements: list[str] = []
    busy.db.conn.set_trace_callback(statements.append)
    try:
        marked = busy.mark_delivered([e.uuid for e in busy.pending_outbox()], conflict="overdue")
    finally:
        busy.db.conn.set_trace_callback(None)
    assert marked == 5
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
    assert busy.outbox_backlog().count == 0


def test_sending_is_noted_once_and_a_resend_is_known(busy: Journal) -> None:
    first, second = (e.uuid for e in busy.pending_outbox(limit=2))
    assert busy.mark_sending([first]) == set()
    assert busy.mark_sending([first, second]) == {first}  # it may have taken effect
    with pytest.raises(JournalRefused) as caught:
        busy.mark_sending([second, "not-an-event"])
    assert caught.value.code is Refusal.UNKNOWN_EVENT
    with pytest.raises(JournalRefused):
        busy.mark_failed([first, "not-an-event"], "timeout")
    rows = busy.db.execute("SELECT attempts FROM outbox WHERE uuid = ?", (first,)).fetchall()
    assert rows == [(0,)]  # a refused call changes nothing


def test_a_batch_is_noted_as_sent_and_failed_in_one_statement_each(busy: Journal) -> None:
    uuids = [e.uuid for e in busy.pending_outbox()]
    statements: list[str] = []
    busy.db.conn.set_trace_callback(statements.append)
    try:
        busy.mark_sending(uuids)
        busy.mark_failed(uuids, "timeout")
    finally:
        busy.db.conn.set_trace_callback(None)
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 2
    assert busy.mark_sending(uuids) == set(uuids)


GROWING = ("events", "outbox", "loans", "intents", "holds")  # tables a long backlog fills


def _scans(reader: Journal, statements: list[str]) -> list[str]:
    """Plain scans of a growing table (no index) in the plans of `statements`."""
    scans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")):
            continue
        for *_, detail in reader.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall():
            words = detail.split()
            if words[:1] == ["SCAN"] and words[1] in GROWING and "USING" not in words:
                scans.append(f"{detail}: {sql.split()[:6]}")
    return scans


def test_what_sync_does_per_batch_reads_growing_tables_by_index(busy: Journal) -> None:
    """A week offline leaves tens of thousands of rows in these tables: a whole-table scan per
    batch (or per event) made a catch-up quadratic."""
    statements: list[str] = []
    busy.db.conn.set_trace_callback(statements.append)
    try:
        batch = busy.pending_outbox()
        busy.mark_sending([e.uuid for e in batch])
        one_by_one = {e.uuid: busy.loan_closed_by(e) for e in batch}
        returned = [e for e in batch if e.kind is EventKind.RETURN_IDENTIFIED]
        closed = busy.loans_closed_by(returned)
        busy.mark_delivered([e.uuid for e in batch])
        busy.outbox_backlog()
        busy.open_conflict_counts()
        busy.anonymise(lambda patron: f"h:{patron}")
    finally:
        busy.db.conn.set_trace_callback(None)
    assert _scans(busy, statements) == []
    assert {uuid: loan.item_id for uuid, loan in closed.items()} == {returned[0].uuid: "B1"}
    assert closed[returned[0].uuid] == one_by_one[returned[0].uuid]
