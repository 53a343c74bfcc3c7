"""End to end: `kiosk journal` and `kiosk sync` through the real CLI and control socket, with a
real conflict made by the library emulator (an offline loan to a patron blocked meanwhile)."""

from __future__ import annotations

import csv
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import date

from conftest import ROOT, wait_for
from kiosk_rig import TECHNICIAN_PIN
from test_kiosk_offline import SEEN_MEMBER, SEEN_MEMBER_CARD, library_down, library_up


def kiosk_cli(rig, *args: str) -> subprocess.CompletedProcess:
    """Run `kiosk --config <rig's> ARGS...` to the end."""
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(rig.config_path),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200", "KIOSK_PIN": TECHNICIAN_PIN})  # a wide SSH terminal


def cli_json(rig, *args: str, exit_code: int = 0):
    done = kiosk_cli(rig, *args, "--json")
    assert done.returncode == exit_code, (done.stdout, done.stderr)
    return json.loads(done.stdout)


def lend_offline_to_a_patron_blocked_meanwhile(rig) -> str:
    """The library objects to the loan when it comes back: a conflict (overdue). The item."""
    rig.start_session(SEEN_MEMBER_CARD)  # seen in good standing while the library answers
    rig.api("/api/session/end")
    rig.wait_state("ready")
    library_down(rig)
    try:
        item_id = rig.books()[0]["item_id"]
        rig.start_session(SEEN_MEMBER_CARD)
        rig.borrow([item_id])
        rig.api("/api/session/end")
        rig.wait_state("ready")
        rig.library("POST", f"/admin/patrons/{SEEN_MEMBER}/loans-elsewhere", {"days_overdue": 3})
    finally:
        library_up(rig)
    wait_for(lambda: rig.control("sync.status")["open_conflicts"] == 1, 60,
             message="the conflict reported")
    return item_id


def test_a_conflict_is_listed_with_the_library_reason_and_resolved(kiosk, tmp_path):
    assert kiosk_cli(kiosk, "sync", "conflicts").returncode == 0  # none yet
    item_id = lend_offline_to_a_patron_blocked_meanwhile(kiosk)
    wait_for(lambda: kiosk.control("sync.status")["backlog"] == 0, 60, message="catch-up")

    status = cli_json(kiosk, "sync", "status")
    assert (status["online"], status["backlog"], status["open_conflicts"]) == (True, 0, 1)
    assert status["last_delivery_at"] is not None and status["last_error"] is None

    [conflict] = cli_json(kiosk, "sync", "conflicts", exit_code=6)
    assert (conflict["kind"], conflict["item_id"], conflict["reason"], conflict["todo"]) == (
        "checkout", item_id, "overdue", "review_at_library")
    assert conflict["patron_id"] == SEEN_MEMBER and conflict["resolved_at"] is None
    human = kiosk_cli(kiosk, "sync", "conflicts")
    assert human.returncode == 6 and conflict["event_id"] in human.stdout

    done = kiosk_cli(kiosk, "sync", "resolve", conflict["event_id"], "--by", "Lee",
                     "--note", "patron's account settled at the desk")
    assert done.returncode == 0, done.stderr
    assert kiosk_cli(kiosk, "sync", "conflicts").returncode == 0  # nothing open
    [settled] = cli_json(kiosk, "sync", "conflicts", "--all")
    assert (settled["event_id"], settled["resolved_by"], settled["note"]) == (
        conflict["event_id"], "Lee", "patron's account settled at the desk")
    assert kiosk.control("status")["sync"]["conflicts"] == 0
    again = kiosk_cli(kiosk, "sync", "resolve", conflict["event_id"], "--by", "Kim")
    assert again.returncode == 1 and "resolved by Lee" in again.stderr
    not_one = kiosk_cli(kiosk, "sync", "resolve", "no-such-event", "--by", "Kim")
    assert not_one.returncode == 1 and "not an outbox conflict" in not_one.stderr

    kinds = [e["kind"] for e in cli_json(kiosk, "journal", "tail", "-n", "50")]
    assert kinds[-1] == "conflict_resolved" and "vend_taken" in kinds

    export = tmp_path / "journal.csv"
    done = kiosk_cli(kiosk, "journal", "export", "--since", date.today().isoformat(),
                     "--output", str(export))
    assert done.returncode == 0, done.stderr
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    taken = [r for r in rows if r["kind"] == "vend_taken" and r["item_id"] == item_id]
    assert len(taken) == 1 and json.loads(taken[0]["payload"])["offline"] is True
    assert rows[-1]["kind"] == "conflict_resolved"
    everything = cli_json(kiosk, "journal", "export")
    assert [e["seq"] for e in everything] == sorted(e["seq"] for e in everything)
    assert len(everything) >= len(rows)
    later = cli_json(kiosk, "journal", "export", "--since", "2999-01-01")
    assert later == []
    bad = kiosk_cli(kiosk, "journal", "export", "--since", "yesterday")
    assert bad.returncode == 1 and "not a date" in bad.stderr


def test_journal_tail_follow_shows_new_events_as_they_come(kiosk):
    follow = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "--config", str(kiosk.config_path), "journal",
         "tail", "-n", "1", "--follow", "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in follow.stdout],
                     daemon=True).start()
    try:
        first = json.loads(lines.get(timeout=30))
        kiosk.start_session(SEEN_MEMBER_CARD)  # the library's answer is journaled
        while True:
            event = json.loads(lines.get(timeout=30))
            assert event["seq"] > first["seq"]
            if event["kind"] == "patron_verified":
                break
        assert event["patron_id"] == SEEN_MEMBER
    finally:
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=30) == 0, follow.stderr.read()
