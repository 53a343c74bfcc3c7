"""Pick order and return slot: kiosk.planner against the exhaustive optimum, weighted carts."""

from __future__ import annotations

import itertools
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from statistics import fmean

from drivers.carousel.geometry import REFERENCE_GEOMETRY, REFERENCE_TIMING, Geometry, Timing
from kiosk.planner import (
    EXHAUSTIVE_LIMIT, Position, choose_return_slot, fetch_order, fetch_seconds, order_seconds,
    store_seconds,
)
from sim.collection import demo_collection

TITLE = "Pick order and return slot"
SEED = 20240601
SIZES = range(2, 9)  # books per cart
CARTS_PER_SIZE = 40
RETURNS = 200
MAX_EXTRA_FREE = 200  # slots freed by books out on loan, on top of the demo's free ones
G, T = REFERENCE_GEOMETRY, REFERENCE_TIMING


@dataclass(frozen=True)
class Cart:
    """One cart: seconds of the planned, the optimal and the as-chosen order."""

    size: int
    planned: float
    optimal: float
    naive: float
    plan_ms: float

    @property
    def ratio(self) -> float:
        """Planned / optimal seconds."""
        return self.planned / self.optimal

    @property
    def naive_ratio(self) -> float:
        """As chosen / planned seconds."""
        return self.naive / self.planned


@dataclass(frozen=True)
class Summary:
    """Carts of one size (or all): mean and worst ratios."""

    label: str
    carts: int
    mean_ratio: float
    worst_ratio: float
    mean_naive: float
    worst_naive: float
    plan_ms: float


@dataclass(frozen=True)
class Returns:
    """choose_return_slot against the quickest STORE over every free slot."""

    cases: int
    mean_ratio: float
    worst_ratio: float
    mean_naive: float
    free_min: int
    free_max: int


class Shelf:
    """The demo collection's slots, picked by popularity (ratings_count)."""

    def __init__(self, rng: random.Random, geometry: Geometry = G) -> None:
        books = demo_collection(geometry=geometry)
        self.rng = rng
        self.geometry = geometry
        self.slots = [b.slot for b in books]
        self.weights = [max(b.title.ratings_count, 1) for b in books]
        self.free = sorted(set(range(geometry.slot_count)) - set(self.slots))

    def pick(self, count: int) -> list[int]:
        """`count` distinct slots, weighted by popularity, in the order chosen."""
        chosen: list[int] = []
        while len(chosen) < count:
            slot = self.rng.choices(self.slots, self.weights)[0]
            if slot not in chosen:
                chosen.append(slot)
        return chosen

    def picker(self) -> Position:
        """A random picker position."""
        return self.rng.randrange(self.geometry.levels), self.rng.randrange(self.geometry.positions)


def optimal_seconds(start: Position, slots: Sequence[int], g: Geometry = G, t: Timing = T) -> float:
    """The best order's seconds, by trying every permutation."""
    first = [fetch_seconds(start, s, g, t)[0] for s in slots]
    ends = [fetch_seconds(start, s, g, t)[1] for s in slots]
    step = [[fetch_seconds(end, s, g, t)[0] for s in slots] for end in ends]
    best = float("inf")
    for order in itertools.permutations(range(len(slots))):
        total = first[order[0]] + sum(step[a][b] for a, b in zip(order, order[1:]))
        best = min(best, total)
    return best


def measure_cart(start: Position, chosen: Sequence[int]) -> Cart:
    """Plan one cart and compare it with the optimum and with the order as chosen."""
    began = time.perf_counter()
    plan = fetch_order(start, chosen, G, T)
    plan_ms = 1000 * (time.perf_counter() - began)
    if sorted(plan.order) != sorted(chosen):
        raise RuntimeError(f"plan {plan.order} is not a permutation of {chosen}")
    planned = order_seconds(start, plan.order, G, T)
    if abs(planned - plan.seconds) > 1e-9:
        raise RuntimeError(f"plan says {plan.seconds} s, its order takes {planned} s")
    return Cart(len(chosen), planned, optimal_seconds(start, chosen),
                order_seconds(start, chosen, G, T), plan_ms)


def measure_orders(sizes: Sequence[int] = SIZES, per_size: int = CARTS_PER_SIZE,
                   seed: int = SEED) -> list[Cart]:
    """`per_size` seeded carts of every size."""
    shelf = Shelf(random.Random(seed))
    return [measure_cart(shelf.picker(), shelf.pick(size))
            for size in sizes for _ in range(per_size)]


def summarise(carts: Sequence[Cart], label: str) -> Summary:
    """Mean and worst ratios of some carts."""
    return Summary(label, len(carts), fmean(c.ratio for c in carts), max(c.ratio for c in carts),
                   fmean(c.naive_ratio for c in carts), max(c.naive_ratio for c in carts),
                   fmean(c.plan_ms for c in carts))


def measure_returns(cases: int = RETURNS, seed: int = SEED,
                    max_extra: int = MAX_EXTRA_FREE) -> Returns:
    """choose_return_slot / the brute-force quickest STORE, and lowest free slot / chosen."""
    shelf = Shelf(random.Random(seed + 1))
    ratios, naive, sizes = [], [], []
    for _ in range(cases):
        free = sorted(set(shelf.free) | set(shelf.pick(shelf.rng.randint(0, max_extra))))
        start = shelf.picker()
        chosen = choose_return_slot(free, start, G, T)
        if chosen not in free:
            raise RuntimeError(f"slot {chosen} is not free")
        best = min(store_seconds(start, s, G, T) for s in free)
        seconds = store_seconds(start, chosen, G, T)
        ratios.append(seconds / best)
        naive.append(store_seconds(start, free[0], G, T) / seconds)
        sizes.append(len(free))
    return Returns(cases, fmean(ratios), max(ratios), fmean(naive), min(sizes), max(sizes))


def report(summaries: Sequence[Summary], returns: Returns) -> str:
    """The markdown section."""
    rows = "\n".join(
        f"| {s.label} | {s.carts} | {s.mean_ratio:.4f} | {s.worst_ratio:.4f} | "
        f"{s.mean_naive:.3f} | {s.worst_naive:.3f} | {s.plan_ms:.2f} |" for s in summaries)
    overall = summaries[-1]
    return (
        f"`kiosk.planner.fetch_order` on {overall.carts} seeded carts ({CARTS_PER_SIZE} of each "
        f"size {SIZES.start}–{SIZES.stop - 1}) of demo-collection slots picked by popularity "
        "(`ratings_count` of sim/data/books.csv, long-tailed), from a random picker position, "
        "reference geometry and timing. Optimal: every permutation tried. As chosen: the "
        f"order the books went into the cart. The planner is exhaustive up to "
        f"{EXHAUSTIVE_LIMIT} books (ratio 1 by construction, here checked), heuristic above.\n\n"
        "| books | carts | planned/optimal mean | worst | as chosen/planned mean | worst "
        "| planning ms |\n|---|---:|---:|---:|---:|---:|---:|\n"
        f"{rows}\n\n"
        f"**Planned / optimal: mean {overall.mean_ratio:.4f}x, worst {overall.worst_ratio:.4f}x; "
        f"as chosen / planned: mean {overall.mean_naive:.2f}x, worst "
        f"{overall.worst_naive:.2f}x.**\n\n"
        f"`choose_return_slot` as the controller calls it (no popularity), on {returns.cases} "
        f"returns with {returns.free_min}–{returns.free_max} free slots (the demo's free slots "
        "plus popularity-picked ones out on loan) and a random picker position, against the "
        f"quickest STORE over every free slot: **mean {returns.mean_ratio:.4f}x, worst "
        f"{returns.worst_ratio:.4f}x**; the lowest-numbered free slot instead would take "
        f"{returns.mean_naive:.2f}x the chosen slot's STORE seconds on average.\n\n"
        f"Run with `.venv/bin/python -m bench pick_order` (seed {SEED}) on {_machine()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.")


def _machine() -> str:
    return (f"{platform.machine()} {os.cpu_count()} CPU, Linux {platform.release()}, "
            f"Python {sys.version.split()[0]}")


def main() -> str:
    """Plan the seeded carts and returns; return the markdown section."""
    carts = measure_orders()
    summaries = [summarise([c for c in carts if c.size == n], str(n)) for n in SIZES]
    summaries.append(summarise(carts, f"all {SIZES.start}–{SIZES.stop - 1}"))
    return report(summaries, measure_returns())


if __name__ == "__main__":
    print(main())
