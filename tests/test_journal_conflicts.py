"""The journal's read API for outbox conflicts, a technician's resolution, and event reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.journal import (
    ConflictResolved,
    EventKind,
    Journal,
    OutboxConflict,
    PatronVerified,
    Refusal,
    ReturnIdentified,
    ReturnStarted,
)
from test_journal_support import ManualClock, clock, journal, lend, refused, stock  # noqa: F401


@pytest.fixture
def objected(journal: Journal, clock: ManualClock) -> Journal:
    """B1 lent and returned, B2 lent: the library objected to B1's loan, refused B2's."""
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    lend(journal, "B1")
    started = journal.append(ReturnStarted("S", 9))
    journal.append(ReturnIdentified(started.uuid, "B1", 0))
    lend(journal, "B2")
    b1_loan, b1_return, b2_loan = (e.uuid for e in journal.pending_outbox())
    clock.advance(minutes=5)
    journal.mark_delivered([b1_loan], conflict="patron_blocked")
    journal.mark_delivered([b1_return])
    journal.mark_delivered([b2_loan], conflict="not_found", refused=True)
    return journal


def test_conflicts_are_typed_records_in_journal_order(objected: Journal, clock) -> None:
    conflicts = objected.outbox_conflicts()
    assert all(isinstance(c, OutboxConflict) for c in conflicts)
    assert [(c.event.payload.item_id, c.event.kind, c.conflict, c.refused) for c in conflicts] \
        == [("B1", EventKind.VEND_TAKEN, "patron_blocked", False),
            ("B2", EventKind.VEND_TAKEN, "not_found", True)]
    assert all(c.is_open and c.delivered_at == clock.now for c in conflicts)
    assert objected.open_conflict_counts() == (2, 1)


def test_an_event_delivered_without_objection_is_no_conflict(objected: Journal) -> None:
    returned = next(e for e in objected.events() if e.kind is EventKind.RETURN_IDENTIFIED)
    assert objected.outbox_conflict(returned.uuid) is None
    refused(objected, ConflictResolved(returned.uuid, "tech"), Refusal.NOT_A_CONFLICT)
    refused(objected, ConflictResolved("no-such-event", "tech"), Refusal.NOT_A_CONFLICT)


def test_a_resolved_conflict_is_kept_but_no_longer_open(objected: Journal, clock) -> None:
    first = objected.outbox_conflicts()[0]
    clock.advance(hours=1)
    objected.append(ConflictResolved(first.event.uuid, "Lee", note="blocked by mistake"))
    resolved = objected.outbox_conflict(first.event.uuid)
    assert (resolved.resolved_by, resolved.resolved_at, resolved.note, resolved.is_open) == (
        "Lee", clock.now, "blocked by mistake", False)
    assert [c.event.payload.item_id for c in objected.outbox_conflicts(open_only=True)] == ["B2"]
    assert len(objected.outbox_conflicts()) == 2
    assert objected.open_conflict_counts() == (1, 1)
    refused(objected, ConflictResolved(first.event.uuid, "Kim"), Refusal.CONFLICT_RESOLVED)


def test_resolutions_survive_reopening(objected: Journal, tmp_path) -> None:
    first = objected.outbox_conflicts()[0]
    objected.append(ConflictResolved(first.event.uuid, "Lee"))
    objected.close()
    with Journal.open(tmp_path / "journal.db", slot_count=objected.slot_count) as again:
        assert again.open_conflict_counts() == (1, 1)


def test_last_events_are_the_newest_in_order(journal: Journal) -> None:
    for n in range(5):
        journal.append(PatronVerified(f"P{n}", True))
    last = journal.last_events(3)
    assert [e.payload.patron_id for e in last] == ["P2", "P3", "P4"]
    assert journal.last_events(50) == journal.events()


def test_events_since_a_moment_page_by_seq(journal: Journal, clock: ManualClock) -> None:
    journal.append(PatronVerified("before", True))
    clock.advance(hours=2)
    since = clock.now - timedelta(minutes=1)
    for n in range(3):
        clock.advance(microseconds=500)
        journal.append(PatronVerified(f"P{n}", True))
    page = journal.events_since(since, limit=2)
    assert [e.payload.patron_id for e in page] == ["P0", "P1"]
    rest = journal.events_since(since, after_seq=page[-1].seq, limit=2)
    assert [e.payload.patron_id for e in rest] == ["P2"]
    with pytest.raises(ValueError):
        journal.events_since(since.replace(tzinfo=None))


def test_the_loan_a_return_closed_names_its_patron(journal: Journal, clock) -> None:
    stock(journal, "B1", 0)
    lend(journal, "B1", "P7")
    clock.advance(days=2)
    started = journal.append(ReturnStarted("S", 9))
    returned = journal.append(ReturnIdentified(started.uuid, "B1", 0))
    assert journal.loan_closed_by(returned).patron_id == "P7"
