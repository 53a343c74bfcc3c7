"""Failed moves, audit flags and the technician's stock changes: what cannot be proven is
flagged, never guessed."""

from __future__ import annotations

from kiosk.journal import (
    AuditCleared,
    AuditFlagged,
    AuditReason,
    ItemLocated,
    ItemStocked,
    ItemUnstocked,
    Journal,
    MoveFailure,
    Outcome,
    Place,
    Refusal,
    RetractFailed,
    RetractStarted,
    ReturnIdentified,
    ReturnStarted,
    StoreFailed,
    StoreStarted,
    TransferFailed,
    TransferStarted,
    UnstockReason,
    VendFailed,
    VendStarted,
)
from kiosk.journal.checks import consistency_problems
from test_journal_support import clock, journal, lend, present, refused, stock, uid  # noqa: F401


def test_a_fetch_never_started_leaves_the_book_in_its_slot(journal: Journal) -> None:
    stock(journal, "B1", 4)
    vend = journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    journal.append(VendFailed("B1", MoveFailure.NOT_STARTED))
    assert journal.item("B1").slot == 4
    assert journal.intent(vend.uuid).outcome is Outcome.FAILED
    assert journal.open_flags() == []


def test_an_empty_slot_makes_the_book_unknown_and_blocks_the_slot(journal: Journal) -> None:
    stock(journal, "B1", 4)
    vend = journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    failed = journal.append(VendFailed("B1", MoveFailure.SLOT_EMPTY))
    assert journal.item("B1").place is Place.UNKNOWN
    flag = journal.flag(failed.uuid)
    assert (flag.reason, flag.item_id, flag.slot, flag.intent_id) == (
        AuditReason.ITEM_MISSING, "B1", 4, vend.uuid)
    assert 4 not in journal.free_slots()
    assert consistency_problems(journal) == []


def test_an_occupied_pickup_port_is_flagged_and_the_book_stays(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    failed = journal.append(VendFailed("B1", MoveFailure.PORT_OCCUPIED))
    assert journal.item("B1").slot == 4
    flag = journal.flag(failed.uuid)
    assert (flag.reason, flag.place, flag.item_id) == (
        AuditReason.UNEXPECTED_OCCUPANT, Place.PICKUP_PORT, None)


def test_a_jammed_transfer_blocks_both_slots(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(TransferStarted("B1", 9, 5))
    failed = journal.append(TransferFailed("B1", MoveFailure.JAM))
    assert journal.item("B1").place is Place.UNKNOWN
    flagged = {f.slot for f in journal.open_flags()}
    assert flagged == {4, 9}
    assert journal.flag(failed.uuid).reason is AuditReason.MOVE_JAMMED
    assert flagged.isdisjoint(journal.free_slots())


def test_a_retract_into_an_occupied_slot_leaves_the_book_in_the_port(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1")
    journal.append(RetractStarted("B1", 9, 2))
    failed = journal.append(RetractFailed("B1", MoveFailure.SLOT_OCCUPIED))
    assert journal.item("B1").place is Place.PICKUP_PORT
    assert journal.flag(failed.uuid).slot == 9
    refused(journal, RetractStarted("B1", 9, 3), Refusal.SLOT_FLAGGED)
    journal.append(RetractStarted("B1", 4, 3))
    assert consistency_problems(journal) == []


def test_a_port_found_empty_does_not_block_the_retract_target(journal: Journal) -> None:
    stock(journal, "B1", 4)
    present(journal, "B1")
    journal.append(RetractStarted("B1", 9, 2))
    journal.append(RetractFailed("B1", MoveFailure.PORT_EMPTY))
    assert journal.item("B1").place is Place.UNKNOWN
    assert 9 in journal.free_slots() and 4 in journal.free_slots()
    assert journal.open_loans() == []


def test_a_full_bin_keeps_the_book_in_the_return_port(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    started = journal.append(ReturnStarted("S", 9))
    journal.append(ReturnIdentified(started.uuid, "B1", 0))
    journal.append(StoreStarted("B1", None, 10))
    journal.append(StoreFailed("B1", MoveFailure.BIN_FULL))
    assert journal.item("B1").place is Place.RETURN_PORT
    assert journal.open_flags() == []
    journal.append(StoreStarted("B1", 12, 11))
    refused(journal, StoreFailed("B1", MoveFailure.BIN_FULL), Refusal.WRONG_FAILURE)


def test_a_failure_that_cannot_end_the_move_is_refused(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    refused(journal, VendFailed("B1", MoveFailure.PORT_EMPTY), Refusal.WRONG_FAILURE)
    refused(journal, VendFailed("B1", MoveFailure.BIN_FULL), Refusal.WRONG_FAILURE)


def test_an_unproven_take_closes_the_vend_for_audit_without_a_loan(journal: Journal) -> None:
    stock(journal, "B1", 4)
    vend_id = present(journal, "B1")
    journal.append(AuditFlagged(AuditReason.TAKEN_UNCONFIRMED, intent_id=vend_id))
    assert journal.intent(vend_id).outcome is Outcome.AUDIT
    assert journal.item("B1").place is Place.UNKNOWN
    assert journal.open_loans() == []
    assert journal.open_flags()[0].item_id == "B1"
    assert 4 in journal.free_slots()


def test_flagging_an_item_that_an_intent_moves_needs_that_intent(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    mismatch = AuditFlagged(AuditReason.INVENTORY_MISMATCH, item_id="B1")
    refused(journal, mismatch, Refusal.INTENT_OPEN)


def test_a_lent_item_cannot_be_flagged_into_the_machine(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    mismatch = AuditFlagged(AuditReason.INVENTORY_MISMATCH, item_id="B1")
    refused(journal, mismatch, Refusal.WRONG_PLACE)


def test_a_flagged_slot_is_not_used(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(AuditFlagged(AuditReason.UNEXPECTED_OCCUPANT, slot=4))
    journal.append(AuditFlagged(AuditReason.UNEXPECTED_OCCUPANT, slot=5))
    assert journal.item("B1").slot == 4  # a slot flag alone moves nothing
    refused(journal, VendStarted("B1", 4, "P1", "S1", 1), Refusal.SLOT_FLAGGED)
    refused(journal, ItemStocked("B2", uid("B2"), "T", 5), Refusal.SLOT_FLAGGED)
    assert 5 not in journal.free_slots()


def test_an_audit_locates_the_unknown_item_then_clears_the_flag(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(VendStarted("B1", 4, "P1", "S1", 1))
    failed = journal.append(VendFailed("B1", MoveFailure.JAM))
    refused(journal, AuditCleared(failed.uuid, "tech"), Refusal.ITEM_STILL_UNKNOWN)
    journal.append(ItemLocated("B1", Place.SLOT, 4))  # found in the flagged slot itself
    journal.append(AuditCleared(failed.uuid, "tech"))
    assert journal.open_flags() == []
    assert journal.flag(failed.uuid).cleared_by == "tech"
    assert journal.item_in_slot(4).item_id == "B1" and 4 not in journal.free_slots()
    refused(journal, AuditCleared(failed.uuid, "tech"), Refusal.FLAG_CLEARED)
    refused(journal, AuditCleared("no-such-flag", "tech"), Refusal.UNKNOWN_FLAG)


def test_only_unknown_items_are_located_and_only_into_free_places(journal: Journal) -> None:
    stock(journal, "B1", 4)
    stock(journal, "B2", 5)
    stock(journal, "B3", 6)
    refused(journal, ItemLocated("B1", Place.BIN), Refusal.WRONG_PLACE)
    journal.append(AuditFlagged(AuditReason.INVENTORY_MISMATCH, item_id="B1"))
    journal.append(AuditFlagged(AuditReason.INVENTORY_MISMATCH, item_id="B2"))
    refused(journal, ItemLocated("B1", Place.SLOT, 6), Refusal.SLOT_OCCUPIED)
    journal.append(ItemLocated("B1", Place.PICKER))
    refused(journal, ItemLocated("B2", Place.PICKER), Refusal.PLACE_OCCUPIED)
    assert consistency_problems(journal) == []


def test_unstocking_removes_and_restocking_returns(journal: Journal) -> None:
    stock(journal, "B1", 4)
    journal.append(ItemUnstocked("B1", UnstockReason.DAMAGED))
    assert journal.item("B1").place is Place.REMOVED and 4 in journal.free_slots()
    refused(journal, ItemUnstocked("B1", UnstockReason.DAMAGED), Refusal.WRONG_PLACE)
    stock(journal, "B1", 7)
    assert journal.item_in_slot(7).item_id == "B1"


def test_a_lost_item_is_written_off_and_its_flag_cleared(journal: Journal) -> None:
    stock(journal, "B1", 4)
    flagged = journal.append(AuditFlagged(AuditReason.INVENTORY_MISMATCH, item_id="B1"))
    journal.append(ItemUnstocked("B1", UnstockReason.LOST))
    journal.append(AuditCleared(flagged.uuid, "tech"))
    assert journal.open_flags() == [] and journal.item("B1").place is Place.REMOVED


def test_stock_refusals(journal: Journal) -> None:
    stock(journal, "B1", 4)
    lend(journal, "B1")
    refused(journal, ItemStocked("B1", uid("B1"), "T", 5), Refusal.ITEM_EXISTS)
    refused(journal, ItemStocked("B2", uid("B1"), "T", 5), Refusal.UID_IN_USE)
    refused(journal, ItemUnstocked("B1", UnstockReason.WITHDRAWN), Refusal.WRONG_PLACE)
    stock(journal, "B3", 6)
    journal.append(VendStarted("B3", 6, "P1", "S1", 1))
    refused(journal, ItemUnstocked("B3", UnstockReason.WITHDRAWN), Refusal.INTENT_OPEN)
