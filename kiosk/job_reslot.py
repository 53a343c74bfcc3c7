"""Re-slotting: popular books to the slots quickest to reach, with TRANSFER, within a budget.

The plan (kiosk/reslot_plan.py) weighs each book by its loans here and its catalogue popularity
and is made from the journal; the job carries it out one journaled TRANSFER at a time, checking
before each that the journal still agrees, and stops after the move at hand when a patron comes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from drivers.carousel import Result
from kiosk import moves, reslot_plan, usage
from kiosk.job import Job
from kiosk.journal import Place, utc_now
from kiosk.reslot_plan import ReslotPlan
from kiosk.steps import Fault

if TYPE_CHECKING:
    from kiosk.controller import Controller

USAGE_DAYS = 90  # loans counted for the weights


def plan(ctl: "Controller", max_moves: int) -> tuple[ReslotPlan, dict[str, float]]:
    """The plan for the books in slots now, and the weights it used (on the loop)."""
    status = ctl.mech.last_status
    if status is None:
        raise Fault("no_plc_status", "the PLC has not been read yet")
    now = utc_now()
    placed, weights, free = usage.reslot_inputs(
        ctl.journal, usage.Period(now - timedelta(days=USAGE_DAYS), now))
    free = [slot for slot in free if not ctl.journal.slot_flagged(slot)]
    seconds = reslot_plan.slot_seconds(status.geometry, ctl.timing)
    return reslot_plan.plan_reslot(placed, weights, free, seconds, max_moves), weights


async def reslot(ctl: "Controller", job: Job) -> None:
    """Carry out the plan's moves in order until done, stopped, or the machine disagrees."""
    planned: ReslotPlan = job.args["plan"]
    done: list[dict] = []
    skipped: list[dict] = []
    seconds: list[float] = []
    job.result.update(moves_done=done, moves_skipped=skipped)  # as it goes: a fault says them
    for n, move in enumerate(planned.moves):
        if job.stopping:
            break
        job.report(n, len(planned.moves), f"{move.item_id}: slot {move.from_slot} → {move.to_slot}")
        if not _still_true(ctl, move):
            skipped.append({**move._asdict(), "reason": "the journal changed since the plan"})
            continue
        started = asyncio.get_running_loop().time()
        result = await moves.journaled_move(ctl, moves.transfer(*move))
        if result is not Result.OK:
            skipped.append({**move._asdict(), "reason": result.name.lower()})
            break  # the drum is not as the journal says: an audit comes before more moves
        seconds.append(asyncio.get_running_loop().time() - started)
        done.append(move._asdict())
    job.report(len(done), len(planned.moves), "re-slotted")
    job.result.update(_outcome(ctl, job, planned, done, skipped, seconds))


def _still_true(ctl: "Controller", move: reslot_plan.Move) -> bool:
    item = ctl.journal.item(move.item_id)
    return (item is not None and item.place is Place.SLOT and item.slot == move.from_slot
            and ctl.journal.item_in_slot(move.to_slot) is None
            and ctl.journal.slot_reserved_by(move.to_slot) is None
            and not ctl.journal.slot_flagged(move.to_slot))


def _outcome(ctl: "Controller", job: Job, planned: ReslotPlan, done: list, skipped: list,
             seconds: list[float]) -> dict:
    """Expected against measured: the mean recomputed from where the journal now has each book."""
    weights = job.args["weights"]
    placed = {item.item_id: item.slot for item in ctl.journal.items(Place.SLOT)
              if item.item_id in weights}
    status = ctl.mech.last_status
    after = reslot_plan.weighted_mean(placed, weights,
                                      reslot_plan.slot_seconds(status.geometry, ctl.timing))
    return {**describe(planned), "moves_done": done, "moves_skipped": skipped,
            "measured_mean_after": after,
            "measured_gain": _gain(planned.mean_before, after),
            "transfer_seconds_mean": sum(seconds) / len(seconds) if seconds else None}


def describe(planned: ReslotPlan) -> dict:
    """The plan as the technician sees it."""
    return {**planned.to_dict(), "planned_moves": len(planned.moves),
            "expected_gain": _gain(planned.mean_before, planned.mean_after)}


def _gain(before: float, after: float) -> float:
    """The share of the weighted mean fetch time saved (0.12: 12 % quicker)."""
    return 0.0 if before <= 0 else (before - after) / before
