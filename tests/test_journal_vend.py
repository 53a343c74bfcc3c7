"""Vends: the loan exists only once the patron took the book; a book not taken goes back."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.journal import (
    IntentKind,
    Journal,
    Outcome,
    Place,
    Refusal,
    RetractStarted,
    Stage,
    TransferStarted,
    VendFetched,
    VendPresented,
    VendRetracted,
    VendStarted,
    VendTaken,
)
from kiosk.journal.checks import consistency_problems
from test_journal_support import DUE, clock, journal, lend, present, refused, stock  # noqa: F401


def test_vend_started_records_the_intent_and_moves_nothing(journal: Journal) -> None:
    stock(journal, "B1", 4)
    event = journal.append(VendStarted("B1", 4, "P1", "S1", 17))
    (intent,) = journal.open_intents()
    assert (intent.intent_id, intent.kind, intent.stage) == (
        event.uuid, IntentKind.VEND, Stage.MOVING)
    assert (intent.item_id, intent.slot, intent.patron_id, intent.session_id, intent.plc_seq) == (
        "B1", 4, "P1", "S1", 17)
    assert journal.item("B1").place is Place.SLOT
    assert 4 not in journal.free_slots()


def test_a_fetched_book_is_in_the_port_and_its_slot_stays_reserved(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    journal.append(VendFetched("B1"))
    assert journal.item("B1").place is Place.PICKUP_PORT
    assert journal.item_in_slot(4) is None
    assert journal.item_at(Place.PICKUP_PORT).item_id == "B1"
    assert 4 not in journal.free_slots()
    assert journal.open_loan("B1") is None


def test_taking_the_book_makes_the_loan_and_closes_the_intent(journal: Journal, clock) -> None:
    stock(journal, "B1", 4)
    intent_id = present(journal, "B1", "P7")
    taken_at = clock.advance(seconds=5)
    event = journal.append(VendTaken("B1", "P7", DUE))
    loan = journal.open_loan("B1")
    assert (loan.loan_id, loan.patron_id, loan.taken_at, loan.due) == (
        event.uuid, "P7", taken_at, DUE)
    assert journal.open_loans("P7") == [loan]
    assert journal.item("B1").place is Place.ON_LOAN
    assert journal.intent(intent_id).outcome is Outcome.DONE
    assert journal.open_intents() == []
    assert 4 in journal.free_slots()


def test_a_book_not_taken_goes_back_and_no_loan_remains(journal: Journal) -> None:
    stock(journal, "B1", 4)
    vend_id = present(journal, "B1")
    retract = journal.append(RetractStarted("B1", 4, 2))
    assert journal.intent(vend_id).outcome is Outcome.RETRACTING
    assert journal.intent(retract.uuid).kind is IntentKind.RETRACT
    journal.append(VendRetracted("B1"))
    assert journal.item("B1").place is Place.SLOT and journal.item_in_slot(4).item_id == "B1"
    assert journal.open_loans() == [] and journal.open_intents() == []
    assert consistency_problems(journal) == []


def test_a_retract_may_use_another_free_slot(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1")
    journal.append(RetractStarted("B1", 9, 2))
    journal.append(VendRetracted("B1"))
    assert journal.item("B1").slot == 9
    assert 4 in journal.free_slots()


def test_taken_without_an_open_vend_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    refused(journal, VendTaken("B1", "P1", DUE), Refusal.NO_OPEN_INTENT)


def test_taken_before_the_door_opened_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    journal.append(VendFetched("B1"))
    refused(journal, VendTaken("B1", "P1", DUE), Refusal.WRONG_STAGE)


def test_taken_by_another_patron_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1", "P1")
    refused(journal, VendTaken("B1", "P2", DUE), Refusal.WRONG_PATRON)


def test_taken_after_the_retract_began_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1")
    journal.append(RetractStarted("B1", 4, 2))
    refused(journal, VendTaken("B1", "P1", DUE), Refusal.NO_OPEN_INTENT)


def test_a_second_loan_of_a_lent_item_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    refused(journal, VendStarted("B1", 4, "P2", "S2", 3), Refusal.WRONG_PLACE)
    refused(journal, VendTaken("B1", "P1", date(2031, 1, 1)), Refusal.NO_OPEN_INTENT)
    assert len(journal.open_loans()) == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (VendStarted("NOPE", 4, "P1", "S1", 1), Refusal.UNKNOWN_ITEM),
        (VendStarted("B1", 5, "P1", "S1", 1), Refusal.WRONG_PLACE),
        (VendFetched("B1"), Refusal.NO_OPEN_INTENT),
        (VendPresented("B1"), Refusal.NO_OPEN_INTENT),
        (RetractStarted("B1", 5, 1), Refusal.WRONG_PLACE),
    ],
)
def test_moves_that_do_not_match_the_state_are_refused(journal: Journal, payload, code) -> None:
    stock(journal, "B1", 4)
    refused(journal, payload, code)


def test_a_second_vend_of_the_same_item_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    refused(journal, VendStarted("B1", 4, "P1", "S1", 2), Refusal.INTENT_OPEN)


def test_presenting_twice_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1")
    refused(journal, VendPresented("B1"), Refusal.WRONG_STAGE)


def test_a_fetch_into_an_occupied_pickup_port_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 5)
    present(journal, "B1")
    journal.append(VendStarted("B2", 5, "P1", "S1", 2))
    refused(journal, VendFetched("B2"), Refusal.PLACE_OCCUPIED)


def test_a_retract_needs_a_free_unreserved_slot(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 5)
    present(journal, "B1")
    journal.append(TransferStarted("B2", 7, 2))
    refused(journal, RetractStarted("B1", 5, 3), Refusal.SLOT_OCCUPIED)
    refused(journal, RetractStarted("B1", 7, 3), Refusal.SLOT_RESERVED)
    refused(journal, RetractStarted("B1", 99, 3), Refusal.SLOT_OUT_OF_RANGE)


def test_offline_loans_are_marked(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1")
    journal.append(VendTaken("B1", "P1", DUE, offline=True))
    assert journal.open_loan("B1").offline is True
