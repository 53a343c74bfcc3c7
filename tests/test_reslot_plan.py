"""The re-slotting planner: executable plans within budget that never make things worse and
reach the optimum when the budget allows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.carousel.geometry import REFERENCE_GEOMETRY, REFERENCE_TIMING, Geometry
from kiosk.reslot_plan import (
    Move, item_weight, optimal_mean, plan_reslot, slot_seconds, weighted_mean,
)

SMALL = Geometry(levels=4, positions=3, pickup_level=1, return_level=2)
SECONDS = slot_seconds(SMALL, REFERENCE_TIMING)


@st.composite
def drums(draw, min_free: int = 1):
    """Items with weights in some slots of the small drum, the rest free (at least min_free)."""
    slots = list(range(SMALL.slot_count))
    taken = draw(st.lists(st.sampled_from(slots), unique=True,
                          max_size=SMALL.slot_count - min_free))
    weights = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5, 7.0]),
                            min_size=len(taken), max_size=len(taken)))
    placed = {f"item{i}": slot for i, slot in enumerate(taken)}
    return placed, dict(zip(placed, weights)), [s for s in slots if s not in taken]


def replay(placed: dict[str, int], free: list[int], moves) -> dict[str, int]:
    """Carry out the moves, failing on any that is not executable at its turn."""
    where, empty = dict(placed), set(free)
    for move in moves:
        assert where[move.item_id] == move.from_slot, move
        assert move.to_slot in empty, f"{move}: destination not empty"
        empty.remove(move.to_slot)
        empty.add(move.from_slot)
        where[move.item_id] = move.to_slot
    return where


@settings(max_examples=300, deadline=None)
@given(drums(min_free=0), st.integers(min_value=0, max_value=12))
def test_every_plan_is_executable_within_budget_and_never_worse(drum, budget):
    placed, weights, free = drum
    plan = plan_reslot(placed, weights, free, SECONDS, max_moves=budget)
    assert len(plan.moves) <= budget
    after = replay(placed, free, plan.moves)
    assert plan.mean_after == pytest.approx(weighted_mean(after, weights, SECONDS))
    assert plan.mean_before == pytest.approx(weighted_mean(placed, weights, SECONDS))
    assert plan.mean_after <= plan.mean_before + 1e-9
    assert plan.mean_after >= plan.mean_optimal - 1e-9


@settings(max_examples=300, deadline=None)
@given(drums(min_free=1))
def test_an_unlimited_budget_reaches_the_optimum(drum):
    placed, weights, free = drum
    plan = plan_reslot(placed, weights, free, SECONDS)
    replay(placed, free, plan.moves)
    assert plan.mean_after == pytest.approx(plan.mean_optimal, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(range(SMALL.slot_count)), unique=True, min_size=1, max_size=6),
       st.lists(st.floats(min_value=0, max_value=10), min_size=1, max_size=6))
def test_optimal_mean_is_the_best_of_every_assignment(slots, weight_list):
    """Heaviest to quickest is the optimum (rearrangement inequality), checked by brute force."""
    weights = {f"item{i}": w for i, w in enumerate(weight_list[:len(slots)])}
    best = min(weighted_mean(dict(zip(weights, chosen)), weights, SECONDS)
               for chosen in itertools.permutations(slots, len(weights)))
    assert optimal_mean(weights, slots, SECONDS) == pytest.approx(best)


def test_a_heavy_book_in_a_slow_slot_trades_with_a_light_one_through_the_free_slot():
    seconds = slot_seconds(REFERENCE_GEOMETRY, REFERENCE_TIMING)
    quick = REFERENCE_GEOMETRY.slot_of(REFERENCE_GEOMETRY.pickup_level, 0)
    slow, free = REFERENCE_GEOMETRY.slot_of(9, 0), REFERENCE_GEOMETRY.slot_of(9, 5)
    assert seconds(quick) < seconds(slow) and seconds(quick) < seconds(free)
    plan = plan_reslot({"popular": slow, "dull": quick}, {"popular": 5.0, "dull": 0.0},
                       [free], seconds, max_moves=3)
    assert replay({"popular": slow, "dull": quick}, [free], plan.moves)["popular"] == quick
    assert plan.mean_after < plan.mean_before
    assert plan_reslot({"popular": slow, "dull": quick}, {"popular": 5.0, "dull": 0.0},
                       [free], seconds, max_moves=1).moves == ()  # one move cannot gain


def test_the_first_move_is_the_biggest_gain():
    seconds = slot_seconds(REFERENCE_GEOMETRY, REFERENCE_TIMING)
    quick = REFERENCE_GEOMETRY.slot_of(REFERENCE_GEOMETRY.pickup_level, 7)
    placed = {"a": REFERENCE_GEOMETRY.slot_of(9, 1), "b": REFERENCE_GEOMETRY.slot_of(8, 2)}
    plan = plan_reslot(placed, {"a": 1.0, "b": 3.0}, [quick], seconds, max_moves=1)
    assert plan.moves == (Move("b", placed["b"], quick),)


def test_weights_combine_loans_and_popularity():
    assert item_weight(0, None) == 0
    assert item_weight(3, None) < item_weight(3, 0.5) < item_weight(4, 0.5)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="two items in one slot"):
        plan_reslot({"a": 1, "b": 1}, {"a": 1, "b": 1}, [2], SECONDS)
    with pytest.raises(ValueError, match="both taken and free"):
        plan_reslot({"a": 1}, {"a": 1}, [1], SECONDS)
    with pytest.raises(ValueError, match="no weight"):
        plan_reslot({"a": 1}, {}, [2], SECONDS)
    with pytest.raises(ValueError, match="negative"):
        plan_reslot({"a": 1}, {"a": 1}, [2], SECONDS, max_moves=-1)


def test_a_swap_through_a_slow_free_slot_when_no_chain_gains():
    """Close weights, the only free slot far away: only the three-move swap lowers the mean."""
    seconds = slot_seconds(REFERENCE_GEOMETRY, REFERENCE_TIMING)
    quick = REFERENCE_GEOMETRY.slot_of(REFERENCE_GEOMETRY.pickup_level, 0)
    near = REFERENCE_GEOMETRY.slot_of(REFERENCE_GEOMETRY.pickup_level + 1, 0)
    far = REFERENCE_GEOMETRY.slot_of(9, 0)
    placed, weights = {"heavy": near, "light": quick}, {"heavy": 2.0, "light": 1.9}
    plan = plan_reslot(placed, weights, [far], seconds)
    assert replay(placed, [far], plan.moves) == {"heavy": quick, "light": near}
    assert len(plan.moves) == 3
    assert plan.mean_after == pytest.approx(plan.mean_optimal)
    assert plan.mean_after < plan.mean_before
