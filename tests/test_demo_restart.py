"""The demo machine lives across restarts: world, library and journal stay; the second run is like the first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, start_sim, vpcd_port
from kiosk_rig import GOOD_MEMBER
from sim import store
from sim.world import World


def open_loans(rig) -> list[str]:
    """The good member's open loans, as the library emulator knows them."""
    patron = rig.library("GET", f"/admin/patrons/{GOOD_MEMBER}")
    return sorted(loan["item_id"] for loan in patron["loans"] if not loan["returned_at"])


def test_a_restarted_machine_keeps_its_books_loans_and_journal(make_kiosk, request):
    rig = make_kiosk()
    item = rig.books()[0]["item_id"]
    rig.start_session()
    rig.borrow([item])
    rig.api("/api/session/end")
    rig.wait_state(lambda s: s["state"] == "ready" and s["backlog"] == 0)
    before = rig.sim.world_get()
    rig.stop()
    rig.sim.stop()

    rig.sim = start_sim(rig.sim.state_dir, "--speed", "20")
    request.addfinalizer(rig.sim.stop)
    rig.start()
    after = rig.sim.world_get()
    assert after["slots"] == before["slots"] and len(after["slots"]) == 959
    assert [book["item_id"] for book in after["out"]] == [item]
    status = rig.control("status")
    assert (status["items_in_slots"], status["on_loan"], status["open_flags"]) == (959, 1, 0)
    assert open_loans(rig) == [item]

    state = rig.return_book({"item_id": item})  # the journal remembers whose book it is
    assert state["state"] == "ready" and state["notice"]["code"] == "return_accepted"
    rig.wait_state(lambda s: s["backlog"] == 0)
    assert open_loans(rig) == []
    assert item in {book["item_id"] for book in rig.sim.world_get()["slots"].values()}


# -- scripts/demo.py itself, in a checkout-like tree (its own .state, the UI on any free port) ----

@pytest.fixture
def tree(tmp_path: Path, pcscd_reader) -> Path:
    """config/ and scripts/ copied into a tree whose demo config serves the UI on a free port
    (the demo's simulator taps on this test process's vpcd reader)."""
    tree = tmp_path / "checkout"
    shutil.copytree(ROOT / "config", tree / "config")
    shutil.copytree(ROOT / "scripts", tree / "scripts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    config = tree / "config" / "demo.toml"
    text = config.read_text()
    assert "port = 8080" in text
    config.write_text(text.replace("port = 8080", "port = 0"))
    return tree


def demo(tree: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the demo with the scripted patron at speed 20, as `make demo DEMO_ARGS=...` does."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, str(tree / "scripts" / "demo.py"), "--speed", "20",
                           "--vpcd-port", str(vpcd_port()), "--patron", *args],
                          capture_output=True, text=True, env=env, timeout=600)


def test_the_demo_twice_then_reset(tree):
    first = demo(tree, "--reset")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "A new machine: stocked 960 books" in first.stdout
    assert "the library agrees" in first.stdout

    second = demo(tree)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "remembers 959 books in slots and 1 on loan" in second.stdout
    assert "borrowed on an earlier visit" in second.stdout
    assert "may borrow 2" in second.stdout and "the library agrees" in second.stdout

    third = demo(tree, "--reset")
    assert third.returncode == 0, third.stdout + third.stderr
    assert "A new machine: stocked 960 books" in third.stdout
    assert "earlier visit" not in third.stdout


def test_a_failing_step_shows_its_own_message(tree):
    sim_state = tree / ".state" / "sim"
    sim_state.mkdir(parents=True)
    store.save(sim_state / store.WORLD_FILE, World(), store.Retained())  # an empty drum
    run = demo(tree)
    assert run.returncode == 1
    assert "demo: `kiosk stock" in run.stderr and "'items' must be a non-empty list" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (sim_state / "endpoints.json").exists()  # the simulator was stopped cleanly
