"""One strike of the crash campaign: kill the controller during an activity, restart, settle.

A strike is a named crash point (the controller kills itself there: KIOSK_CRASH_AT) or a random
moment (a timer SIGKILLs its process group). With `power_cut` the PLC loses power at the same
moment. While the controller is down a person at the machine may act (the activity's
`hands_while_down`); once restarted, recovery settles every open intent while a person takes
back whatever the machine pushes out of the return slot.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from crash_activities import Activity, RunningJob
from crash_check import read_journal
from kiosk.journal import Place
from kiosk_rig import KioskRig

SETTLE_PATIENCE = 120.0  # seconds for a restarted controller to settle
SETTLED = ("ready", "out_of_service")
NAMED_TRIES = 6  # activities run to reach a named point the patron's choices may avoid
LATE_TRIES = 3  # draws of a random moment that fell after the activity had ended


@dataclass
class Strike:
    """Where to kill: a named point, or `at` seconds into the activity."""

    point: str | None = None
    at: float = 0.0

    @property
    def label(self) -> str:
        """For messages."""
        return self.point or f"{self.at:.2f} s"


@dataclass
class Struck:
    """What a strike did."""

    state: str = "?"  # the kiosk's state as the killer struck
    at_rest: bool = False  # the activity had ended before the kill (a kill at rest)
    seconds: list[float] = field(default_factory=list)  # the activity's durations seen


class Killer:
    """SIGKILL the controller's process group after `seconds` (and cut the PLC's power)."""

    def __init__(self, rig: KioskRig, seconds: float, power_cut: bool) -> None:
        self.rig, self.power_cut = rig, power_cut
        self.killed = threading.Event()  # set as the signal is sent
        self.struck = threading.Event()  # set once the strike is complete (power cut too)
        self.state = "?"
        self.kill_time = float("inf")  # time.monotonic() as the signal went out
        self.pid = rig.process.pid
        self._timer = threading.Timer(seconds, self._strike)
        self._timer.start()

    def _strike(self) -> None:
        try:
            self.state = self.rig.state()["state"]
        except requests.RequestException:
            self.state = "unknown"
        self.kill_time = time.monotonic()
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.killed.set()
        if self.power_cut:
            self.rig.sim.world_post("/faults/plc-power-cycle")
        self.struck.set()

    def cancel(self) -> bool:
        """Stop the timer if it has not struck; True when it was stopped in time."""
        self._timer.cancel()
        self._timer.join()
        return not self.struck.is_set()


def controller_dead(rig: KioskRig) -> bool:
    """The controller's process has ended."""
    return rig.process is not None and rig.process.poll() is not None


def run_to_death(activity: Activity, rig: KioskRig, rng: random.Random) -> bool:
    """Run the activity; True when the controller died under it (its errors are swallowed),
    False when it ran to its end."""
    try:
        activity.prepare(rig, rng)
        activity.run(rig, rng)
    except (OSError, AssertionError, pytest.fail.Exception):
        time.sleep(0.2)  # a request may fail a moment before the process is gone
        if not controller_dead(rig):
            raise
        return True
    return False


def strike_at_point(rig: KioskRig, activity: Activity, point: str, power_cut: bool,
                    rng: random.Random) -> Struck:
    """Restart the controller to die at `point`; run the activity until it does."""
    rig.stop()
    rig.start(crash_at=point)
    for _ in range(NAMED_TRIES):
        if run_to_death(activity, rig, rng):
            break
    else:
        pytest.fail(f"{activity.name}: crash point {point} never reached")
    rig.wait_exit(timeout=30)
    assert rig.process.returncode == -signal.SIGKILL, rig.process.returncode
    assert f"crash point {point} reached" in rig.log(), rig.log()[-2000:]
    if power_cut:
        rig.sim.world_post("/faults/plc-power-cycle")
    return Struck(state=point)


def strike_at_random(rig: KioskRig, activity: Activity, at: float, power_cut: bool,
                     rng: random.Random) -> Struck:
    """Kill the controller `at` seconds into the activity; a moment that falls after the
    activity's end is drawn again within what it took (at most LATE_TRIES times)."""
    struck = Struck()
    for attempt in range(LATE_TRIES + 1):
        activity.prepare(rig, rng)
        killer = Killer(rig, at, power_cut)
        began = time.monotonic()
        try:
            activity.run(rig, rng)
        except (OSError, AssertionError, pytest.fail.Exception):
            failed_at = time.monotonic()
            if not killer.killed.wait(timeout=2.0) or killer.kill_time > failed_at:
                killer.cancel()
                raise  # the activity failed by itself, before the killer struck
            killer.struck.wait(timeout=30)
        else:
            struck.seconds.append(time.monotonic() - began)
            if attempt < LATE_TRIES and killer.cancel():
                at = rng.uniform(0.0, struck.seconds[-1])
                continue
            struck.at_rest = not killer.struck.is_set()
            killer.struck.wait()
        break
    rig.process.wait(timeout=30)
    struck.state = killer.state
    return struck


def restart_and_settle(rig: KioskRig) -> dict:
    """Start the controller again and wait until recovery has settled (ready, or out of
    service saying why), taking back any book pushed out of the return slot meanwhile."""
    rig.start(wait_ready=False)
    deadline = time.monotonic() + SETTLE_PATIENCE
    while time.monotonic() < deadline:
        state = rig.state()
        if state["state"] in SETTLED:
            return state
        if rig.sim.world_get().get("return_opening"):
            rig.sim.world_post("/return/take-back")
        time.sleep(0.05)
    pytest.fail(f"the controller never settled: {rig.state()}\n{rig.log()[-3000:]}")


def technician_clears_the_picker(rig: KioskRig) -> int:
    """Out of service with a book left on the picker (flagged by recovery): the technician takes
    it off through the service door, puts it into the slot its move came from (or was going
    to), resets the machine and audits that slot, which locates the book and clears the flag.
    Returns the slot."""
    world = rig.sim.world_get()
    reader = read_journal(rig.directory / "state" / "journal.db")
    try:
        flag = next(f for f in reader.open_flags() if f.place == Place.PICKER)
        intent = reader.intent(flag.intent_id) if flag.intent_id else None
        wanted = [intent.slot, intent.to_slot] if intent else []
        wanted += reader.free_slots()
    finally:
        reader.db.conn.close()
    slot = next(s for s in wanted if s is not None and str(s) not in world["slots"])
    rig.sim.world_post("/service-door", {"open": True})
    rig.sim.world_post("/picker/unload", {"to": slot})
    rig.sim.world_post("/service-door", {"open": False})
    rig.control("reset")
    state = rig.wait_state(lambda s: s["state"] in SETTLED, SETTLE_PATIENCE)
    assert state["state"] == "ready", state["fault"]
    audit = RunningJob(rig, "audit", {"slots": [slot]}).result()
    assert [m["mismatch"] for m in audit["mismatches"]] == ["unexpected"], audit
    rig.control("audit-fix", {"run_id": audit["run_id"]})
    return slot
