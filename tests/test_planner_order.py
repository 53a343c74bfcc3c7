"""How good the planned order is: against an independent brute-force optimum on random carts
(the figures are documented in kiosk/planner.py)."""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Sequence

import pytest

from drivers.carousel.geometry import REFERENCE_GEOMETRY as G
from drivers.carousel.geometry import REFERENCE_TIMING as T
from kiosk.planner import EXHAUSTIVE_LIMIT, fetch_order

CARTS = 40
SEED = 2024
# Measured on these carts: mean 1.0000x, worst 1.0002x (kiosk/planner.py). The carts are
# seeded, so the bounds are tight: a search without or-opt (mean 1.0027x), from one start
# only (1.0024x) or a nearest-neighbour that takes the farthest book (worst 1.006x) fails.
# A new timing model is re-measured and these figures updated with kiosk/planner.py's.
MEAN_BOUND = 1.001
WORST_BOUND = 1.005


def fetch(at: tuple[int, int], slot: int) -> tuple[float, tuple[int, int]]:
    """One FETCH by the timing model: to the slot, handle, to the pickup port at its column, handle."""
    level, column = G.locate(slot)
    port = (G.pickup_level, column)
    seconds = T.travel_time(at, (level, column), G) + T.travel_time((level, column), port, G) + 2 * T.handle
    return seconds, port


def seconds_of(start: tuple[int, int], order: Sequence[int]) -> float:
    """Seconds to fetch `order` one book after another from `start`."""
    total, at = 0.0, start
    for slot in order:
        seconds, at = fetch(at, slot)
        total += seconds
    return total


def brute_force_optimum(start: tuple[int, int], slots: Sequence[int]) -> float:
    """The least seconds over every order of `slots` (independent of kiosk.planner)."""
    first = [fetch(start, s)[0] for s in slots]
    step = [[fetch(fetch(start, a)[1], b)[0] for b in slots] for a in slots]
    return min(first[o[0]] + sum(step[a][b] for a, b in zip(o, o[1:]))
               for o in itertools.permutations(range(len(slots))))


def random_carts(cart_size: int = 8, carts: int = CARTS, seed: int = SEED):
    """Seeded random carts from random picker positions."""
    rng = random.Random(seed)
    for _ in range(carts):
        slots = rng.sample(range(G.slot_count), cart_size)
        yield (rng.randrange(G.levels), rng.randrange(G.positions)), slots


def heuristic_ratios(cart_size: int = 8, carts: int = CARTS, seed: int = SEED) -> list[float]:
    """Heuristic / brute-force optimal seconds; each plan's seconds recomputed from its order."""
    ratios = []
    for start, slots in random_carts(cart_size, carts, seed):
        plan = fetch_order(start, slots, G, T)
        assert sorted(plan.order) == sorted(slots)
        assert plan.seconds == pytest.approx(seconds_of(start, plan.order))
        ratios.append(plan.seconds / brute_force_optimum(start, slots))
    return ratios


@pytest.mark.parametrize("cart_size", range(1, EXHAUSTIVE_LIMIT + 1))
def test_carts_up_to_the_exhaustive_limit_get_the_optimum(cart_size) -> None:
    for start, slots in random_carts(cart_size, carts=5, seed=cart_size):
        plan = fetch_order(start, slots, G, T)
        assert sorted(plan.order) == sorted(slots)
        assert seconds_of(start, plan.order) == pytest.approx(brute_force_optimum(start, slots))


def test_carts_of_eight_use_the_heuristic() -> None:
    assert EXHAUSTIVE_LIMIT < 8


def test_the_heuristic_is_close_to_the_optimum_on_carts_of_eight() -> None:
    ratios = heuristic_ratios()
    assert min(ratios) >= 1.0 - 1e-9  # nothing beats the exhaustive order
    assert statistics.mean(ratios) <= MEAN_BOUND
    assert max(ratios) <= WORST_BOUND


def test_big_carts_are_planned_too() -> None:
    slots = random.Random(SEED).sample(range(G.slot_count), 25)
    assert sorted(fetch_order((0, 0), slots, G, T).order) == sorted(slots)
