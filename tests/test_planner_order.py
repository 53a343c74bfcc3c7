"""The planned order is the optimum: Held-Karp against an independent brute force on random
carts, and at the cart limit against an independent branch-and-bound search."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.carousel.geometry import REFERENCE_GEOMETRY as G
from drivers.carousel.geometry import REFERENCE_TIMING as T
from kiosk.planner import EXACT_LIMIT, fetch_order
from kiosk.policy import PolicyConfig

SEED = 2024
BRUTE_FORCE_MAX = 8  # 8! orders per cart: a fraction of a second


def fetch(at: tuple[int, int], slot: int) -> tuple[float, tuple[int, int]]:
    """One FETCH by the timing model: to the slot, handle, to the pickup port there, handle."""
    level, column = G.locate(slot)
    port = (G.pickup_level, column)
    seconds = (T.travel_time(at, (level, column), G) + T.travel_time((level, column), port, G)
               + 2 * T.handle)
    return seconds, port


def seconds_of(start: tuple[int, int], order: Sequence[int]) -> float:
    """Seconds to fetch `order` one book after another from `start`."""
    total, at = 0.0, start
    for slot in order:
        seconds, at = fetch(at, slot)
        total += seconds
    return total


def costs(start: tuple[int, int], slots: Sequence[int]) -> tuple[list[float], list[list[float]]]:
    """Seconds of each first FETCH, and of b after a."""
    first = [fetch(start, s)[0] for s in slots]
    step = [[fetch(fetch(start, a)[1], b)[0] for b in slots] for a in slots]
    return first, step


def brute_force_optimum(start: tuple[int, int], slots: Sequence[int]) -> float:
    """The least seconds over every order of `slots` (independent of kiosk.planner)."""
    if not slots:
        return 0.0
    first, step = costs(start, slots)
    return min(first[o[0]] + sum(step[a][b] for a, b in zip(o, o[1:]))
               for o in itertools.permutations(range(len(slots))))


def quicker_order_exists(start: tuple[int, int], slots: Sequence[int], seconds: float) -> bool:
    """Whether some order of `slots` takes less than `seconds`: a depth-first search that drops
    a prefix once its seconds plus each book left's cheapest way in cannot beat `seconds`."""
    first, step = costs(start, slots)
    cheapest_in = [min([first[b], *(step[a][b] for a in range(len(slots)) if a != b)])
                   for b in range(len(slots))]

    def search(last: int | None, left: frozenset[int], spent: float) -> bool:
        if spent + sum(cheapest_in[b] for b in left) >= seconds - 1e-9:
            return False
        if not left:
            return True
        return any(search(b, left - {b}, spent + (first[b] if last is None else step[last][b]))
                   for b in left)

    return search(None, frozenset(range(len(slots))), 0.0)


def random_carts(cart_size: int, carts: int, seed: int = SEED):
    """Seeded random carts from random picker positions."""
    rng = random.Random(seed)
    for _ in range(carts):
        slots = rng.sample(range(G.slot_count), cart_size)
        yield (rng.randrange(G.levels), rng.randrange(G.positions)), slots


def check_plan(start: tuple[int, int], slots: Sequence[int]) -> float:
    """Plan `slots`; the order must hold each book once and take the seconds it claims."""
    plan = fetch_order(start, slots, G, T)
    assert sorted(plan.order) == sorted(slots)
    assert plan.seconds == pytest.approx(seconds_of(start, plan.order), abs=1e-9)
    return plan.seconds


@pytest.mark.parametrize("cart_size", range(1, BRUTE_FORCE_MAX + 1))
def test_the_plan_is_the_best_of_every_order(cart_size) -> None:
    for start, slots in random_carts(cart_size, carts=5, seed=cart_size):
        assert check_plan(start, slots) == pytest.approx(brute_force_optimum(start, slots),
                                                         abs=1e-9)


# Slots bunched in a few columns and levels: many orders cost the same (ties).
bunched_slots = st.sets(st.builds(G.slot_of, st.sampled_from([0, 4, 5, 9]),
                                  st.sampled_from([0, 1, 50, 99])), max_size=7)
spread_slots = st.sets(st.integers(0, G.slot_count - 1), max_size=7)


@settings(max_examples=60, deadline=None)
@given(start=st.tuples(st.integers(0, G.levels - 1), st.integers(0, G.positions - 1)),
       slots=st.one_of(spread_slots, bunched_slots))
def test_the_plan_matches_the_brute_force_on_any_cart(start, slots) -> None:
    assert check_plan(start, list(slots)) == pytest.approx(
        brute_force_optimum(start, list(slots)), abs=1e-9)


@pytest.mark.parametrize("cart_size", range(BRUTE_FORCE_MAX + 1, EXACT_LIMIT + 1))
def test_no_order_beats_the_plan_up_to_the_cart_limit(cart_size) -> None:
    for start, slots in random_carts(cart_size, carts=2, seed=cart_size):
        assert not quicker_order_exists(start, slots, check_plan(start, slots))


def test_the_search_finds_an_order_quicker_than_a_poor_one() -> None:
    (start, slots), = random_carts(EXACT_LIMIT, carts=1)
    assert quicker_order_exists(start, slots, seconds_of(start, sorted(slots)))


def test_a_cart_above_the_limit_is_refused_and_the_config_cannot_ask_for_one() -> None:
    slots = random.Random(SEED).sample(range(G.slot_count), EXACT_LIMIT + 1)
    with pytest.raises(ValueError, match=f"more than the planner's {EXACT_LIMIT}"):
        fetch_order((0, 0), slots, G, T)
    assert PolicyConfig(max_loans=EXACT_LIMIT).max_loans == EXACT_LIMIT  # the largest allowed
