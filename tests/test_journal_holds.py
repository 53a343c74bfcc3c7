"""Holds, renewals and the patrons remembered for offline lending."""

from __future__ import annotations

from datetime import date

from kiosk.journal import (
    HoldCancelled,
    HoldEnd,
    HoldPlaced,
    ItemUnstocked,
    Journal,
    PatronVerified,
    Refusal,
    Renewed,
    ReturnIdentified,
    ReturnShelved,
    ReturnStarted,
    StoreStarted,
    UnstockReason,
    VendStarted,
    VendTaken,
)
from test_journal_support import DUE, clock, journal, lend, present, refused, stock  # noqa: F401


def test_a_hold_on_a_shelved_item_is_ready_at_once(journal: Journal, clock) -> None:
    stock(journal, "B1", 4)
    placed = journal.append(HoldPlaced("B1", "P2"))
    hold = journal.active_hold("B1")
    assert (hold.hold_id, hold.patron_id, hold.ready_at) == (placed.uuid, "P2", clock.now)


def test_a_hold_on_a_lent_item_gets_ready_when_it_is_shelved(journal: Journal, clock) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1", "P1")
    journal.append(HoldPlaced("B1", "P2"))
    assert journal.active_hold("B1").ready_at is None
    started = journal.append(ReturnStarted("S", 5))
    journal.append(ReturnIdentified(started.uuid, "B1", 0))
    journal.append(StoreStarted("B1", 8, 6))
    assert journal.active_hold("B1").ready_at is None
    shelved_at = clock.advance(seconds=9)
    journal.append(ReturnShelved("B1"))
    assert journal.active_hold("B1").ready_at == shelved_at


def test_a_held_item_is_vended_only_to_its_patron(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(HoldPlaced("B1", "P2"))
    refused(journal, VendStarted("B1", 4, "P1", "S1", 1), Refusal.HELD_FOR_OTHER)
    present(journal, "B1", "P2")
    journal.append(VendTaken("B1", "P2", DUE))
    assert journal.active_hold("B1") is None
    ended = journal.db.execute("SELECT end_reason FROM holds").fetchone()[0]
    assert ended == HoldEnd.FULFILLED.value


def test_an_expired_hold_frees_the_item_for_others(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(HoldPlaced("B1", "P2"))
    refused(journal, HoldCancelled("B1", "P1", HoldEnd.EXPIRED), Refusal.WRONG_PATRON)
    journal.append(HoldCancelled("B1", "P2", HoldEnd.EXPIRED))
    assert journal.active_holds() == []
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))


def test_hold_refusals(journal: Journal) -> None:
    stock(journal, "B1", 4)
    refused(journal, HoldPlaced("NOPE", "P2"), Refusal.UNKNOWN_ITEM)
    refused(journal, HoldCancelled("B1", "P2", HoldEnd.CANCELLED), Refusal.NO_HOLD)
    journal.append(HoldPlaced("B1", "P2"))
    refused(journal, HoldPlaced("B1", "P3"), Refusal.HOLD_EXISTS)
    refused(journal, ItemUnstocked("B1", UnstockReason.WITHDRAWN), Refusal.HOLD_EXISTS)


def test_a_renewal_sets_the_due_date_and_counts(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1", "P1")
    journal.append(Renewed("B1", "P1", date(2030, 1, 23)))
    loan = journal.open_loan("B1")
    assert (loan.due, loan.renewals) == (date(2030, 1, 23), 1)


def test_renewal_refusals(journal: Journal) -> None:
    stock(journal, "B1", 4)
    refused(journal, Renewed("B1", "P1", date(2030, 1, 23)), Refusal.NOT_ON_LOAN)
    lend(journal, "B1", "P1")
    refused(journal, Renewed("B1", "P2", date(2030, 1, 23)), Refusal.WRONG_PATRON)


def test_good_standing_is_remembered_until_a_bad_answer(journal: Journal, clock) -> None:
    assert journal.patron_last_good("P1") is None
    good_at = clock.now
    journal.append(PatronVerified("P1", True))
    assert journal.patron_last_good("P1") == good_at
    clock.advance(hours=1)
    journal.append(PatronVerified("P1", False))
    assert journal.patron_last_good("P1") is None
