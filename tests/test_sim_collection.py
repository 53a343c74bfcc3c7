"""The demo collection with the Korean books, and the loading list's catalogue facts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kiosk import control
from sim.app import LOADING_LIST_COLUMNS, write_loading_list
from sim.collection import (
    DEMO_COPIES,
    KOREAN_FIRST_ID,
    LITERATURE,
    demo_collection,
    item_barcode,
    load_catalog,
    load_korean,
    popularity,
    ratings_for,
    selection_score,
)
from sim.world import World

KDC_MAIN_CLASSES = {f"{n}00" for n in range(10)}
DATA = Path(__file__).resolve().parent.parent / "sim" / "data" / "korean-books.csv"


def korean_file() -> list[dict[str, str]]:
    """The rows of sim/data/korean-books.csv as written."""
    with DATA.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def loading_list(tmp_path: Path, collection=None) -> list[dict[str, str]]:
    """The loading list the simulator writes for a new drum of the demo collection."""
    collection = demo_collection() if collection is None else collection
    world = World()
    world.load(collection)
    path = tmp_path / "loading-list.csv"
    write_loading_list(path, world, collection)
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_korean_books_file_is_well_formed() -> None:
    rows = korean_file()
    assert 90 <= len(rows) <= 110
    assert len({(r["title"], r["authors"]) for r in rows}) == len(rows)
    for r in rows:
        assert any("\uac00" <= c <= "\ud7a3" for c in r["title"] + r["authors"]), r
        assert 1600 <= int(r["year"]) <= 2025, r
        assert r["subject"] in KDC_MAIN_CLASSES, r
        assert 0.0 <= float(r["popularity"]) <= 1.0 and len(r["popularity"]) <= 4, r


def test_korean_rows_are_catalogue_rows_after_the_sample_catalogue() -> None:
    books, rows = load_korean(), korean_file()
    assert [b.book_id for b in books] == list(range(KOREAN_FIRST_ID, KOREAN_FIRST_ID + len(rows)))
    assert max(row.book_id for row in load_catalog()) < KOREAN_FIRST_ID
    for book, r in zip(books, rows):
        assert (book.title, book.authors, book.year, book.subject) == (
            r["title"], r["authors"], int(r["year"]), r["subject"])
        assert (book.isbn13, book.language, book.average_rating) == ("", "kor", None)
        assert round(popularity(book), 3) == float(r["popularity"])  # ratings_count agrees


def test_popularity_spans_the_sample_catalogue_and_ratings_for_inverts_it() -> None:
    values = [popularity(row) for row in load_catalog()]
    assert min(values) == 0.0 and max(values) == 1.0
    assert all(row.subject == LITERATURE for row in load_catalog())
    top = load_catalog()[0]
    assert ratings_for(1.0) == top.ratings_count
    with pytest.raises(ValueError):
        ratings_for(1.5)


def test_the_demo_collection_has_every_korean_book_once_at_the_end() -> None:
    collection = demo_collection()
    korean = load_korean()
    assert len(collection) == DEMO_COPIES
    assert [b.title for b in collection[-len(korean):]] == list(korean)
    assert len({b.title.book_id for b in collection}) == DEMO_COPIES
    best = sorted(load_catalog(), key=selection_score, reverse=True)[:DEMO_COPIES - len(korean)]
    assert [b.title for b in collection[:len(best)]] == best  # EM00000001.. as before
    assert [b.item_id for b in collection] == [item_barcode(n) for n in range(1, 961)]
    assert collection[0].title.title.startswith("The Hunger Games")


def test_the_slot_layout_does_not_depend_on_the_titles() -> None:
    slots = [b.slot for b in demo_collection()]
    assert len(set(slots)) == DEMO_COPIES and slots == sorted(slots)
    assert slots == [n * 1000 // DEMO_COPIES for n in range(DEMO_COPIES)]


@pytest.mark.parametrize("count", [0, 1, 3, 24, 500])
def test_a_smaller_collection_has_its_share_of_korean_books(count: int) -> None:
    collection = demo_collection(count)
    korean = [b for b in collection if b.title.language == "kor"]
    assert len(collection) == count
    assert len(korean) == count * len(load_korean()) // DEMO_COPIES
    assert collection[len(collection) - len(korean):] == korean


def test_the_loading_list_gives_every_book_its_catalogue_facts(tmp_path: Path) -> None:
    rows = loading_list(tmp_path)
    assert list(rows[0]) == list(LOADING_LIST_COLUMNS) and len(rows) == DEMO_COPIES
    for row in rows:
        assert row["year"] == "" or -3000 <= int(row["year"]) <= 2100, row
        assert row["subject"] in KDC_MAIN_CLASSES, row
        assert 0.0 <= float(row["popularity"]) <= 1.0, row
    by_title = {r["title"]: r for r in rows}
    for r in korean_file():
        facts = by_title[r["title"]]
        assert (facts["authors"], facts["year"], facts["subject"]) == (
            r["authors"], r["year"], r["subject"])
        assert float(facts["popularity"]) == float(r["popularity"])


def test_the_controller_accepts_every_row_of_the_loading_list(tmp_path: Path) -> None:
    stocked = [control._stocked(n, row) for n, row in enumerate(loading_list(tmp_path), 1)]
    vegetarian = next(s for s in stocked if s.title == "채식주의자")
    assert (vegetarian.authors, vegetarian.year, vegetarian.subject, vegetarian.popularity) == (
        "한강", 2007, "800", 0.95)


def test_a_copy_the_collection_does_not_describe_has_no_facts(tmp_path: Path) -> None:
    collection = demo_collection(2)
    world = World()
    world.load(collection)
    world.books[collection[0].uid].title = "Another title"  # a world from an older collection
    path = tmp_path / "loading-list.csv"
    write_loading_list(path, world, collection)
    with path.open(encoding="utf-8", newline="") as f:
        first, second = list(csv.DictReader(f))
    assert (first["title"], first["authors"], first["year"], first["popularity"]) == (
        "Another title", "", "", "")
    assert second["authors"] == collection[1].title.authors and second["popularity"]
