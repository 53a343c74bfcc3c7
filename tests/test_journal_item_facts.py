"""An item's catalogue facts (year, subject, popularity): stocked, read back, checked."""

from __future__ import annotations

import json

import pytest

from kiosk.journal import (
    EventKind,
    ItemStocked,
    ItemUnstocked,
    Journal,
    PayloadError,
    Place,
    decode_payload,
)
from kiosk.journal.enums import UnstockReason
from test_journal_support import clock, journal, stock, uid  # noqa: F401


def stocked(item_id: str, slot: int, **facts: object) -> ItemStocked:
    """An ItemStocked of `item_id` with the given facts."""
    return ItemStocked(item_id, uid(item_id), f"Title of {item_id}", slot, **facts)


def test_the_facts_of_a_stocked_item_are_read_back(journal: Journal) -> None:
    journal.append(stocked("B1", 0, year=2007, subject="800", popularity=0.95))
    item = journal.item("B1")
    assert (item.year, item.subject, item.popularity) == (2007, "800", 0.95)
    assert [i.year for i in journal.items(Place.SLOT)] == [2007]
    assert journal.item_in_slot(0) == item


def test_an_item_without_facts_reads_none(journal: Journal) -> None:
    stock(journal, "B1", 0)
    item = journal.item("B1")
    assert (item.year, item.subject, item.popularity) == (None, None, None)


def test_an_item_stocked_again_takes_the_new_facts(journal: Journal) -> None:
    journal.append(stocked("B1", 0, year=1994, subject="800", popularity=0.5))
    journal.append(ItemUnstocked("B1", UnstockReason.DAMAGED))
    journal.append(stocked("B1", 3, year=2012, subject="900"))
    item = journal.item("B1")
    assert (item.place, item.slot, item.year, item.subject, item.popularity) == (
        Place.SLOT, 3, 2012, "900", None)


@pytest.mark.parametrize("facts", [
    {"year": 2101}, {"year": -3001}, {"year": 2007.0}, {"year": True},
    {"subject": ""}, {"subject": " "}, {"subject": "x" * 17}, {"subject": "8\n00"},
    {"popularity": 1.01}, {"popularity": -0.01}, {"popularity": float("nan")},
    {"popularity": "0.5"},
])
def test_a_fact_out_of_range_is_refused(facts: dict) -> None:
    with pytest.raises(PayloadError, match="ItemStocked"):
        stocked("B1", 0, **facts)


@pytest.mark.parametrize("facts", [
    {"year": -3000, "subject": "x" * 16, "popularity": 0.0},
    {"year": 2100, "subject": "문학", "popularity": 1.0},
])
def test_the_ends_of_each_range_are_accepted(journal: Journal, facts: dict) -> None:
    journal.append(stocked("B1", 0, **facts))
    item = journal.item("B1")
    assert (item.year, item.subject, item.popularity) == tuple(facts.values())


def test_a_stored_payload_with_a_bad_fact_does_not_decode() -> None:
    good = {"item_id": "B1", "uid": uid("B1"), "title": "T", "slot": 0, "authors": None,
            "year": 2007, "subject": "800", "popularity": 0.5}
    assert decode_payload(EventKind.ITEM_STOCKED, good).popularity == 0.5
    older = {k: good[k] for k in ("item_id", "uid", "title", "slot", "authors")}
    assert decode_payload(EventKind.ITEM_STOCKED, older).year is None  # before the facts
    with pytest.raises(PayloadError, match="popularity"):
        decode_payload(EventKind.ITEM_STOCKED, json.loads(json.dumps({**good, "popularity": 1.5})))

