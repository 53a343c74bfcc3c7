"""The sample catalogue, the Korean books, and the machine's demo collection chosen from them."""

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
DEMO_COPIES = 960  # the demo collection's size: 40 of the reference drum's slots stay free
LITERATURE = "800"  # KDC main class the sample catalogue's titles are filed under
KOREAN_FIRST_ID = 10001  # book_id of the first row of korean-books.csv (then in file order)
SPARE_COPIES = 40  # copies on the library's own shelves, never in the machine: books to load
SPARE_FIRST_SERIAL = 100001  # item barcode serial of the first spare copy


@dataclass(frozen=True)
class CatalogRow:
    """One title of the sample catalogue (sim/data/books.csv) or of the Korean books."""

    book_id: int
    isbn13: str
    title: str
    authors: str
    year: int | None
    language: str
    ratings_count: int
    average_rating: float | None  # None: not known (the Korean books)
    subject: str = LITERATURE  # KDC main class, 3 digits ("000".."900")


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


@cache
def load_korean() -> tuple[CatalogRow, ...]:
    """The Korean books (sim/data/korean-books.csv), book ids from KOREAN_FIRST_ID in file order."""
    text = resources.files("sim").joinpath("data/korean-books.csv").read_text(encoding="utf-8")
    return tuple(_korean_row(KOREAN_FIRST_ID + n, r)
                 for n, r in enumerate(csv.DictReader(text.splitlines())))


def _korean_row(book_id: int, r: dict[str, str]) -> CatalogRow:
    return CatalogRow(
        book_id=book_id, isbn13="", title=r["title"], authors=r["authors"],
        year=int(r["year"]), language="kor", ratings_count=ratings_for(float(r["popularity"])),
        average_rating=None, subject=r["subject"],
    )


@cache
def _log_ratings_range() -> tuple[float, float]:
    """log10 of the fewest and the most ratings of a sample-catalogue title."""
    logs = [math.log10(max(row.ratings_count, 1)) for row in load_catalog()]
    return min(logs), max(logs)


def popularity(row: CatalogRow) -> float:
    """0..1: log10(ratings_count) scaled over the sample catalogue (its least to its most rated)."""
    low, high = _log_ratings_range()
    value = (math.log10(max(row.ratings_count, 1)) - low) / (high - low)
    return max(0.0, min(1.0, value))


def ratings_for(value: float) -> int:
    """The ratings count whose popularity() is `value` (0..1): how a Korean book's weight is set."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"popularity {value!r} outside 0..1")
    low, high = _log_ratings_range()
    return round(10 ** (low + value * (high - low)))


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


def demo_collection(count: int = DEMO_COPIES,
                    geometry: Geometry = REFERENCE_GEOMETRY) -> list[DemoBook]:
    """`count` copies spread over the drum: the best catalogue titles, then the Korean books."""
    if not 0 <= count <= geometry.slot_count:
        raise ValueError(f"count {count} outside 0..{geometry.slot_count}")
    korean = _korean_picks(count)
    titles = _catalog_picks(count - len(korean)) + korean
    slots = _spread(count, geometry.slot_count)
    return [
        DemoBook(item_id=item_barcode(i + 1), uid=item_uid(i + 1), slot=slot, title=row)
        for i, (row, slot) in enumerate(zip(titles, slots))
    ]


def spare_copies(count: int = SPARE_COPIES) -> list[DemoBook]:
    """Copies the library owns that no demo collection holds (titles ranked just below the
    collection's): what a technician loads into the machine. Their `slot` is -1: none yet."""
    titles = sorted(load_catalog(), key=selection_score, reverse=True)[DEMO_COPIES:]
    return [DemoBook(item_id=item_barcode(SPARE_FIRST_SERIAL + i),
                     uid=item_uid(SPARE_FIRST_SERIAL + i), slot=-1, title=row)
            for i, row in enumerate(titles[:count])]


def _korean_picks(count: int) -> list[CatalogRow]:
    """Every Korean book in a collection of DEMO_COPIES or more; a smaller one, its best share."""
    books = load_korean()
    share = min(len(books), count * len(books) // DEMO_COPIES)
    best = set(sorted(books, key=selection_score, reverse=True)[:share])
    return [row for row in books if row in best]  # in file order: stable barcodes


def _catalog_picks(count: int) -> list[CatalogRow]:
    """The `count` best-scoring titles of the sample catalogue, best first."""
    return sorted(load_catalog(), key=selection_score, reverse=True)[:count]


def _spread(count: int, slot_count: int) -> list[int]:
    """`count` distinct slots spread over 0..slot_count-1."""
    return [i * slot_count // count for i in range(count)] if count else []
