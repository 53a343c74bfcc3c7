"""Planner, pure and without I/O: the order to fetch a cart's books, the slot for a
returned book, and which chosen book to start fetching while the patron browses.

Costs use the reference timing model (drivers.carousel.geometry.Timing). A FETCH of
slot s with the picker at p costs travel(p -> s) + handle + travel(s -> pickup port at
s's column) + handle, and leaves the picker at (pickup_level, column of s). The pickup
port holds one book, so a cart is fetched one book at a time; door and patron time is
the same for every order and is left out of the order's cost.

Order search: exact, by Held-Karp dynamic programming over the cart's subsets (the
cheapest way to fetch each subset ending with each of its books), n^2 * 2^n additions for
n books. EXACT_LIMIT is the largest cart it plans on the controller's loop in a few
milliseconds (bench/pick_order.py: planning ms per size, and the DP against every
permutation); `[policy] max_loans`, which bounds a cart, may not exceed it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from operator import add
from typing import NamedTuple

from drivers.carousel.geometry import Geometry, Timing

Position = tuple[int, int]  # (level, column at the mast), as Timing.travel_time takes it

# The most books fetch_order plans (exactly); bounds [policy] max_loans (kiosk/policy.py).
EXACT_LIMIT = 10
# Fetches a popular title can expect before night-time re-slotting moves it again.
POPULAR_FETCHES = 3.0
INFINITY = float("inf")


class FetchPlan(NamedTuple):
    """An order to fetch slots in, and its mechanical seconds."""

    order: tuple[int, ...]
    seconds: float


def fetch_seconds(
    picker_at: Position, slot: int, geometry: Geometry, timing: Timing
) -> tuple[float, Position]:
    """Seconds of one FETCH of `slot`, and where the picker stands afterwards."""
    level, column = geometry.locate(slot)
    port = (geometry.pickup_level, column)
    seconds = (
        timing.travel_time(picker_at, (level, column), geometry)
        + timing.handle
        + timing.travel_time((level, column), port, geometry)
        + timing.handle
    )
    return seconds, port


def order_seconds(
    picker_at: Position, order: Sequence[int], geometry: Geometry, timing: Timing
) -> float:
    """Seconds to fetch `order` one after another, starting from `picker_at`."""
    total, at = 0.0, picker_at
    for slot in order:
        seconds, at = fetch_seconds(at, slot, geometry, timing)
        total += seconds
    return total


def fetch_order(
    picker_at: Position, slots: Collection[int], geometry: Geometry, timing: Timing
) -> FetchPlan:
    """The quickest order to fetch `slots` in (at most EXACT_LIMIT of them)."""
    ordered = sorted(slots)
    if len(set(ordered)) != len(ordered):
        raise ValueError(f"duplicate slots in {ordered}")
    if len(ordered) > EXACT_LIMIT:
        raise ValueError(f"a cart of {len(ordered)} books is more than the planner's "
                         f"{EXACT_LIMIT} (EXACT_LIMIT, the most [policy] max_loans allows)")
    costs = _CostTable(picker_at, ordered, geometry, timing)
    best = _held_karp(costs)
    return FetchPlan(tuple(ordered[i] for i in best), costs.total(best))


class _CostTable:
    """FETCH seconds from the start and between every pair of the cart's slots."""

    def __init__(self, start: Position, slots: Sequence[int], g: Geometry, t: Timing) -> None:
        self.first = [fetch_seconds(start, s, g, t)[0] for s in slots]
        ends = [fetch_seconds(start, s, g, t)[1] for s in slots]
        self.next = [[fetch_seconds(end, s, g, t)[0] for s in slots] for end in ends]

    def total(self, order: Sequence[int]) -> float:
        """Seconds of an order of indices."""
        if not order:
            return 0.0
        steps = zip(order, order[1:])
        return self.first[order[0]] + sum(self.next[a][b] for a, b in steps)


def _held_karp(costs: _CostTable) -> tuple[int, ...]:
    """The cheapest order of indices: best[mask][j] is the least seconds to fetch the books of
    `mask` ending with book j (infinite when j is not in it)."""
    n = len(costs.first)
    if n == 0:
        return ()
    into = [[costs.next[i][j] for i in range(n)] for j in range(n)]  # into[j][i]: i, then j
    bits = [1 << j for j in range(n)]
    best = [[INFINITY] * n for _ in range(1 << n)]
    for j, bit in enumerate(bits):
        best[bit][j] = costs.first[j]
    for mask in range(3, 1 << n):
        if mask & (mask - 1):  # two books or more: the last one came after one of the others
            best[mask] = [min(map(add, best[mask ^ bit], row)) if mask & bit else INFINITY
                          for bit, row in zip(bits, into)]
    return _walk_back(best, into, bits)


def _walk_back(best: list[list[float]], into: list[list[float]],
               bits: list[int]) -> tuple[int, ...]:
    """The order behind the full cart's least seconds, read back from the table."""
    mask = len(best) - 1
    seconds = min(best[mask])
    last = best[mask].index(seconds)
    order = [last]
    while mask != bits[last]:
        mask ^= bits[last]
        # The sum that gave `seconds` is recomputed bit for bit: exact equality holds.
        last = next(i for i, s in enumerate(best[mask]) if s + into[last][i] == seconds)
        seconds = best[mask][last]
        order.append(last)
    return tuple(reversed(order))


def estimate_vend_seconds(
    picker_at: Position, slots: Collection[int], geometry: Geometry, timing: Timing
) -> float:
    """Mechanical seconds to vend a cart: best FETCH order plus a door open and close per book."""
    # The patron's own time at the door is not included.
    return fetch_order(picker_at, slots, geometry, timing).seconds + 2 * timing.door * len(slots)


def store_seconds(picker_at: Position, slot: int, geometry: Geometry, timing: Timing) -> float:
    """Seconds of a STORE: to the return port (on the mast, same column), take, to the slot, put."""
    port = (geometry.return_level, picker_at[1])
    return (
        timing.travel_time(picker_at, port, geometry)
        + timing.handle
        + timing.travel_time(port, geometry.locate(slot), geometry)
        + timing.handle
    )


@lru_cache(maxsize=64)
def expected_fetch_seconds(level: int, geometry: Geometry, timing: Timing) -> float:
    """Mean FETCH seconds of a slot at `level`, from any drum column at the pickup level."""
    slot = geometry.slot_of(level, 0)  # the drum is round: every column costs the same
    starts = [(geometry.pickup_level, c) for c in range(geometry.positions)]
    return sum(fetch_seconds(s, slot, geometry, timing)[0] for s in starts) / len(starts)


def choose_return_slot(
    free_slots: Collection[int],
    picker_at: Position,
    geometry: Geometry,
    timing: Timing,
    popularity: float | None = None,
) -> int | None:
    """The free slot for a returned book: the quickest STORE, or for a popular title a trade-off."""
    # popularity 0..1 weighs POPULAR_FETCHES expected future fetches, which are quicker from
    # levels near the pickup port, against the seconds of this STORE.
    if popularity is not None and not 0.0 <= popularity <= 1.0:
        raise ValueError(f"popularity {popularity} is outside 0..1")
    if not free_slots:
        return None
    weight = (popularity or 0.0) * POPULAR_FETCHES

    def score(slot: int) -> tuple[float, int]:
        level = geometry.locate(slot)[0]
        future = expected_fetch_seconds(level, geometry, timing) if weight else 0.0
        return store_seconds(picker_at, slot, geometry, timing) + weight * future, slot

    return min(free_slots, key=score)


def prefetch_candidate(
    chosen: Collection[int],
    picker_at: Position,
    geometry: Geometry,
    timing: Timing,
    *,
    fetched: Collection[int] = (),
) -> int | None:
    """The chosen slot to fetch now while the patron browses: first of the best order left."""
    waiting = [slot for slot in chosen if slot not in set(fetched)]
    order = fetch_order(picker_at, waiting, geometry, timing).order
    return order[0] if order else None
