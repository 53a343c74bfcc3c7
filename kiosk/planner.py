"""Planner, pure and without I/O: the order to fetch a cart's books, the slot for a
returned book, and which chosen book to start fetching while the patron browses.

Costs use the reference timing model (drivers.carousel.geometry.Timing). A FETCH of
slot s with the picker at p costs travel(p -> s) + handle + travel(s -> pickup port at
s's column) + handle, and leaves the picker at (pickup_level, column of s). The pickup
port holds one book, so a cart is fetched one book at a time; door and patron time is
the same for every order and is left out of the order's cost.

Order search: every permutation up to EXHAUSTIVE_LIMIT books (optimal). Beyond, the
best of nearest-neighbour tours started from each book, improved by 2-opt (segment
reversal) and or-opt (moving a run of 1-3 books) until neither helps. Heuristic/optimal
on random carts of 8 on the reference machine, random picker start: the 40 seeded carts
of tests/test_planner_order.py mean 1.0000x, worst 1.0002x; 100 others (seed 1) mean
1.0005x, worst 1.046x. Real carts (2 books) are always planned exhaustively.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from drivers.carousel.geometry import Geometry, Timing

Position = tuple[int, int]  # (level, column at the mast), as Timing.travel_time takes it

EXHAUSTIVE_LIMIT = 7
# Fetches a popular title can expect before night-time re-slotting moves it again.
POPULAR_FETCHES = 3.0


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
    picker_at: Position,
    slots: Collection[int],
    geometry: Geometry,
    timing: Timing,
    *,
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
) -> FetchPlan:
    """The order to fetch `slots` in: optimal up to `exhaustive_limit` books, heuristic beyond."""
    ordered = sorted(slots)
    if len(set(ordered)) != len(ordered):
        raise ValueError(f"duplicate slots in {ordered}")
    costs = _CostTable(picker_at, ordered, geometry, timing)
    if len(ordered) <= exhaustive_limit:
        best = min(itertools.permutations(range(len(ordered))), key=costs.total, default=())
    else:
        best = _heuristic(costs)
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


def _heuristic(costs: _CostTable) -> tuple[int, ...]:
    """Best nearest-neighbour tour over all first books, then local search."""
    tours = [_improve(_nearest_neighbour(costs, first), costs) for first in range(len(costs.first))]
    return min(tours, key=costs.total)


def _nearest_neighbour(costs: _CostTable, first: int) -> list[int]:
    tour, left = [first], set(range(len(costs.first))) - {first}
    while left:
        nearest = min(sorted(left), key=lambda b: costs.next[tour[-1]][b])
        tour.append(nearest)
        left.remove(nearest)
    return tour


def _improve(tour: list[int], costs: _CostTable) -> tuple[int, ...]:
    """2-opt and or-opt moves until none shortens the tour (costs are asymmetric)."""
    best, best_cost = tour, costs.total(tour)
    improved = True
    while improved:
        improved = False
        for candidate in _neighbours(best):
            cost = costs.total(candidate)
            if cost < best_cost - 1e-9:
                best, best_cost, improved = candidate, cost, True
                break
    return tuple(best)


def _neighbours(tour: list[int]) -> Iterator[list[int]]:
    """Every 2-opt reversal, then every move of a run of 1-3 books elsewhere (or-opt)."""
    n = len(tour)
    for i, j in itertools.combinations(range(n), 2):
        yield tour[:i] + tour[i : j + 1][::-1] + tour[j + 1 :]
    for length in (1, 2, 3):
        for i in range(n - length + 1):
            run, rest = tour[i : i + length], tour[:i] + tour[i + length :]
            for j in range(len(rest) + 1):
                if j != i:
                    yield rest[:j] + run + rest[j:]


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
