"""The crash campaigns' look (tests/crash_check.py) on a journal file and a made-up world: it
finds each kind of problem it names, and none where journal, world and library agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crash_check import AFI_ON_LOAN, AFI_SECURED, inspect
from kiosk.journal import AuditFlagged, AuditReason, Journal, VendStarted
from test_journal_support import ManualClock, lend, stock

PATRON = "P1"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """Three books in slots 0, 1 and 2."""
    with Journal.open(tmp_path / "journal.db", slot_count=20, clock=ManualClock()) as j:
        for slot, item_id in enumerate(("B1", "B2", "B3")):
            stock(j, item_id, slot)
        yield j


def book(item_id: str, afi: int = AFI_SECURED) -> dict:
    """A book as GET /world lists it."""
    return {"item_id": item_id, "afi": afi}


def world(slots: dict[int, str], out: tuple[str, ...] = (), afi: dict | None = None) -> dict:
    """The ground truth: books in slots and out with patrons, doors shut, lamps off."""
    afi = afi or {}
    return {"slots": {str(s): book(i, afi.get(i, AFI_SECURED)) for s, i in slots.items()},
            "out": [book(i, afi.get(i, AFI_ON_LOAN)) for i in out],
            "pickup_port": None, "return_port": None, "picker": None, "return_opening": None,
            "overflow_bin": [],
            "sensors": {"pickup_door_closed": True, "return_shutter_closed": True},
            "lamps": {"pickup_lamp": False, "return_lamp": False}}


def library_loan(item_id: str, returned: bool = False) -> dict:
    """A loan as the library's admin API reports it."""
    return {"item_id": item_id, "patron": PATRON, "returned_at": "x" if returned else None}


def look(journal: Journal, truth: dict, loans: list[dict] | None = None) -> dict[str, list]:
    """The problems found, by kind (only the kinds with any)."""
    found = inspect(journal.path, truth, loans)
    return {kind: problems for kind, problems in found.problems.items() if problems}


def test_a_journal_that_agrees_with_the_world_and_the_library_has_no_problem(journal):
    lend(journal, "B2", PATRON)
    assert look(journal, world({0: "B1", 2: "B3"}, out=("B2",)), [library_loan("B2")]) == {}


def test_a_loan_of_a_book_still_in_its_slot_is_a_phantom_loan(journal):
    lend(journal, "B2", PATRON)
    found = look(journal, world({0: "B1", 1: "B2", 2: "B3"}, afi={"B2": AFI_ON_LOAN}))
    assert list(found) == ["phantom_loans"]


def test_a_book_out_without_a_loan_is_a_lost_loan(journal):
    found = look(journal, world({0: "B1", 2: "B3"}, out=("B2",), afi={"B2": AFI_SECURED}))
    assert list(found) == ["lost_loans"]


def test_a_book_in_another_slot_is_unaccounted_unless_flagged(journal):
    assert list(look(journal, world({0: "B1", 1: "B3", 5: "B2"}))) == ["unaccounted"]
    journal.append(AuditFlagged(reason=AuditReason.ITEM_MISSING, item_id="B2"))
    journal.append(AuditFlagged(reason=AuditReason.ITEM_MISSING, item_id="B3"))
    assert look(journal, world({0: "B1", 1: "B3", 5: "B2"})) == {}


def test_a_book_in_the_machine_the_journal_does_not_know_is_unaccounted(journal):
    assert list(look(journal, world({0: "B1", 1: "B2", 2: "B3", 7: "X9"}))) == ["unaccounted"]


def test_an_intent_left_open_without_a_flag_is_found(journal):
    journal.append(VendStarted("B1", 0, PATRON, "S1", 1))
    found = look(journal, world({0: "B1", 1: "B2", 2: "B3"}))
    assert list(found) == ["unflagged_intents"]


def test_a_wrong_security_bit_is_found(journal):
    found = look(journal, world({0: "B1", 1: "B2", 2: "B3"}, afi={"B3": AFI_ON_LOAN}))
    assert list(found) == ["security"]


def test_the_library_must_have_exactly_the_journals_loans(journal):
    lend(journal, "B2", PATRON)
    truth = world({0: "B1", 2: "B3"}, out=("B2",))
    assert list(look(journal, truth, [])) == ["library"]  # a loan the library never got
    assert list(look(journal, truth, [library_loan("B2"), library_loan("B1")])) == [
        "phantom_loans", "library"]  # a loan only the library has (lent once more there)
    assert list(look(journal, truth, [library_loan("B2"), library_loan("B2", returned=True)])
                ) == ["library"]  # lent twice at the library, once in the journal


def test_a_door_left_open_at_rest_is_found(journal):
    truth = world({0: "B1", 1: "B2", 2: "B3"})
    truth["sensors"]["pickup_door_closed"] = False
    assert list(look(journal, truth)) == ["unaccounted"]
