"""The crash campaign at random moments: SIGKILL anywhere in a patron's visit (seeded).

Named points (tests/test_crash.py) prove each step; here a killer thread strikes at a random
time during a visit that borrows, maybe leaves a book untaken, and returns one, with the PLC
sometimes losing power too. However it ends, the restarted controller is ready, or out of
service saying why; the journal agrees with the world wherever it does not flag a doubt; the
library agrees with the journal; no loan is lost or invented.

`make test` runs the first FAST_SEEDS seeds; `make campaigns` (`-m campaign`) runs them all.
"""

from __future__ import annotations

import os
import random
import signal
import threading

import pytest
import requests

from conftest import wait_for
from crash_check import case_facts, inspect
from kiosk_rig import GOOD_MEMBER, KioskRig
from test_crash import (
    assert_journal_is_the_world,
    assert_library_agrees,
    assert_loans_agree,
    open_journal,
)
from kiosk.journal.checks import consistency_problems

SEEDS = range(int(os.environ.get("KIOSK_RANDOM_CRASHES", "8")))
FAST_SEEDS = 3
PATIENCE = 120  # seconds for the restarted controller to settle
VISIT_SECONDS = 1.6  # a whole visit at the simulator's speed 20: the killer strikes within it


def visit(rig: KioskRig, rng: random.Random) -> None:
    """Borrow one or two books (taking each, or walking away), then return one."""
    rig.start_session()
    books = [b["item_id"] for b in rig.books()[: rng.choice([1, 2])]]
    for item_id in books:
        rig.api("/api/cart/add", {"item_id": item_id})
    rig.api("/api/cart/confirm")
    for _ in books:
        rig.wait_state("awaiting_take")
        if rng.random() < 0.8:
            rig.sim.world_post("/pickup/take")
        rig.wait_state(lambda s: s["state"] != "awaiting_take")
    rig.wait_state(lambda s: s["state"] in ("browsing", "ready"))
    rig.api("/api/session/end")
    rig.wait_state("ready")
    out = [e["item_id"] for e in rig.sim.world_get()["out"] if e["item_id"] in books]
    if out:
        rig.api("/api/return")
        rig.wait_state("awaiting_insert")
        rig.sim.world_post("/return/insert", {"item_id": out[0]})
        rig.wait_state("ready")


def kill_at_random(rig: KioskRig, seconds: float, struck: list[str]) -> threading.Thread:
    """SIGKILL the controller's process group after `seconds`; `struck` gets the state then."""
    pid = rig.process.pid

    def strike() -> None:
        try:
            struck.append(rig.state()["state"])
        except requests.RequestException:
            struck.append("unknown")
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killer = threading.Timer(seconds, strike)
    killer.start()
    return killer


def hands_while_down(rig: KioskRig, rng: random.Random) -> bool:
    """While the controller is dead the patron may take a book shown, and the PLC may lose
    power (True)."""
    world = rig.sim.world_get()
    if world["pickup_port"] and not world["sensors"]["pickup_door_closed"] and rng.random() < 0.5:
        rig.sim.world_post("/pickup/take")
    if rng.random() < 0.3:
        rig.sim.world_post("/faults/plc-power-cycle")
        return True
    return False


def record_run(rig: KioskRig, facts: dict, state: dict, world: dict, power_cut: bool) -> None:
    """The campaign's facts of this run (one kill at a random moment), from the common look."""
    facts.update(case_facts("crash", "visit (checkout and return)"))
    facts.update(runs=1, kills=1, random_moments=1, power_cuts=int(power_cut),
                 out_of_service=int(state["state"] != "ready"))
    ready = state["state"] == "ready"
    loans = rig.library("GET", f"/admin/patrons/{GOOD_MEMBER}")["loans"] if ready else None
    findings = inspect(rig.directory / "state" / "journal.db", world, loans, at_rest=ready)
    findings.count_into(facts)
    assert findings.clean, findings.describe()


@pytest.mark.parametrize("seed", [
    pytest.param(seed, marks=pytest.mark.campaign(name="crash", fast=seed < FAST_SEEDS))
    for seed in SEEDS])
def test_a_kill_at_a_random_moment_loses_nothing_and_says_why(make_kiosk, campaign_facts, seed):
    rng = random.Random(seed)
    rig = make_kiosk(pickup_timeout=2.0)
    struck: list[str] = []
    killer = kill_at_random(rig, rng.uniform(0.05, VISIT_SECONDS), struck)
    try:
        visit(rig, rng)
    except (requests.ConnectionError, AssertionError):
        pass  # the controller died under the patron's hands
    killer.join()
    rig.process.wait(timeout=30)
    power_cut = hands_while_down(rig, rng)

    print(f"seed {seed}: killed in state {struck}")
    rig.start(wait_ready=False)
    state = rig.wait_state(lambda s: s["state"] in ("ready", "out_of_service"), PATIENCE)
    if state["state"] == "out_of_service":
        assert state["fault"]["code"] and state["fault"]["detail"], state["fault"]
    else:
        wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")
    rig.stop()
    world = rig.sim.world_get()
    record_run(rig, campaign_facts, state, world, power_cut)
    with open_journal(rig) as journal:
        assert consistency_problems(journal) == []
        flagged = {f.item_id for f in journal.open_flags() if f.item_id}
        assert_loans_agree(journal, world, flagged)
        if state["state"] == "ready":
            assert_journal_is_the_world(journal, world)
            assert_library_agrees(rig, journal, [])
        assert all(loan.patron_id == GOOD_MEMBER for loan in journal.open_loans())
