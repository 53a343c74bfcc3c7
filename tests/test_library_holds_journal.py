"""The library's holds in the journal: reported and released holds, the library's word on
readiness, and what a pull may not do (pure: a real journal, a stand-in controller)."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from test_journal_support import clock, journal, lend, refused, stock  # noqa: F401

from kiosk import library_holds
from kiosk.connectors import EventResult, LibraryHold, Outcome, Reason
from kiosk.journal import (
    HoldCancelled, HoldEnd, HoldPlaced, HoldReleased, HoldReported, ItemUnstocked, Journal,
    Refusal, UnstockReason,
)
from kiosk.sync.model import settle

DEADLINE = datetime(2030, 1, 4, 14, 59, 59, tzinfo=timezone.utc)


class Ctl:
    """What library_holds.take uses of the controller: the journal and publish."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.published = 0

    def publish(self) -> None:
        self.published += 1


def test_a_reported_hold_is_ready_only_when_the_library_says_so(journal: Journal, clock) -> None:
    stock(journal, "B1", 4)
    journal.append(HoldReported("B1", "P2"))  # waiting at the library: hidden, not ready
    assert (journal.active_hold("B1").ready_at, journal.active_hold("B1").source) == (
        None, "library")
    journal.append(HoldReported("B1", "P2", DEADLINE, ready=True))
    hold = journal.active_hold("B1")
    assert (hold.ready_at, hold.expires_at) == (clock.now, DEADLINE)


def test_a_hold_reported_for_another_patron_replaces_the_old_one(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(HoldPlaced("B1", "P1"))
    journal.append(HoldReported("B1", "P2", DEADLINE, ready=True))
    assert journal.active_hold("B1").patron_id == "P2"
    assert journal.last_hold("B1").patron_id == "P2"


def test_a_hold_is_not_reported_on_the_holder_s_own_loan_nor_a_removed_book(
        journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1", "P2")
    refused(journal, HoldReported("B1", "P2"), Refusal.WRONG_PATRON)
    stock(journal, "B2", 5)
    journal.append(ItemUnstocked("B2", UnstockReason.WITHDRAWN))
    refused(journal, HoldReported("B2", "P2"), Refusal.WRONG_PLACE)


def test_a_complete_pull_releases_what_the_library_no_longer_holds(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 5)
    journal.append(HoldReported("B1", "P2", DEADLINE, ready=True))
    journal.append(HoldPlaced("B2", "P3"))  # placed here, not delivered yet: left alone
    ctl = Ctl(journal)
    library_holds.take(ctl, [], complete=True)
    assert journal.active_hold("B1") is None and journal.last_hold("B1").end_reason is (
        HoldEnd.RELEASED)
    assert journal.active_hold("B2").patron_id == "P3"
    assert ctl.published == 1


def test_a_hold_the_kiosk_already_ended_is_not_brought_back(journal: Journal) -> None:
    stock(journal, "B1", 4)
    hold = LibraryHold("B1", "P2", ready=True, expires_at=DEADLINE)
    ctl = Ctl(journal)
    library_holds.take(ctl, [hold], complete=True)
    journal.append(HoldReleased("B1", "P2"))  # its last second passed here
    library_holds.take(ctl, [hold], complete=True)  # the library drops it only when asked
    assert journal.active_hold("B1") is None
    library_holds.take(ctl, [hold], complete=True)
    assert [h for h in journal.active_holds()] == []


def test_an_unknown_book_is_ignored(journal: Journal) -> None:
    ctl = Ctl(journal)
    library_holds.take(ctl, [LibraryHold("X9", "P2", True, DEADLINE)], complete=False)
    assert journal.active_holds() == [] and ctl.published == 0


def test_a_cancel_the_library_no_longer_needed_is_settled_without_a_conflict(
        journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(HoldPlaced("B1", "P2"))
    cancel = journal.append(HoldCancelled("B1", "P2", HoldEnd.EXPIRED))
    placed, cancelled = journal.pending_outbox()
    results = [EventResult(uuid(placed), Outcome.APPLIED, None),
               EventResult(uuid(cancelled), Outcome.REFUSED, Reason.HOLD_NOT_FOUND)]
    runs, unanswered = settle([placed, cancelled], results)
    assert runs == [([placed.uuid, cancel.uuid], (None, False))] and unanswered == []


def uuid(event) -> UUID:
    return UUID(event.uuid)
