"""The crash and power-cut campaigns: SIGKILL the controller at every named point and at random
moments of six activities (checkout, prefetch, return, load, audit, re-slot), restart it, and
compare its journal with the simulator's ground truth and the library after every restart.

One machine per case, killed many times: strike (a named point, or a seeded random moment
within the activity), restart, let recovery settle, look (crash_check.inspect), carry on with
the next strike. Each strike and its look is one run. In the power-cut campaign the PLC loses
power at the moment of each kill too (its SEQ records gone: only the sensors and the tags prove
where a book is).

`make test` runs the fast cases (one per activity, two random strikes each, and a power cut
with a book on the picker); `make campaigns` (`-m campaign`) runs them all: per activity, the
named points once and seeded random moments, for both campaigns (about 14 min on two workers).
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass

import pytest

from conftest import wait_for
from crash_activities import ACTIVITIES, Activity, RunningJob
from crash_check import Findings, case_facts, inspect
from crash_strike import (
    Strike,
    restart_and_settle,
    strike_at_point,
    strike_at_random,
    technician_clears_the_picker,
)
from kiosk_rig import GOOD_MEMBER, KioskRig

RANDOM_KILLS = {"crash": 26, "power_cut": 10}  # random moments per full case
SEEDS = {"crash": 1, "power_cut": 1}  # full cases per activity
FAST_KILLS = 2  # random moments in a fast case
PICKUP_TIMEOUT = 1.0  # s: a patron who walks away from the pickup door is not waited for long


@dataclass(frozen=True)
class Case:
    """One machine: an activity, killed `kills` times at random (and at its named points)."""

    campaign: str
    activity: str
    seed: int
    kills: int
    named: bool
    fast: bool = False

    @property
    def param(self):
        """The pytest case, marked for its campaign."""
        kind = "fast" if self.fast else f"seed{self.seed}"
        return pytest.param(self, id=f"{self.campaign}-{self.activity}-{kind}",
                            marks=pytest.mark.campaign(name=self.campaign, fast=self.fast))


def cases() -> list[Case]:
    """Every case: the full ones of both campaigns (the longest first), then a fast one per
    activity."""
    found = [Case(campaign, name, seed, RANDOM_KILLS[campaign], named=seed == 0)
             for campaign in ("crash", "power_cut") for seed in range(SEEDS[campaign])
             for name in ACTIVITIES]
    return found + [Case("crash", name, 0, FAST_KILLS, named=False, fast=True)
                    for name in ACTIVITIES]


# -- one case --------------------------------------------------------------------------------------
def calibrate(rig: KioskRig, activity: Activity, rng: random.Random) -> float:
    """Run the activity once untouched; its duration in seconds."""
    activity.prepare(rig, rng)
    began = time.monotonic()
    activity.run(rig, rng)
    return time.monotonic() - began


def strikes(case: Case, activity: Activity, rng: random.Random, seconds: float) -> list[Strike]:
    """The named points (once each), then random moments spread over the activity's length."""
    named = [Strike(point=point) for point in activity.named_points] if case.named else []
    moments = [Strike(at=seconds * (n + rng.random()) / case.kills) for n in range(case.kills)]
    rng.shuffle(moments)
    return named + moments


def look(rig: KioskRig, state: dict) -> Findings:
    """Compare journal, world and library once recovery has settled."""
    journal = rig.directory / "state" / "journal.db"
    if state["state"] != "ready":
        assert state["fault"] and state["fault"]["code"] and state["fault"]["detail"], state
        return inspect(journal, rig.sim.world_get(), None, at_rest=False)
    wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")
    loans = rig.library("GET", f"/admin/patrons/{GOOD_MEMBER}")["loans"]
    return inspect(journal, rig.sim.world_get(), loans)


class Tally:
    """The case's campaign facts, filled as it goes."""

    def __init__(self, case: Case, facts: dict) -> None:
        self.facts = facts
        facts.update(case_facts(case.campaign, case.activity))

    def add(self, strike: Strike, at_rest: bool, power_cut: bool, state: dict,
            findings: Findings) -> None:
        """One run: a kill and the look after it."""
        f = self.facts
        f["runs"] += 1
        f["kills"] += 1
        f["named_points" if strike.point else "random_moments"] += 1
        f["kills_at_rest"] += at_rest
        f["power_cuts"] += power_cut
        f["out_of_service"] += state["state"] != "ready"
        findings.count_into(f)


def kill_once(rig: KioskRig, activity: Activity, strike: Strike, power_cut: bool,
              rng: random.Random, tally: Tally) -> None:
    """One run: strike, restart, settle, look; a book left on the picker is put back by the
    technician, and the machine looked at again."""
    if strike.point:
        struck = strike_at_point(rig, activity, strike.point, power_cut, rng)
    else:
        struck = strike_at_random(rig, activity, strike.at, power_cut, rng)
    activity.hands_while_down(rig, rng)
    state = restart_and_settle(rig)
    findings = look(rig, state)
    tally.add(strike, struck.at_rest, power_cut, state, findings)
    where = f"killed at {strike.label} in state {struck.state}"
    print(f"{activity.name} {where}: {state['state']} {state['fault'] or ''}, "
          f"{findings.open_flags} flags")
    assert findings.clean, f"{where}: {findings.describe()}\n{rig.log()[-3000:]}"
    if state["state"] == "ready":
        return
    assert state["fault"]["code"] == "picker_loaded", f"{where}: {state['fault']}"
    technician_clears_the_picker(rig)
    tally.facts["books_taken_off_the_picker"] += 1
    findings = look(rig, rig.state())
    assert findings.clean and findings.open_flags == 0, f"{where}: {findings.describe()}"


@pytest.mark.parametrize("case", [c.param for c in cases()])
def test_a_kill_during_an_activity_loses_nothing_and_invents_nothing(make_kiosk, campaign_facts,
                                                                     case: Case):
    rig = make_kiosk(pickup_timeout=PICKUP_TIMEOUT)
    activity = ACTIVITIES[case.activity]()
    rng = random.Random(f"{case.campaign}:{case.activity}:{case.seed}:{case.fast}")
    tally = Tally(case, campaign_facts)
    seconds = calibrate(rig, activity, rng)
    for strike in strikes(case, activity, rng, seconds):
        kill_once(rig, activity, strike, case.campaign == "power_cut", rng, tally)
    campaign_facts.update(activity.facts())


@pytest.mark.campaign(name="power_cut", fast=True)
def test_a_power_cut_with_a_book_on_the_picker_flags_it_until_the_technician_puts_it_back(
        make_kiosk, campaign_facts):
    rig = make_kiosk("--speed", "4")  # slower: the book stays on the picker long enough to see
    tally = Tally(Case("power_cut", "reslot", 0, 1, named=False, fast=True), campaign_facts)
    job = RunningJob(rig, "reslot", {"max_moves": 1})
    wait_for(lambda: rig.sim.world_get()["picker"], 60, interval=0.005,
             message="a book on the picker")
    os.killpg(rig.process.pid, signal.SIGKILL)
    rig.sim.world_post("/faults/plc-power-cycle")
    rig.process.wait(timeout=30)
    job.join(30)
    book = rig.sim.world_get()["picker"]["item_id"]

    state = restart_and_settle(rig)
    assert (state["state"], state["fault"]["code"]) == ("out_of_service", "picker_loaded")
    findings = look(rig, state)
    tally.add(Strike(point="book on the picker"), False, True, state, findings)
    assert findings.clean and findings.open_flags == 1, findings.describe()
    [flag] = rig.control("flags")
    assert (flag["item_id"], flag["place"], flag["reason"]) == (book, "picker",
                                                               "move_unconfirmed")
    rig.stop()
    restart_and_settle(rig)  # a second start does not flag the same book again
    assert look(rig, rig.state()).open_flags == 1

    slot = technician_clears_the_picker(rig)
    tally.facts["books_taken_off_the_picker"] += 1
    findings = look(rig, rig.state())
    assert findings.clean and findings.open_flags == 0, findings.describe()
    assert str(slot) in rig.sim.world_get()["slots"]
