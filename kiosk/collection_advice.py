"""`kiosk collection suggest`: which titles to add and which copies to withdraw, with reasons.

Pure: it gets the machine's items, their loans and idleness (kiosk/usage.py reads them) and
the librarian's catalogue of candidate titles. Every suggestion carries reason codes, the
numbers behind them and one English sentence, so a librarian can check it by hand.

Withdraw (copies on a shelf, not lent in the last `idle_days`), ranked by
    idle share (days idle / days of the period, at most 1) + (1 - popularity) + 0.5 x age,
age being 0 for a book up to 10 years old rising to 1 at 50 years. Reasons: never_lent or
idle; low_popularity (the lowest quarter of this machine), old (older than three quarters of
it); extra_copy (another copy of the title was lent, this one was not).
Add: catalogue titles not in the machine, ranked by popularity + 0.3 x recency (1 for this
year, 0 at 30 years old). Reasons: popular (above the machine's median), recent (the last
RECENT_YEARS years), else best_left. More copies: titles of this machine lent at least
TURNOVER_LOANS times per copy and at least three times the machine's mean (high_turnover).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.journal import Item, Place
from kiosk.journal.events import YEAR_RANGE

RECENCY_WEIGHT = 0.3
RECENCY_YEARS = 30
RECENT_YEARS = 5
AGE_WEIGHT = 0.5
TURNOVER_LOANS = 3.0
# The demo's popularity scale (sim/data/README.md): log10 of a ratings count between the
# sample catalogue's fewest and most rated titles, so a books.csv row can serve as a catalogue.
RATINGS_RANGE = (2716, 4780653)
COLUMNS = ("item_id", "isbn13", "isbn", "title", "authors", "year", "popularity", "ratings_count")


@dataclass(frozen=True)
class CatalogueTitle:
    """One candidate title of the librarian's catalogue."""

    title: str
    authors: str | None
    year: int | None
    popularity: float | None
    ident: str | None = None  # its item id or ISBN, when the catalogue gives one


@dataclass(frozen=True)
class Copy:
    """One copy in the machine and what the journal says of its use."""

    item: Item
    loans: int  # in the period
    idle_days: int  # since its last loan, or since it was stocked
    never_lent: bool


def parse_catalogue(rows: Sequence[Any]) -> list[CatalogueTitle]:
    """Catalogue rows (CSV dicts) checked; ValueError naming the row of the first bad one."""
    return [_title(number, row) for number, row in enumerate(rows, 1)]


def _title(number: int, row: Any) -> CatalogueTitle:
    if not isinstance(row, dict):
        raise ValueError(f"catalogue row {number} is not an object")
    text = {key: str(row.get(key) or "").strip() for key in COLUMNS}
    if not text["title"]:
        raise ValueError(f"catalogue row {number}: no title")
    return CatalogueTitle(title=text["title"], authors=text["authors"] or None,
                          year=_year(number, text["year"]),
                          popularity=_popularity(number, text["popularity"], text["ratings_count"]),
                          ident=text["item_id"] or text["isbn13"] or text["isbn"] or None)


def _year(number: int, text: str) -> int | None:
    if not text:
        return None
    low, high = YEAR_RANGE
    try:
        year = int(float(text)) if text.endswith(".0") else int(text)
    except ValueError:
        year = None
    if year is None or not low <= year <= high:
        raise ValueError(f"catalogue row {number}: year {text!r} is not a whole number in "
                         f"{low}..{high}")
    return year


def _popularity(number: int, popularity: str, ratings: str) -> float | None:
    if popularity:
        try:
            value = float(popularity)
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"catalogue row {number}: popularity {popularity!r} is not a "
                             "number in 0..1")
        return value
    if ratings:
        if not ratings.isdecimal():
            raise ValueError(f"catalogue row {number}: ratings_count {ratings!r} is not a "
                             "whole number")
        return ratings_popularity(int(ratings))
    return None


def ratings_popularity(ratings: int) -> float:
    """A ratings count on the loading lists' 0..1 popularity scale."""
    low, high = (math.log10(n) for n in RATINGS_RANGE)
    return round(max(0.0, min(1.0, (math.log10(max(ratings, 1)) - low) / (high - low))), 3)


def normal(text: str | None) -> str:
    """Title or authors folded for matching: case and white space ignored."""
    return " ".join((text or "").casefold().split())


def suggest(copies: Sequence[Copy], catalogue: Sequence[CatalogueTitle], count: int, *,
            period_days: float, idle_days: int, now: datetime) -> dict[str, Any]:
    """Up to `count` titles to add, titles to have more copies of, and copies to withdraw,
    best first, each with its reasons."""
    machine = _MachineFacts(copies, now.year)
    return {"add": _adds(catalogue, machine, count, now.year),
            "more_copies": _more_copies(copies, period_days)[:count],
            "withdraw": _withdrawals(copies, machine, count, period_days, idle_days, now.year),
            "catalogue_titles": len(catalogue),
            "without_popularity": sum(t.popularity is None for t in catalogue)}


class _MachineFacts:
    """The machine's distributions a reason compares with."""

    def __init__(self, copies: Sequence[Copy], year: int) -> None:
        self.popularity = sorted(c.item.popularity for c in copies if c.item.popularity is not None)
        self.years = sorted(c.item.year for c in copies if c.item.year is not None)
        self.titles = {(normal(c.item.title), normal(c.item.authors)) for c in copies
                       if c.item.place is not Place.REMOVED}
        self.bare_titles = {t for t, _ in self.titles}
        self.ids = {c.item.item_id for c in copies}

    def share_below(self, value: float) -> float:
        """The share of this machine's books less popular than `value`."""
        if not self.popularity:
            return 0.0
        return bisect_left(self.popularity, value) / len(self.popularity)

    def share_newer(self, year: int) -> float:
        """The share of this machine's books published after `year`."""
        if not self.years:
            return 0.0
        return 1 - bisect_left(self.years, year + 1) / len(self.years)

    def holds(self, title: CatalogueTitle) -> bool:
        """Whether the machine has this title (by id, by title and authors, or by title alone
        when the catalogue names no authors)."""
        if title.ident and title.ident in self.ids:
            return True
        if title.authors is None:
            return normal(title.title) in self.bare_titles
        return (normal(title.title), normal(title.authors)) in self.titles


def _withdrawals(copies: Sequence[Copy], machine: _MachineFacts, count: int,
                 period_days: float, idle_days: int, year: int) -> list[dict]:
    lent_titles = {normal(c.item.title) for c in copies if c.loans}
    rows = []
    for copy in copies:
        item = copy.item
        if item.place is not Place.SLOT or copy.loans or copy.idle_days < idle_days:
            continue
        age = 0.0 if item.year is None else min(1.0, max(0.0, (year - item.year - 10) / 40))
        score = (min(1.0, copy.idle_days / period_days) + 1 - (item.popularity or 0.5)
                 + AGE_WEIGHT * age)
        reasons = [("never_lent", f"never lent in the {copy.idle_days} days it has been here")
                   if copy.never_lent else ("idle", f"not lent for {copy.idle_days} days")]
        if item.popularity is not None and machine.share_below(item.popularity) < 0.25:
            reasons.append(("low_popularity", f"popularity {item.popularity:.2f}, in the lowest "
                            "quarter of this machine"))
        if item.year is not None and machine.share_newer(item.year) > 0.75:
            reasons.append(("old", f"published {item.year}, older than three quarters of "
                            "this machine"))
        if normal(item.title) in lent_titles:
            reasons.append(("extra_copy", "another copy of this title was lent, this one not"))
        rows.append({"item_id": item.item_id, "slot": item.slot, "title": item.title,
                     "authors": item.authors, "year": item.year, "popularity": item.popularity,
                     "idle_days": copy.idle_days, "score": round(score, 3), **_why(reasons)})
    return sorted(rows, key=lambda r: (-r["score"], r["item_id"]))[:count]


def _adds(catalogue: Sequence[CatalogueTitle], machine: _MachineFacts, count: int,
          year: int) -> list[dict]:
    median = machine.popularity[len(machine.popularity) // 2] if machine.popularity else 0.5
    seen: set[tuple[str, str]] = set()
    candidates = []
    for title in catalogue:
        key = (normal(title.title), normal(title.authors))
        if title.popularity is None or key in seen or machine.holds(title):
            continue
        seen.add(key)
        recency = 0.0 if title.year is None else min(1.0, max(
            0.0, 1 - (year - title.year) / RECENCY_YEARS))
        reasons = []
        if title.popularity >= median:
            share = round(100 * machine.share_below(title.popularity))
            reasons.append(("popular", f"popularity {title.popularity:.2f}, above {share}% of "
                            "this machine's books"))
        if title.year is not None and title.year >= year - RECENT_YEARS:
            reasons.append(("recent", f"published {title.year}"))
        if not reasons:
            reasons.append(("best_left", f"popularity {title.popularity:.2f}, the best the "
                            "catalogue has left"))
        candidates.append({"title": title.title, "authors": title.authors, "year": title.year,
                           "popularity": title.popularity, "ident": title.ident,
                           "score": round(title.popularity + RECENCY_WEIGHT * recency, 3),
                           **_why(reasons)})
    candidates.sort(key=lambda r: (-r["score"], r["title"]))
    return candidates[:count]


def _more_copies(copies: Sequence[Copy], period_days: float) -> list[dict]:
    """Titles here lent so often per copy that another copy would be borrowed too."""
    titles: dict[tuple[str, str], list[Copy]] = {}
    for copy in copies:
        if copy.item.place is not Place.REMOVED:
            titles.setdefault((normal(copy.item.title), normal(copy.item.authors)), []).append(copy)
    if not titles:
        return []
    turnover = {key: sum(c.loans for c in group) / len(group) for key, group in titles.items()}
    mean = sum(turnover.values()) / len(turnover)
    rows = []
    for key, value in turnover.items():
        if value >= TURNOVER_LOANS and value >= 3 * mean:
            item = titles[key][0].item
            text = (f"lent {value:.1f} times per copy in {period_days:.0f} days "
                    f"(this machine's mean {mean:.2f})")
            rows.append({"title": item.title, "authors": item.authors, "year": item.year,
                         "popularity": item.popularity, "ident": item.item_id,
                         "score": round(value, 3), **_why([("high_turnover", text)])})
    return sorted(rows, key=lambda r: (-r["score"], r["title"]))


def _why(reasons: list[tuple[str, str]]) -> dict[str, Any]:
    sentence = "; ".join(text for _, text in reasons)
    return {"reasons": [code for code, _ in reasons], "why": sentence[:1].upper() + sentence[1:]}


def copies_of(items: Sequence[Item], loans: Mapping[str, int], last_lent: Mapping[str, datetime],
              stocked: Mapping[str, datetime], now: datetime) -> list[Copy]:
    """The machine's copies (not removed) with their loans and days idle at `now`."""
    copies = []
    for item in items:
        if item.place is Place.REMOVED:
            continue
        since = last_lent.get(item.item_id) or stocked.get(item.item_id) or now
        copies.append(Copy(item, loans.get(item.item_id, 0), max(0, (now - since).days),
                           item.item_id not in last_lent))
    return copies
