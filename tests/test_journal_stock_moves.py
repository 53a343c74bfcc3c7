"""Loading through the return port (ItemLoaded) and withdrawing through the pickup port (WITHDRAW)."""

from __future__ import annotations

from kiosk.journal import (
    AuditReason,
    HoldPlaced,
    IntentKind,
    ItemLoaded,
    ItemUnstocked,
    Journal,
    MoveFailure,
    Outcome,
    Place,
    Refusal,
    RetractStarted,
    ReturnRejected,
    ReturnIdentified,
    ReturnRejection,
    ReturnShelved,
    ReturnStarted,
    Stage,
    StoreStarted,
    UnstockReason,
    VendRetracted,
    VendTaken,
    WithdrawFailed,
    WithdrawFetched,
    WithdrawPresented,
    WithdrawStarted,
)
from kiosk.journal.checks import consistency_problems
from test_journal_support import DUE, clock, journal, lend, refused, stock, uid  # noqa: F401


def _load(journal: Journal, item_id: str = "N1") -> str:
    """Open the load's return intent and register a new book in the port; the intent id."""
    opened = journal.append(ReturnStarted("load:1"))
    journal.append(ItemLoaded(item_id, uid(item_id), "New title", intent_id=opened.uuid,
                              authors="Someone", year=2021))
    return opened.uuid


def test_a_loaded_book_is_in_the_return_port_and_its_intent_is_done(journal: Journal) -> None:
    intent_id = _load(journal)
    item = journal.item("N1")
    assert (item.place, item.slot, item.title, item.year) == (Place.RETURN_PORT, None,
                                                              "New title", 2021)
    intent = journal.intent(intent_id)
    assert (intent.outcome, intent.item_id) == (Outcome.DONE, "N1")
    assert consistency_problems(journal) == []


def test_a_loaded_book_is_stored_with_no_word_to_the_library(journal: Journal) -> None:
    _load(journal)
    journal.append(StoreStarted("N1", 4, 1))
    journal.append(ReturnShelved("N1"))
    assert (journal.item("N1").place, journal.item("N1").slot) == (Place.SLOT, 4)
    assert journal.outbox_backlog().count == 0  # neither a check-in nor a checkout
    assert consistency_problems(journal) == []


def test_a_load_is_refused_for_a_book_the_machine_has(journal: Journal) -> None:
    stock(journal, "B1", 0)
    opened = journal.append(ReturnStarted("load:1"))
    refused(journal, ItemLoaded("B1", uid("B1"), "T", intent_id=opened.uuid), Refusal.ITEM_EXISTS)
    refused(journal, ItemLoaded("N1", uid("B1"), "T", intent_id=opened.uuid), Refusal.UID_IN_USE)
    refused(journal, ItemLoaded("N1", uid("N1"), "T", intent_id="nope"), Refusal.NO_OPEN_INTENT)
    journal.append(ReturnRejected(opened.uuid, ReturnRejection.NOT_ON_LOAN, item_id="B1"))
    refused(journal, ItemLoaded("N1", uid("N1"), "T", intent_id=opened.uuid),
            Refusal.NO_OPEN_INTENT)


def test_one_book_at_a_time_in_the_return_port(journal: Journal) -> None:
    _load(journal, "N1")
    refused(journal, ItemLoaded("N2", uid("N2"), "T"), Refusal.PLACE_OCCUPIED)


def test_a_withdrawn_book_may_be_loaded_again(journal: Journal) -> None:
    stock(journal, "B1", 0)
    journal.append(ItemUnstocked("B1", UnstockReason.WITHDRAWN))
    _load(journal, "B1")
    assert journal.item("B1").place is Place.RETURN_PORT


def _withdraw_to_the_door(journal: Journal, item_id: str = "B1") -> str:
    slot = journal.item(item_id).slot
    started = journal.append(WithdrawStarted(item_id, slot, 7))
    journal.append(WithdrawFetched(item_id))
    journal.append(WithdrawPresented(item_id))
    return started.uuid


def test_a_withdrawn_book_taken_from_the_pickup_port_is_removed(journal: Journal) -> None:
    stock(journal, "B1", 3)
    intent_id = _withdraw_to_the_door(journal)
    assert journal.item("B1").place is Place.PICKUP_PORT
    assert 3 not in journal.free_slots()  # kept for a retract until it is taken
    journal.append(ItemUnstocked("B1", UnstockReason.WITHDRAWN))
    assert journal.item("B1").place is Place.REMOVED
    assert journal.intent(intent_id).outcome is Outcome.DONE
    assert 3 in journal.free_slots()
    assert journal.open_loans() == [] and journal.outbox_backlog().count == 0
    assert consistency_problems(journal) == []


def test_a_withdraw_not_taken_goes_back_to_its_slot(journal: Journal) -> None:
    stock(journal, "B1", 3)
    intent_id = _withdraw_to_the_door(journal)
    journal.append(RetractStarted("B1", 3, 8))
    assert journal.intent(intent_id).outcome is Outcome.RETRACTING
    journal.append(VendRetracted("B1"))
    assert (journal.item("B1").place, journal.item("B1").slot) == (Place.SLOT, 3)
    assert journal.open_intents() == [] and journal.open_loans() == []
    assert consistency_problems(journal) == []


def test_a_withdraw_is_no_loan_and_needs_the_door_open_first(journal: Journal) -> None:
    stock(journal, "B1", 3)
    journal.append(WithdrawStarted("B1", 3, 7))
    journal.append(WithdrawFetched("B1"))
    refused(journal, ItemUnstocked("B1", UnstockReason.WITHDRAWN), Refusal.WRONG_STAGE)
    journal.append(WithdrawPresented("B1"))
    refused(journal, VendTaken("B1", "P1", DUE), Refusal.NO_OPEN_INTENT)


def test_a_withdraw_is_refused_for_books_on_loan_held_or_elsewhere(journal: Journal) -> None:
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    lend(journal, "B1")
    refused(journal, WithdrawStarted("B1", 0, 1), Refusal.WRONG_PLACE)
    refused(journal, WithdrawStarted("B2", 5, 1), Refusal.WRONG_PLACE)
    journal.append(HoldPlaced("B2", "P2"))
    refused(journal, WithdrawStarted("B2", 1, 1), Refusal.HOLD_EXISTS)


def test_a_failed_withdraw_keeps_or_flags_the_book(journal: Journal) -> None:
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    journal.append(WithdrawStarted("B1", 0, 1))
    journal.append(WithdrawFailed("B1", MoveFailure.PORT_OCCUPIED))
    assert journal.item("B1").place is Place.SLOT
    journal.append(WithdrawStarted("B2", 1, 2))
    refused(journal, WithdrawFailed("B2", MoveFailure.BIN_FULL), Refusal.WRONG_FAILURE)
    journal.append(WithdrawFailed("B2", MoveFailure.SLOT_EMPTY))
    assert journal.item("B2").place is Place.UNKNOWN
    assert {f.reason for f in journal.open_flags()} == {AuditReason.UNEXPECTED_OCCUPANT,
                                                        AuditReason.ITEM_MISSING}
    assert consistency_problems(journal) == []


def test_an_open_withdraw_is_what_recovery_sees(journal: Journal) -> None:
    stock(journal, "B1", 2)
    journal.append(WithdrawStarted("B1", 2, 9))
    (intent,) = journal.open_intents()
    assert (intent.kind, intent.stage, intent.slot, intent.plc_seq, intent.patron_id) == (
        IntentKind.WITHDRAW, Stage.MOVING, 2, 9, None)


def test_idle_counts_from_the_last_loan_or_else_the_stocking(journal: Journal, clock) -> None:
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    stocked_at = clock.now
    lent_at = clock.advance(days=3)
    lend(journal, "B1")
    clock.advance(days=1)
    journal.append(ReturnStarted("S"))
    (ret,) = [i for i in journal.open_intents() if i.kind is IntentKind.RETURN]
    journal.append(ReturnIdentified(ret.intent_id, "B1"))
    journal.append(StoreStarted("B1", 5, 2))
    journal.append(ReturnShelved("B1"))
    assert journal.last_lent_or_stocked() == {"B2": stocked_at, "B1": lent_at}


def test_a_loads_return_intent_is_told_apart_from_a_patrons(journal: Journal) -> None:
    from kiosk.job_stock import LOAD_SESSION, technician_load
    load = journal.append(ReturnStarted(session_id=f"{LOAD_SESSION}1")).uuid
    journal.append(ReturnRejected(intent_id=load, reason=ReturnRejection.NOTHING_INSERTED))
    patron = journal.append(ReturnStarted(session_id="s-1")).uuid
    assert technician_load(journal, load) and not technician_load(journal, patron)
