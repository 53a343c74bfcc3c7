"""The shelf on a real journal: a cart add checks one book exactly as the book list shows it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk import patron
from kiosk.journal import AuditFlagged, AuditReason, HoldPlaced, ItemStocked, Journal
from kiosk.policy import PolicyConfig

MEMBER, OTHER = "M1", "M2"


@pytest.fixture
def ctl(tmp_path) -> SimpleNamespace:
    """A controller stand-in: books A-F in slots 0-5; C held for M1, D held for M2, slot 4 (E)
    flagged for audit; F missing (its flag makes it unknown: in no slot)."""
    journal = Journal.open(tmp_path / "journal.db", slot_count=10)
    journal.append_many([ItemStocked(item_id=i, uid=f"E0040100000000{n:02X}", title=f"Book {i}",
                                     authors="Kim" if i in "AB" else None, slot=n)
                         for n, i in enumerate("ABCDEF")])
    journal.append_many([HoldPlaced(item_id="C", patron_id=MEMBER),
                         HoldPlaced(item_id="D", patron_id=OTHER),
                         AuditFlagged(reason=AuditReason.MOVE_JAMMED, slot=4),
                         AuditFlagged(reason=AuditReason.ITEM_MISSING, item_id="F")])
    return SimpleNamespace(journal=journal, flows=SimpleNamespace(session=None),
                           config=SimpleNamespace(policy=PolicyConfig()))


@pytest.mark.parametrize("member", [MEMBER, OTHER, None])
def test_one_book_is_on_the_shelf_exactly_when_the_book_list_shows_it(ctl, member):
    ctl.flows.session = None if member is None else SimpleNamespace(member=member)
    listed = {book["item_id"] for book in patron.shelf(ctl)}
    assert {i for i in "ABCDEFZ" if patron.on_shelf(ctl, i)} == listed
    assert "E" not in listed and "Z" not in listed  # a flagged slot; a book never stocked


def test_a_hold_shows_only_to_its_patron_and_a_flagged_slot_to_nobody(ctl):
    ctl.flows.session = SimpleNamespace(member=MEMBER)
    books = {book["item_id"]: book for book in patron.shelf(ctl)}
    assert sorted(books) == ["A", "B", "C"]
    assert books["C"]["held_for_you"] and not books["A"]["held_for_you"]
    assert [b["item_id"] for b in patron.shelf(ctl, "kim")] == ["A", "B"]
