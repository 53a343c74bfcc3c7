"""Planner: FETCH and STORE costs, the fetch order, the return slot, prefetching."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.carousel.geometry import Geometry, Timing
from kiosk.planner import (
    EXACT_LIMIT,
    POPULAR_FETCHES,
    choose_return_slot,
    estimate_vend_seconds,
    expected_fetch_seconds,
    fetch_order,
    fetch_seconds,
    order_seconds,
    prefetch_candidate,
    store_seconds,
)

G = Geometry()
T = Timing()
SMALL = Geometry(levels=4, positions=12, pickup_level=1, return_level=2)
FAST = settings(max_examples=60, deadline=None)

positions = st.tuples(st.integers(0, G.levels - 1), st.integers(0, G.positions - 1))
small_positions = st.tuples(st.integers(0, SMALL.levels - 1), st.integers(0, SMALL.positions - 1))


def test_a_fetch_is_travel_take_travel_to_the_port_put() -> None:
    slot = G.slot_of(7, 30)
    seconds, end = fetch_seconds((4, 0), slot, G, T)
    to_slot = max(T.drum_time(0, 30, G.positions), T.picker_time(4, 7))
    to_port = T.picker_time(7, G.pickup_level)  # the port is on the mast: the drum stays
    assert seconds == pytest.approx(to_slot + T.handle + to_port + T.handle)
    assert end == (G.pickup_level, 30)


def test_the_drum_turns_the_short_way() -> None:
    near, _ = fetch_seconds((G.pickup_level, 0), G.slot_of(G.pickup_level, G.positions - 1), G, T)
    assert near == pytest.approx(T.drum_time(0, 1, G.positions) + 2 * T.handle)


def test_an_order_costs_its_fetches_one_after_another() -> None:
    order = [G.slot_of(9, 50), G.slot_of(0, 3), G.slot_of(5, 97)]
    at, expected = (2, 10), 0.0
    for slot in order:
        seconds, at = fetch_seconds(at, slot, G, T)
        expected += seconds
    assert order_seconds((2, 10), order, G, T) == pytest.approx(expected)


def test_trivial_carts() -> None:
    assert fetch_order((0, 0), [], G, T) == ((), 0.0)
    plan = fetch_order((0, 0), [123], G, T)
    assert plan.order == (123,)
    assert plan.seconds == pytest.approx(fetch_seconds((0, 0), 123, G, T)[0])


def test_bad_carts_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        fetch_order((0, 0), [5, 5], G, T)
    with pytest.raises(ValueError, match="outside"):
        fetch_order((0, 0), [G.slot_count], G, T)


@FAST
@given(start=small_positions, slots=st.sets(st.integers(0, SMALL.slot_count - 1), max_size=5))
def test_the_order_is_optimal_for_small_carts(start, slots) -> None:
    plan = fetch_order(start, slots, SMALL, T)
    assert sorted(plan.order) == sorted(slots)
    assert plan.seconds == pytest.approx(order_seconds(start, plan.order, SMALL, T))
    brute = min((order_seconds(start, p, SMALL, T) for p in itertools.permutations(slots)),
                default=0.0)
    assert plan.seconds == pytest.approx(brute)


@settings(max_examples=25, deadline=None)
@given(start=positions,
       slots=st.sets(st.integers(0, G.slot_count - 1), min_size=8, max_size=EXACT_LIMIT))
def test_a_large_cart_is_planned_as_a_permutation_with_its_true_cost(start, slots) -> None:
    plan = fetch_order(start, slots, G, T)
    assert sorted(plan.order) == sorted(slots)
    assert plan.seconds == pytest.approx(order_seconds(start, plan.order, G, T))


def test_estimate_vend_adds_the_doors() -> None:
    slots = [G.slot_of(1, 1), G.slot_of(8, 70)]
    expected = fetch_order((4, 0), slots, G, T).seconds + len(slots) * 2 * T.door
    assert estimate_vend_seconds((4, 0), slots, G, T) == pytest.approx(expected)


def test_a_store_goes_via_the_return_port() -> None:
    slot = G.slot_of(2, 40)
    port = (G.return_level, 10)
    expected = (T.travel_time((8, 10), port, G) + T.handle
                + T.travel_time(port, (2, 40), G) + T.handle)
    assert store_seconds((8, 10), slot, G, T) == pytest.approx(expected)


@FAST
@given(start=positions, free=st.sets(st.integers(0, G.slot_count - 1), min_size=1, max_size=60))
def test_the_return_slot_is_the_quickest_store(start, free) -> None:
    chosen = choose_return_slot(free, start, G, T)
    best = min(store_seconds(start, s, G, T) for s in free)
    assert chosen in free
    assert store_seconds(start, chosen, G, T) == pytest.approx(best)
    assert chosen == min(s for s in free if store_seconds(start, s, G, T) == best)


@pytest.mark.parametrize("column", [0, 37, G.positions - 1])
def test_popular_titles_go_where_fetches_are_quicker(column) -> None:
    start = (G.return_level, column)
    quickest_store = G.slot_of(G.return_level, column)  # the picker is already there
    quickest_fetches = G.slot_of(G.pickup_level, column)  # one level away, next to the pickup port
    free = {quickest_store, quickest_fetches}
    assert choose_return_slot(free, start, G, T, popularity=0.0) == quickest_store
    assert choose_return_slot(free, start, G, T) == quickest_store
    assert choose_return_slot(free, start, G, T, popularity=1.0) == quickest_fetches


@FAST
@given(start=positions, free=st.sets(st.integers(0, G.slot_count - 1), min_size=1, max_size=60),
       popularity=st.floats(0.0, 1.0))
def test_the_return_slot_weighs_this_store_against_the_titles_expected_fetches(start, free, popularity) -> None:
    def cost(slot: int) -> float:
        later = POPULAR_FETCHES * popularity * expected_fetch_seconds(G.locate(slot)[0], G, T)
        return store_seconds(start, slot, G, T) + later

    chosen = choose_return_slot(free, start, G, T, popularity=popularity)
    assert chosen in free
    assert cost(chosen) == pytest.approx(min(cost(s) for s in free))


def test_the_pickup_level_is_the_quickest_to_fetch_from() -> None:
    by_level = {level: expected_fetch_seconds(level, G, T) for level in range(G.levels)}
    assert min(by_level, key=by_level.get) == G.pickup_level
    farther = [abs(level - G.pickup_level) for level in sorted(by_level, key=by_level.get)]
    assert farther == sorted(farther)


def test_no_free_slot_and_bad_popularity() -> None:
    assert choose_return_slot([], (0, 0), G, T) is None
    with pytest.raises(ValueError, match="popularity"):
        choose_return_slot([1], (0, 0), G, T, popularity=1.5)


def test_prefetch_starts_with_the_first_of_the_best_order() -> None:
    chosen = [G.slot_of(9, 60), G.slot_of(4, 2), G.slot_of(0, 30)]
    assert prefetch_candidate(chosen, (4, 0), G, T) == fetch_order((4, 0), chosen, G, T).order[0]
    rest = [s for s in chosen if s != G.slot_of(4, 2)]
    assert prefetch_candidate(chosen, (4, 0), G, T, fetched=[G.slot_of(4, 2)]) == fetch_order(
        (4, 0), rest, G, T).order[0]
    assert prefetch_candidate([G.slot_of(9, 60)], (4, 0), G, T) == G.slot_of(9, 60)
    assert prefetch_candidate(chosen, (4, 0), G, T, fetched=chosen) is None
    assert prefetch_candidate([], (4, 0), G, T) is None
