"""Re-slotting planner, pure and without I/O: TRANSFER moves that bring often-fetched books to
the slots quickest to fetch from, within a move budget.

The cost of a placement is the weight-weighted mean fetch time: sum(w_i * t(slot_i)) / sum(w_i),
where w_i says how often item i is likely fetched (`item_weight`) and t is a slot's expected
FETCH seconds (`slot_seconds`, from kiosk/planner.py's timing model). A TRANSFER needs an
empty destination, so the plan works with holes (the free slots). Each step takes the
operation that lowers the total weighted time the most per move:
  - move: an item into a quicker hole (1 move);
  - chain: an item out of a quick slot into a hole, then a heavier one into that slot (2 moves);
  - swap: a heavier item and a lighter, quicker one trade slots through a hole (3 moves).
With at least one hole and no budget limit the steps end in an optimal placement: when no
step gains, no positive weight has a quicker hole and no pair is out of order, which by the
rearrangement inequality is the optimum (`optimal_mean`). Slots of equal time form one class,
so a step costs O(classes^2) (10 classes on the reference drum).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from drivers.carousel.geometry import Geometry, Timing
from kiosk.planner import expected_fetch_seconds

POPULARITY_PRIOR = 2.0  # a title of catalogue popularity 1.0 counts as much as 2 loans here
EPSILON = 1e-9


class Move(NamedTuple):
    """One TRANSFER: the item from its slot to an empty slot."""

    item_id: str
    from_slot: int
    to_slot: int


@dataclass(frozen=True)
class ReslotPlan:
    """The moves in order and the weighted mean fetch seconds before, after and at best."""

    moves: tuple[Move, ...]
    mean_before: float
    mean_after: float
    mean_optimal: float

    def to_dict(self) -> dict:
        """JSON-able."""
        return {"moves": [m._asdict() for m in self.moves], "mean_before": self.mean_before,
                "mean_after": self.mean_after, "mean_optimal": self.mean_optimal}


def item_weight(loans: int, popularity: float | None) -> float:
    """How often an item is likely fetched: its loans here plus a prior from its popularity."""
    return max(0, loans) + POPULARITY_PRIOR * (popularity or 0.0)


def slot_seconds(geometry: Geometry, timing: Timing) -> Callable[[int], float]:
    """A slot's expected FETCH seconds (planner.expected_fetch_seconds of its level)."""
    return lambda slot: expected_fetch_seconds(geometry.locate(slot)[0], geometry, timing)


def weighted_mean(placed: Mapping[str, int], weights: Mapping[str, float],
                  seconds: Callable[[int], float]) -> float:
    """sum(w * t(slot)) / sum(w); 0.0 when no weight at all (no fetch is expected)."""
    total = sum(weights[item] for item in placed)
    if total <= 0:
        return 0.0
    return sum(weights[item] * seconds(slot) for item, slot in placed.items()) / total


def optimal_mean(weights: Mapping[str, float], slots: Collection[int],
                 seconds: Callable[[int], float]) -> float:
    """The best weighted mean over `slots`: heaviest item to the quickest slot (rearrangement)."""
    if len(slots) < len(weights):
        raise ValueError(f"{len(weights)} items do not fit in {len(slots)} slots")
    heavy_first = sorted(weights, key=lambda item: (-weights[item], item))
    quick_first = sorted(slots, key=lambda slot: (seconds(slot), slot))
    return weighted_mean(dict(zip(heavy_first, quick_first)), weights, seconds)


def plan_reslot(placed: Mapping[str, int], weights: Mapping[str, float],
                free_slots: Collection[int], seconds: Callable[[int], float],
                max_moves: int | None = None) -> ReslotPlan:
    """TRANSFER moves, each executable in order, that lower the weighted mean fetch time the
    most per move, at most `max_moves` (None: until no move helps)."""
    _check(placed, weights, free_slots, max_moves)
    board = _Board(placed, weights, free_slots, seconds)
    budget = float("inf") if max_moves is None else max_moves
    while budget > 0 and (step := board.best_step(budget)) is not None:
        board.apply(step)
        budget -= len(step)
    return ReslotPlan(tuple(board.moves), weighted_mean(placed, weights, seconds),
                      weighted_mean(board.placed, weights, seconds),
                      optimal_mean(weights, [*placed.values(), *free_slots], seconds))


def _check(placed: Mapping[str, int], weights: Mapping[str, float],
           free_slots: Collection[int], max_moves: int | None) -> None:
    if max_moves is not None and max_moves < 0:
        raise ValueError(f"max_moves {max_moves} is negative")
    if missing := sorted(set(placed) - set(weights)):
        raise ValueError(f"no weight for {missing[:5]}")
    if negative := sorted(item for item in placed if weights[item] < 0):
        raise ValueError(f"negative weight for {negative[:5]}")
    slots = list(placed.values())
    if len(set(slots)) != len(slots):
        raise ValueError("two items in one slot")
    if set(slots) & set(free_slots):
        raise ValueError(f"slots both taken and free: {sorted(set(slots) & set(free_slots))[:5]}")


class _Board:
    """The drum as time classes: per class its items sorted by weight, and its holes."""

    def __init__(self, placed: Mapping[str, int], weights: Mapping[str, float],
                 free_slots: Collection[int], seconds: Callable[[int], float]) -> None:
        self.placed = dict(placed)
        self.weights = weights
        self.moves: list[Move] = []
        times = sorted({round(seconds(s), 9) for s in [*placed.values(), *free_slots]})
        self.time = times  # class index -> seconds, quickest first
        index = {t: c for c, t in enumerate(times)}
        self.class_of = {s: index[round(seconds(s), 9)] for s in [*placed.values(), *free_slots]}
        self.items: list[list[tuple[float, str]]] = [[] for _ in times]  # (weight, item) sorted
        self.holes: list[list[int]] = [[] for _ in times]  # sorted slots
        for item, slot in placed.items():
            bisect.insort(self.items[self.class_of[slot]], (weights[item], item))
        for slot in free_slots:
            bisect.insort(self.holes[self.class_of[slot]], slot)

    def best_step(self, budget: float) -> list[tuple[str, int]] | None:
        """The step (a list of (item, destination)) with the best gain per move, or None."""
        best, best_rate = None, EPSILON
        for gain, step in self._candidates(budget):
            if gain / len(step) > best_rate:
                best, best_rate = step, gain / len(step)
        return best

    def _candidates(self, budget: float):
        hole = next((c for c, holes in enumerate(self.holes) if holes), None)
        if hole is None:
            return
        t = self.time
        for slow, items in enumerate(self.items):
            if not items:
                continue
            w_heavy, heavy = items[-1]
            if slow > hole:  # move: the heaviest item of a slower class into the quickest hole
                yield w_heavy * (t[slow] - t[hole]), [(heavy, self.holes[hole][0])]
            for quick in range(slow):
                if not self.items[quick]:
                    continue
                w_light, light = self.items[quick][0]
                into = self.placed[light]
                if budget >= 2:  # chain: the light one out to the quickest hole, heavy in
                    gain = w_heavy * (t[slow] - t[quick]) - w_light * (t[hole] - t[quick])
                    yield gain, [(light, self.holes[hole][0]), (heavy, into)]
                if budget >= 3:  # swap through the quickest hole
                    gain = (w_heavy - w_light) * (t[slow] - t[quick])
                    yield gain, [(heavy, self.holes[hole][0]), (light, self.placed[heavy]),
                                 (heavy, into)]

    def apply(self, step: list[tuple[str, int]]) -> None:
        """Carry out the step's moves in order."""
        for item, to_slot in step:
            from_slot = self.placed[item]
            entry = (self.weights[item], item)
            self.items[self.class_of[from_slot]].remove(entry)
            self.holes[self.class_of[to_slot]].remove(to_slot)
            bisect.insort(self.items[self.class_of[to_slot]], entry)
            bisect.insort(self.holes[self.class_of[from_slot]], from_slot)
            self.placed[item] = to_slot
            self.moves.append(Move(item, from_slot, to_slot))
