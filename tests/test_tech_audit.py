"""kiosk audit on the running machine: it finds what the simulator changed behind the controller's
back, corrects the journal only when told to, and goes on after a patron interrupted it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from conftest import wait_for
from kiosk.control import ask as raw_ask
from kiosk_rig import TECHNICIAN_PIN


def ask(path, request: str, args: dict | None = None, timeout: float = 30.0, **kw) -> dict:
    """The control socket as a technician with the PIN asks it."""
    return raw_ask(path, request, args, timeout, pin=TECHNICIAN_PIN, **kw)


def cli(kiosk, *args: str) -> subprocess.CompletedProcess:
    """`kiosk --config <rig> ARGS --json` as a technician runs it."""
    env = {**os.environ, "KIOSK_PIN": TECHNICIAN_PIN}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(kiosk.config_path),
                           *args, "--json"], capture_output=True, text=True, timeout=300, env=env)


def occupied_and_free(kiosk) -> tuple[int, str, int]:
    """A slot with a book (and its item), and an empty slot."""
    world = kiosk.sim.world_get()
    slot, book = next(iter(world["slots"].items()))
    geometry = world["geometry"]
    free = next(s for s in range(geometry["levels"] * geometry["positions"])
                if str(s) not in world["slots"])
    return int(slot), book["item_id"], free


def test_an_audit_finds_a_book_moved_behind_the_controllers_back(kiosk):
    slot, item, free = occupied_and_free(kiosk)
    neighbour = slot + 1 if str(slot + 1) in kiosk.sim.world_get()["slots"] else slot
    kiosk.sim.world_post("/slots/move", {"from": slot, "to": free})

    found = cli(kiosk, "audit", str(slot), str(free), str(neighbour), "--no-fix")
    assert found.returncode == 6, found.stderr  # FOUND: mismatches, journal untouched
    report = json.loads(found.stdout)
    by_slot = {m["slot"]: m for m in report["mismatches"]}
    assert by_slot[slot]["mismatch"] == "missing" and by_slot[slot]["journal_item"] == item
    assert by_slot[free]["mismatch"] == "unexpected" and by_slot[free]["tag_item"] == item
    assert neighbour not in by_slot or neighbour == slot
    assert report["finished"] is True and report["pending_fix"] == 2
    assert ask(kiosk.control_socket, "present", {"slot": free})["result"]["journal_item"] is None

    fixed = cli(kiosk, "audit-fix", "--yes")
    assert fixed.returncode == 0, fixed.stderr
    assert ask(kiosk.control_socket, "present", {"slot": free})["result"]["journal_item"] == item
    assert ask(kiosk.control_socket, "present", {"slot": slot})["result"]["journal_item"] is None
    assert kiosk.control("flags") == []  # the book was found: nothing left to look at
    again = cli(kiosk, "audit", str(slot), str(free), "--no-fix")
    assert again.returncode == 0 and json.loads(again.stdout)["mismatches"] == []


def test_a_missing_book_stays_flagged_and_a_foreign_one_flags_its_slot(kiosk):
    slot, item, free = occupied_and_free(kiosk)
    kiosk.sim.world_post("/slots/move", {"from": slot, "to": None})  # taken out by someone
    answer = cli(kiosk, "audit", str(slot), "--yes")
    assert answer.returncode == 0, answer.stderr
    flags = kiosk.control("flags")
    assert [(f["reason"], f["item_id"]) for f in flags] == [("item_missing", item)]


def test_an_audit_gives_way_to_a_patron_and_resumes(kiosk):
    world = kiosk.sim.world_get()
    slots = sorted(int(s) for s in world["slots"])[:24]
    progress: list[dict] = []
    answers: list[dict] = []
    runner = threading.Thread(target=lambda: answers.append(ask(
        kiosk.control_socket, "audit", {"slots": slots}, 300, on_progress=progress.append)))
    runner.start()
    wait_for(lambda: len(progress) >= 3, 60, message="audit under way")
    kiosk.start_session()  # a patron taps a card: served after the slot at hand
    runner.join(60)
    result = answers[0]["result"]
    assert result["interrupted"] == "card" and result["ended_in"] == "gave_way"
    assert 0 < result["audited"] < len(slots) and result["finished"] is False
    assert kiosk.state()["state"] == "browsing"  # the patron was served
    kiosk.api("/api/session/end", {})
    kiosk.wait_state("ready")

    resumed = ask(kiosk.control_socket, "audit", {"resume": True}, 300)
    assert resumed["ok"], resumed
    assert resumed["result"]["audited"] == len(slots) and resumed["result"]["finished"]
    assert resumed["result"]["run_id"] == result["run_id"]
    assert resumed["result"]["mismatches"] == []


def test_an_audit_cut_by_a_power_failure_goes_on_after_the_restart(kiosk):
    import signal
    slots = sorted(int(s) for s in kiosk.sim.world_get()["slots"])[:20]
    progress: list[dict] = []
    runner = threading.Thread(target=lambda: _swallow(lambda: ask(
        kiosk.control_socket, "audit", {"slots": slots}, 300, on_progress=progress.append)))
    runner.start()
    wait_for(lambda: len(progress) >= 4, 60, message="audit under way")
    os.killpg(kiosk.process.pid, signal.SIGKILL)  # the controller dies mid-audit
    kiosk.process.wait()
    runner.join(30)
    kiosk.start()  # recovery, then ready
    assert kiosk.control("flags") == []  # a PRESENT moves no book: nothing to settle
    again: list[dict] = []
    resumed = ask(kiosk.control_socket, "audit", {"resume": True}, 300, on_progress=again.append)
    assert resumed["ok"], resumed
    result = resumed["result"]
    assert result["finished"] and result["audited"] == len(slots) and result["mismatches"] == []
    assert again[0]["done"] >= 3  # it went on where it was cut, not from the first slot


def _swallow(call) -> None:
    try:
        call()
    except OSError:  # the controller died under the request
        pass
