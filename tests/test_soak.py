"""The soak campaign: thousands of patron sessions with random faults, in scaled time.

One machine (the simulator at SPEED, the library emulator's clock at the same speed, a real
controller) serves a seeded stream of patrons: borrowing one or two books, now and then walking
away from the pickup door, browsing and leaving, refused, returning books. Before a few sessions
in a hundred a fault strikes (the library failing, slow or cut off; a jam on the next move; the
PLC hanging; a door blocked; tag read errors; garbage on a serial line); a machine out of service
is reset by the technician. Every CHECK_EVERY sessions, with the machine idle and the backlog
delivered: the journal's invariants, the journal against the simulator's ground truth book by
book, the library's loans against the journal's, `PRAGMA integrity_check`, and the controller's
memory (its slope is reported, and must stay under MAX_SLOPE_KB).

`make campaigns` runs SESSIONS (KIOSK_SOAK_SESSIONS, default 10,000); `make test` FAST_SESSIONS.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import time
from pathlib import Path

import pytest
import requests
from sqlite_utils import Database

from kiosk.journal.checks import consistency_problems
from kiosk.journal.reads import JournalReader
from kiosk_rig import TECHNICIAN_PIN, KioskRig
from soak_patrons import Patrons, StateStream
from crash_check import read_journal
from test_crash import assert_journal_is_the_world, wait_synced

SESSIONS = int(os.environ.get("KIOSK_SOAK_SESSIONS", "10000"))
FAST_SESSIONS = 60
SPEED = 500  # the simulator's and the library's clock: a day passes in 2.9 real minutes
SEED = 20261206
MEMBERS = 40
FAULT_RATE = 0.02  # sessions with a fault injected just before them
CHECK_EVERY = 500  # sessions between checks, at most (a shorter soak checks 20 times, at least
#                   every 100; the fast run every FAST_CHECK_EVERY)
FAST_CHECK_EVERY = 20
MAX_SLOPE_KB = 500.0  # the controller's RSS may grow at most this much per 1,000 sessions
ABOUT = (f"One machine (simulator and library clock at speed {SPEED}, a real controller) serves a "
         "seeded stream of patrons: borrowing one or two books, walking away from the pickup "
         "door, browsing and leaving, refused, returning books, with a fault before 2 % of the "
         "sessions (library 5xx, slow or reset; a jam on the next move; a PLC hang; a blocked "
         "door; tag read errors; garbage on a serial line) and a technician's reset when the "
         "machine goes out of service (with a book left on the picker by a jam: taken off "
         "through the service door into a free slot, which the technician audits). Every 500 sessions, idle and synced: journal invariants, "
         "journal vs the simulator book by book, the library's loans vs the journal's, "
         "integrity_check, and the controller's RSS (slope by least squares, from the second "
         "sample on).")


# -- faults -------------------------------------------------------------------------------------
def inject_fault(rig: KioskRig, rng: random.Random) -> str:
    """One seeded fault, in effect for the next session; its name."""
    kind = rng.choice(["library_5xx", "library_slow", "library_reset", "jam", "plc_hang",
                       "door_blocked", "tag_errors", "garbage"])
    if kind.startswith("library_"):
        spec = {"library_5xx": {"kind": "status", "status": 503},
                "library_slow": {"kind": "latency", "seconds": 0.5},
                "library_reset": {"kind": "drop"}}[kind]
        rig.sim.world_post("/faults/library", {"transport": "http", "count": 2, **spec})
    elif kind == "jam":
        rig.sim.world_post("/faults/jam", {"fault_code": rng.randint(1, 7)})
    elif kind == "plc_hang":
        rig.sim.world_post("/faults/plc-hang", {"hang": True})
        time.sleep(rng.uniform(0.1, 1.5))
        rig.sim.world_post("/faults/plc-hang", {"hang": False})
    elif kind == "door_blocked":
        rig.sim.world_post("/faults/door-blocked", {"door": rng.choice(["pickup", "return"])})
    elif kind == "tag_errors":
        rig.sim.world_post("/faults/rfid-errors", {"count": rng.randint(1, 3)})
    else:
        rig.sim.world_post("/faults/garbage", {"device": rng.choice(["rfid", "barcode"]),
                                               "hex": os.urandom(rng.randint(1, 24)).hex()})
    return kind


def technician_takes_the_book_off_the_picker(rig: KioskRig) -> bool:
    """A jam left a book on the picker: through the service door it goes by hand into its own
    slot (the journal's) or else the lowest empty one; a reset, then an audit of that slot.
    False when no book lies there."""
    world = rig.sim.world_get()
    if not world["picker"]:
        return False
    reader = read_journal(rig.directory / "state" / "journal.db")
    try:
        item = reader.item(world["picker"]["item_id"])
    finally:
        reader.db.conn.close()
    taken = set(map(int, world["slots"]))
    slot = item.slot if item is not None and item.slot is not None else None
    if slot is None or slot in taken:
        slot = next(s for s in range(1000) if s not in taken)
    rig.sim.world_post("/service-door", {"open": True})
    unloaded = requests.post(f"{rig.sim.world_url}/picker/unload", json={"to": slot}, timeout=10)
    rig.sim.world_post("/service-door", {"open": False})
    if unloaded.status_code == 409:  # the book had left the picker after all (a move ended)
        return False
    assert unloaded.status_code == 200, unloaded.text
    rig.control("reset")
    rig.wait_state(lambda s: s["state"] in ("ready", "out_of_service"))
    run = rig.control("audit", {"slots": [slot]})
    fixed = rig.ask("audit-fix", {"run_id": run["run_id"]}, pin=TECHNICIAN_PIN)
    assert fixed["ok"] or "already in the journal" in fixed["error"], fixed
    rig.wait_state("ready")
    return True


def back_in_service(rig: KioskRig, stream: StateStream, patrons: Patrons) -> None:
    """Out of service: the technician resets (at most three times); then ready again. A book
    a jam left on the picker is taken off first."""
    for _ in range(3):
        state = stream.wait(lambda s: s["state"] in ("ready", "out_of_service", "closed"))
        if state["state"] != "out_of_service":
            return
        # settled now (a reset's recovery may still be moving a book on the picker)
        state = rig.wait_state(lambda s: s["state"] in ("ready", "out_of_service", "closed"))
        if state["state"] != "out_of_service":
            return
        patrons.tally.out_of_service += 1
        rig.sim.world_post("/faults/library/clear")
        if technician_takes_the_book_off_the_picker(rig):
            patrons.tally.picker_cleared += 1
            continue
        rig.control("reset")
        patrons.tally.resets += 1
        time.sleep(0.2)
    state = stream.wait(lambda s: s["state"] in ("ready", "out_of_service"))
    assert state["state"] == "ready", f"still out of service after 3 tries: {state['fault']}"


# -- checks -------------------------------------------------------------------------------------
def rss_kb(rig: KioskRig) -> int:
    """The controller's resident memory, in KiB (VmRSS)."""
    status = Path(f"/proc/{rig.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))


def check_machine(rig: KioskRig, patrons: Patrons) -> None:
    """Idle and synced: the journal is the world, the library's loans are the journal's."""
    rig.wait_state("ready")
    wait_synced(rig)
    path = rig.directory / "state" / "journal.db"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        connection.execute("BEGIN")  # one snapshot for every read below
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        journal = JournalReader(Database(connection), slot_count=1000)
        assert consistency_problems(journal) == []
        assert_journal_is_the_world(journal, rig.sim.world_get())
        for member in patrons.members:
            ours = {loan.item_id for loan in journal.open_loans(member)}
            answer = rig.library("GET", f"/admin/patrons/{member}")
            library = {loan["item_id"] for loan in answer["loans"] if loan["returned_at"] is None}
            assert library == ours, f"{member}: library {library}, journal {ours}"
    finally:
        connection.close()


def slope_kb_per_1000(samples: list[tuple[int, int]]) -> float:
    """Least-squares growth of RSS (KiB) per 1,000 sessions, after the first (warm-up) sample."""
    warm = samples[1:]
    if len(warm) < 2:
        return 0.0
    sessions, rss = zip(*warm)
    return statistics.linear_regression(sessions, rss).slope * 1000


# -- the campaign ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sessions", [
    pytest.param(FAST_SESSIONS, id="fast", marks=pytest.mark.campaign(name="soak", fast=True)),
    pytest.param(SESSIONS, id="full", marks=pytest.mark.campaign(name="soak")),
])
def test_thousands_of_sessions_with_faults_keep_every_invariant(make_kiosk, campaign_facts,
                                                                 request, sessions: int):
    if sessions == FAST_SESSIONS and "campaign" in (request.config.option.markexpr or ""):
        pytest.skip("the whole soak runs in this campaign")
    rig = make_kiosk("--speed", str(SPEED), "--scaled-library-clock", pickup_timeout=2.0)
    rng = random.Random(SEED)
    stream = StateStream(rig)
    patrons = Patrons(rig, stream, rng, MEMBERS)
    patrons.enrol()
    every = FAST_CHECK_EVERY if sessions == FAST_SESSIONS else min(CHECK_EVERY,
                                                                   max(100, sessions // 20))
    samples, started, clock_before = [], time.monotonic(), rig.library("GET", "/admin/clock")
    try:
        for number in range(1, sessions + 1):
            if rng.random() < FAULT_RATE:
                kind = inject_fault(rig, rng)
                patrons.tally.faults[kind] = patrons.tally.faults.get(kind, 0) + 1
            patrons.session()
            back_in_service(rig, stream, patrons)
            if number % every == 0 or number == sessions:
                rig.sim.world_post("/faults/library/clear")
                check_machine(rig, patrons)
                samples.append((number, rss_kb(rig)))
                print(f"soak: {number} sessions in {time.monotonic() - started:.0f} s, RSS "
                      f"{samples[-1][1]} KiB, {patrons.tally}", flush=True)
    finally:
        stream.close()
    tally, slope = patrons.tally, slope_kb_per_1000(samples)
    clock_after = rig.library("GET", "/admin/clock")
    campaign_facts.update({
        "sessions": tally.sessions, "loans": tally.borrowed, "returns": tally.returned,
        "walked_away": tally.walked_away, "refused": tally.refused, "handed_back":
        tally.handed_back, "cart_refused": tally.cart_refused, "faults":
        sum(tally.faults.values()), "out_of_service": tally.out_of_service,
        "books_taken_off_the_picker": tally.picker_cleared,
        "rescans": tally.rescans, "checks": len(samples),
        "invariant_violations": 0, "faults_by_kind": ", ".join(
            f"{kind} {count}" for kind, count in sorted(tally.faults.items())),
        "memory": f"controller RSS {samples[0][1] / 1024:.1f} MiB after {samples[0][0]} "
                  f"sessions, {samples[-1][1] / 1024:.1f} MiB after {samples[-1][0]}; slope "
                  f"{slope:+.1f} KiB per 1,000 sessions (limit {MAX_SLOPE_KB:.0f})",
        "time": f"{(time.monotonic() - started) / 60:.1f} real minutes at speed {SPEED}; the "
                f"library's clock {clock_before['now'][:16]} to {clock_after['now'][:16]}",
        "about": ABOUT})
    assert tally.borrowed and tally.returned, tally
    if sessions >= 10 * every:  # enough samples for a slope that means something
        assert slope < MAX_SLOPE_KB, f"RSS grows {slope:.0f} KiB per 1,000 sessions: {samples}"
