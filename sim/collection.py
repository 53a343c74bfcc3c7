"""The sample catalogue and the machine's demo collection chosen from it."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from drivers.carousel.geometry import REFERENCE_GEOMETRY, Geometry

OWNER_COUNTRY = "KR"
OWNER_ISIL = "111001"  # the demo library that owns the machine's books
FOREIGN_ISIL = "111002"  # another library of the federation


@dataclass(frozen=True)
class CatalogRow:
    """One title of the sample catalogue (sim/data/books.csv)."""

    book_id: int
    isbn13: str
    title: str
    authors: str
    year: int | None
    language: str
    ratings_count: int
    average_rating: float


@dataclass(frozen=True)
class DemoBook:
    """One physical copy in the machine: its barcode, its tag UID and its home slot."""

    item_id: str
    uid: bytes
    slot: int
    title: CatalogRow


@cache
def load_catalog() -> tuple[CatalogRow, ...]:
    """All 10,000 titles, most popular first."""
    text = resources.files("sim").joinpath("data/books.csv").read_text(encoding="utf-8")
    return tuple(_row(r) for r in csv.DictReader(text.splitlines()))


def _row(r: dict[str, str]) -> CatalogRow:
    return CatalogRow(
        book_id=int(r["book_id"]),
        isbn13=r["isbn13"],
        title=r["title"],
        authors=r["authors"],
        year=int(r["year"]) if r["year"] else None,
        language=r["language"],
        ratings_count=int(r["ratings_count"]),
        average_rating=float(r["average_rating"]),
    )


def item_barcode(serial: int) -> str:
    """Item barcode of the machine's nth copy (printable, fits the 16-byte tag field)."""
    return f"EM{serial:08d}"


def item_uid(serial: int) -> bytes:
    """Deterministic ISO 15693 UID (begins with 0xE0) of the nth copy's tag."""
    return bytes([0xE0, 0x04, 0x01, 0x50]) + serial.to_bytes(4, "big")


def selection_score(row: CatalogRow) -> float:
    """Popularity with a bonus for recent titles: what a subway-station collection favours."""
    recency = 0.0 if row.year is None else max(0.0, min(1.0, (row.year - 1950) / 70))
    return math.log10(max(row.ratings_count, 1)) + 0.8 * recency


def demo_collection(count: int = 960, geometry: Geometry = REFERENCE_GEOMETRY) -> list[DemoBook]:
    """`count` copies of the best-scoring titles, spread evenly so some slots stay free."""
    if not 0 <= count <= geometry.slot_count:
        raise ValueError(f"count {count} outside 0..{geometry.slot_count}")
    titles = sorted(load_catalog(), key=selection_score, reverse=True)[:count]
    slots = _spread(count, geometry.slot_count)
    return [
        DemoBook(item_id=item_barcode(i + 1), uid=item_uid(i + 1), slot=slot, title=row)
        for i, (row, slot) in enumerate(zip(titles, slots))
    ]


def _spread(count: int, slot_count: int) -> list[int]:
    """`count` distinct slots spread over 0..slot_count-1."""
    return [i * slot_count // count for i in range(count)] if count else []
