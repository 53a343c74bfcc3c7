"""Returns, shelving, diverting and re-slotting."""

from __future__ import annotations

from kiosk.journal import (
    IntentKind,
    Journal,
    Outcome,
    Place,
    Refusal,
    ReturnDiverted,
    ReturnIdentified,
    ReturnRejected,
    ReturnRejection,
    ReturnShelved,
    ReturnStarted,
    StoreStarted,
    Transferred,
    TransferStarted,
)
from kiosk.journal.checks import consistency_problems
from test_journal_support import clock, journal, lend, refused, stock  # noqa: F401


def returned(journal: Journal, item_id: str, days_late: int = 0) -> str:
    """Run a return up to identification; returns the return intent's id."""
    started = journal.append(ReturnStarted("S9", 40))
    journal.append(ReturnIdentified(started.uuid, item_id, days_late))
    return started.uuid


def test_identifying_a_lent_book_ends_its_loan(journal: Journal, clock) -> None:
    stock(journal, "B1", 4)
    loan = lend(journal, "B1", "P1")
    started = journal.append(ReturnStarted("S9", 40))
    assert journal.intent(started.uuid).kind is IntentKind.RETURN
    at = clock.advance(days=20)
    journal.append(ReturnIdentified(started.uuid, "B1", 5))
    assert journal.open_loan("B1") is None and journal.open_loans("P1") == []
    row = journal.db.execute("SELECT returned_at, days_late FROM loans WHERE loan_id = ?",
                             (loan.loan_id,)).fetchone()
    assert row == (at.isoformat(), 5)
    assert journal.item("B1").place is Place.RETURN_PORT
    assert journal.intent(started.uuid).outcome is Outcome.DONE
    assert journal.intent(started.uuid).item_id == "B1"


def test_shelving_puts_the_book_in_its_slot(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    returned(journal, "B1")
    store = journal.append(StoreStarted("B1", 11, 41))
    assert 11 not in journal.free_slots()
    journal.append(ReturnShelved("B1"))
    assert journal.item_in_slot(11).item_id == "B1"
    assert journal.intent(store.uuid).outcome is Outcome.DONE
    assert consistency_problems(journal) == []


def test_diverting_puts_the_book_in_the_bin(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    returned(journal, "B1")
    journal.append(StoreStarted("B1", None, 41))
    journal.append(ReturnDiverted("B1"))
    assert journal.item("B1").place is Place.BIN
    assert journal.items(Place.BIN) == [journal.item("B1")]


def test_shelved_and_diverted_must_match_the_store_intent(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    returned(journal, "B1")
    journal.append(StoreStarted("B1", 11, 41))
    refused(journal, ReturnDiverted("B1"), Refusal.WRONG_PLACE)


def test_shelving_into_an_occupied_slot_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 11)
    lend(journal, "B1")
    returned(journal, "B1")
    refused(journal, StoreStarted("B1", 11, 41), Refusal.SLOT_OCCUPIED)


def test_a_book_not_on_loan_cannot_be_identified(journal: Journal) -> None:
    stock(journal, "B1", 4)
    started = journal.append(ReturnStarted("S9", 40))
    refused(journal, ReturnIdentified(started.uuid, "B1", 0), Refusal.NOT_ON_LOAN)
    refused(journal, ReturnIdentified(started.uuid, "NOPE", 0), Refusal.UNKNOWN_ITEM)


def test_a_rejected_return_changes_nothing_but_its_intent(journal: Journal) -> None:
    stock(journal, "B1", 4)
    loan = lend(journal, "B1")
    started = journal.append(ReturnStarted("S9", 40))
    journal.append(ReturnRejected(started.uuid, ReturnRejection.NOT_FROM_THIS_MACHINE, uid="E0"))
    assert journal.intent(started.uuid).outcome is Outcome.REJECTED
    assert journal.open_loan("B1") == loan


def test_one_return_at_a_time(journal: Journal) -> None:
    journal.append(ReturnStarted("S9", 40))
    refused(journal, ReturnStarted("S10", 41), Refusal.INTENT_OPEN)


def test_identifying_needs_the_open_return_intent(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    started = journal.append(ReturnStarted("S9", 40))
    journal.append(ReturnRejected(started.uuid, ReturnRejection.NOTHING_INSERTED))
    refused(journal, ReturnIdentified(started.uuid, "B1", 0), Refusal.NO_OPEN_INTENT)
    refused(journal, ReturnIdentified("not-an-intent", "B1", 0), Refusal.NO_OPEN_INTENT)


def test_a_second_book_in_the_return_port_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 5)
    lend(journal, "B1")
    lend(journal, "B2")
    returned(journal, "B1")
    started = journal.append(ReturnStarted("S9", 42))
    refused(journal, ReturnIdentified(started.uuid, "B2", 0), Refusal.PLACE_OCCUPIED)


def test_transfer_moves_a_book_between_slots(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(TransferStarted("B1", 9, 5))
    assert {4, 9}.isdisjoint(journal.free_slots())
    journal.append(Transferred("B1"))
    assert journal.item("B1").slot == 9 and journal.item_in_slot(4) is None
    assert 4 in journal.free_slots()


def test_transfer_refuses_an_occupied_target(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 9)
    refused(journal, TransferStarted("B1", 9, 5), Refusal.SLOT_OCCUPIED)
    refused(journal, Transferred("B1"), Refusal.NO_OPEN_INTENT)
