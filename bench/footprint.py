"""The controller's footprint on the simulated machine: its memory, its CPU while idle with every
device connected, and its start to ready after a power cut."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench.vend_overhead import StateFeed, percentile
from drivers.carousel.geometry import REFERENCE_TIMING

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from conftest import ROOT, SimHandle, start_sim  # noqa: E402  (the end-to-end tests' machine)
from kiosk_rig import CONFIG, DEMO_TOKEN, GOOD_MEMBER, GOOD_MEMBER_CARD, KioskRig  # noqa: E402

TITLE = "Footprint"
SPEED = 10.0  # the simulator's; the controller's own timers (polls, waits) are real time
SESSIONS = 6  # patron sessions between the two memory readings: card, browse, a loan, a return
IDLE_SECONDS = 30.0  # the kiosk ready and untouched while its CPU time is counted
POWER_CUTS = 5
BUDGET_RSS = 80 * 2**20  # bytes (issue 13)
BUDGET_IDLE_CPU = 0.02  # of one core
BUDGET_START = 2.0  # seconds from the process's start to ready, homing's mechanics excluded
HOMING_STARTED = 'msg="PLC state NOT_HOMED -> BUSY"'  # the controller's log: HOME under way
HOMING_ENDED = 'msg="PLC state BUSY -> IDLE"'
WAIT = 60.0


@dataclass(frozen=True)
class Memory:
    """A process's resident set now and its peak, in bytes (/proc/PID/status)."""

    rss: int
    peak: int


@dataclass(frozen=True)
class Cpu:
    """CPU seconds a process used (every thread, user and system) over `wall` seconds."""

    seconds: float
    wall: float

    @property
    def share(self) -> float:
        """Of one core."""
        return self.seconds / self.wall


@dataclass(frozen=True)
class Restart:
    """One start after a power cut, in seconds from the process's start."""

    api: float  # the patron API answers (kiosk.json written)
    homing: float | None  # HOME under way (the controller's log; None: not logged)
    homed: float | None  # HOME done (the controller's log)
    ready: float  # the kiosk ready for a patron (its event stream)
    home_mechanics: float  # what HOME takes at this speed: the timing model's seconds / speed

    @property
    def without_homing(self) -> float:
        """Start to ready less homing's mechanics: the controller's own time."""
        return self.ready - self.home_mechanics


@dataclass
class Footprint:
    """Everything one run measured."""

    speed: float
    started: Memory  # the controller ready, before any patron
    after: Memory  # after the sessions
    sessions: int
    idle: Cpu  # the controller, ready
    sim_idle: Cpu  # the simulator over the same seconds, for context
    restarts: list[Restart] = field(default_factory=list)
    restarted: list[Memory] = field(default_factory=list)  # each restart's process, ready
    stocked: Memory | None = None  # after stocking the demo collection (before the sessions)
    imports: list[float] = field(default_factory=list)  # s to import the controller's modules
    devices: tuple[str, ...] = ()  # what the controller reported connected


# -- /proc -------------------------------------------------------------------------
def memory(pid: int) -> Memory:
    """VmRSS and VmHWM of `pid`."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024  # kB
    return Memory(fields["VmRSS"], fields["VmHWM"])


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (its threads included), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_name = stat[stat.rindex(")") + 2:].split()  # the name may hold spaces
    utime, stime = int(after_name[11]), int(after_name[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def import_seconds(count: int = 3) -> list[float]:
    """Wall seconds of a fresh interpreter importing the controller (`kiosk run`'s modules)."""
    seconds = []
    for _ in range(count):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import kiosk.cli, kiosk.app"], cwd=ROOT,
                       check=True, timeout=60)
        seconds.append(time.perf_counter() - began)
    return seconds


def idle_cpu(pids: Sequence[int], seconds: float) -> list[Cpu]:
    """Each process's CPU over the same `seconds`."""
    before, began = [cpu_seconds(pid) for pid in pids], time.monotonic()
    time.sleep(seconds)
    after, wall = [cpu_seconds(pid) for pid in pids], time.monotonic() - began
    return [Cpu(b - a, wall) for a, b in zip(before, after)]


# -- the machine -------------------------------------------------------------------
def kiosk_rig(sim: SimHandle, directory: Path) -> KioskRig:
    """tests/kiosk_rig.py's controller config with the library's holds pulled at the default
    interval (the tests pull every second: not what an idle kiosk does)."""
    directory.mkdir(parents=True)
    (directory / "token").write_text(DEMO_TOKEN)
    text = CONFIG.format(endpoints=sim.state_dir / "endpoints.json",
                         policy="always_open = true", pickup_timeout=10.0)
    if "holds_every = 1.0\n" not in text:
        raise RuntimeError("tests/kiosk_rig.py's CONFIG changed: update bench/footprint.py")
    config = directory / "kiosk.toml"
    config.write_text(text.replace("holds_every = 1.0\n", ""))
    return KioskRig(sim=sim, directory=directory, config_path=config)


def connected_devices(rig: KioskRig) -> tuple[str, ...]:
    """The devices `kiosk status` reports working (the PLC as its poller last read it, the
    readers by their own word); an error names any that is not."""
    status = rig.control("status")
    plc = status["plc"]["state"]
    readers = status["readers"]
    if plc not in ("idle", "not_homed", "busy") or not all(r["ok"] for r in readers.values()):
        raise RuntimeError(f"not every device works: PLC {plc}, readers {readers}")
    return ("plc", *sorted(readers))


def patron_session(rig: KioskRig, item_id: str, via: str = "card") -> None:
    """A card tap or a member's QR code, the catalogue, one book borrowed and taken, then
    given back through the return slot (RFID reads it): every device has its turn."""
    if via == "card":
        rig.start_session(GOOD_MEMBER_CARD)
    else:
        before = rig.state()["identifications"]
        rig.sim.world_post("/barcode/scan", {"data": GOOD_MEMBER, "symbology": "]Q1"})
        rig.wait_state(lambda s: s["identifications"] > before)
        rig.wait_state("browsing")
    rig.api_get("/api/catalogue")
    state = rig.borrow([item_id])
    if state["state"] == "browsing":
        rig.api("/api/session/end")
    rig.wait_state("ready")
    if rig.return_book({"item_id": item_id})["state"] != "ready":
        raise RuntimeError(f"the return of {item_id} did not end ready")


def log_stamp(log: str, marker: str, after: float) -> float | None:
    """Epoch seconds of the first line of the controller's log with `marker` after `after`."""
    for line in log.splitlines():
        if marker in line and line.startswith("ts="):
            stamp = datetime.fromisoformat(line[3:line.index(" ")]).timestamp()
            if stamp >= after:
                return stamp
    return None


def power_cut(rig: KioskRig, speed: float) -> Restart:
    """SIGKILL the controller and power-cycle the PLC; start the controller, until ready."""
    os.killpg(rig.process.pid, signal.SIGKILL)
    rig.process.wait()
    rig.sim.world_post("/faults/plc-power-cycle")
    began = time.time()
    rig.start(wait_ready=False)
    api = time.time()
    feed = StateFeed(rig.ui_url)
    try:
        arrived = feed.wait(0, lambda s: s["state"] == "ready", WAIT)
    finally:
        feed.close()
    ready = time.time() - (time.perf_counter() - arrived)  # the snapshot's arrival, epoch
    log = rig.log()
    homing = log_stamp(log, HOMING_STARTED, began)
    homed = log_stamp(log, HOMING_ENDED, homing) if homing is not None else None
    return Restart(api - began, None if homing is None else homing - began,
                   None if homed is None else homed - began, ready - began,
                   REFERENCE_TIMING.home / speed)


def measure(root: Path, sessions: int = SESSIONS, idle_seconds: float = IDLE_SECONDS,
            power_cuts: int = POWER_CUTS, speed: float = SPEED) -> Footprint:
    """Start kiosk-sim and `kiosk run` as the end-to-end tests do; memory once ready and after
    `sessions` sessions, CPU over `idle_seconds` ready, then `power_cuts` starts."""
    sim = start_sim(root / "sim", "--speed", f"{speed:g}")
    rig = kiosk_rig(sim, root / "kiosk")
    try:
        rig.start(wait_ready=False)
        rig.wait_state("ready", WAIT)
        started = memory(rig.process.pid)
        with (sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
            rig.control("stock", {"items": list(csv.DictReader(f))})
        stocked = memory(rig.process.pid)
        for n in range(sessions):
            patron_session(rig, rig.books()[n]["item_id"], "card" if n % 2 == 0 else "qr")
        after = memory(rig.process.pid)
        devices = connected_devices(rig)
        time.sleep(1.0)  # the last session's waits end
        idle, sim_idle = idle_cpu([rig.process.pid, sim.process.pid], idle_seconds)
        if rig.state()["state"] != "ready":
            raise RuntimeError("the kiosk did not stay ready while its CPU was counted")
        run = Footprint(speed, started, after, sessions, idle, sim_idle, devices=devices,
                        stocked=stocked)
        for _ in range(power_cuts):
            run.restarts.append(power_cut(rig, speed))
            run.restarted.append(memory(rig.process.pid))
    finally:
        rig.stop()
        sim.stop()
    run.imports = import_seconds()
    return run


# -- the report ----------------------------------------------------------------------
def _mb(value: float) -> str:
    return f"{value / 2**20:.1f}"


def _s(values: Sequence[float | None], share: float) -> str:
    known = [v for v in values if v is not None]
    return f"{percentile(known, share):.2f}" if known else "–"


def readings(run: Footprint) -> list[Memory]:
    """Every memory reading of the run."""
    return [run.started, *([run.stocked] if run.stocked else []), run.after, *run.restarted]


def verdicts(run: Footprint) -> list[bench.Verdict]:
    """The three budgets: resident memory, idle CPU, start to ready less homing."""
    rss = max(m.rss for m in readings(run))
    start = max(r.without_homing for r in run.restarts)
    small, quiet = rss <= BUDGET_RSS, run.idle.share <= BUDGET_IDLE_CPU
    quick = start <= BUDGET_START
    return [
        bench.Verdict(f"controller resident memory (VmRSS), most seen: ready, stocked, after "
                      f"{run.sessions} sessions, after each restart", f"{_mb(rss)} MiB",
                      f"≤ {_mb(BUDGET_RSS)} MiB", small,
                      "" if small else f"+{_mb(rss - BUDGET_RSS)} MiB: see the section"),
        bench.Verdict(f"controller CPU, ready and idle {run.idle.wall:.0f} s with every device "
                      "connected", f"{100 * run.idle.share:.2f} % of a core",
                      f"≤ {100 * BUDGET_IDLE_CPU:g} %", quiet,
                      "" if quiet else f"{run.idle.share / BUDGET_IDLE_CPU:.1f}x: see the section"),
        bench.Verdict(f"start to ready after a power cut, homing's mechanics excluded (worst of "
                      f"{len(run.restarts)})", f"{start:.2f} s", f"≤ {BUDGET_START:g} s", quick,
                      "" if quick else f"+{start - BUDGET_START:.2f} s: see the section"),
    ]


def report(run: Footprint) -> str:
    """The markdown section."""
    restarts = run.restarts
    rows = "\n".join(
        f"| {label} | {_s([getattr(r, name) for r in restarts], 0.5)} | "
        f"{_s([getattr(r, name) for r in restarts], 1.0)} |"
        for label, name in (("patron API up (kiosk.json)", "api"),
                            ("HOME under way (the controller's log)", "homing"),
                            ("HOME done (the controller's log)", "homed"),
                            ("ready", "ready"), ("ready less HOME's mechanics", "without_homing")))
    restarted = run.restarted or [run.started]
    rss, cpu, start = verdicts(run)
    word = {True: "within", False: "over"}
    return (
        "The real controller (`kiosk run`) on `kiosk-sim` at speed "
        f"{run.speed:g}, started as tests/kiosk_rig.py does, except that the library's holds "
        "are pulled at the default interval (the tests pull every second). Memory: VmRSS "
        "(resident now) and VmHWM (the most it has been resident) from /proc/PID/status of the "
        "controller's process, once ready before any patron, after "
        f"{run.sessions} patron sessions (card tap or member QR code in turn, the catalogue, "
        "one book borrowed and taken, then given back through the return slot: the PLC, the "
        "RFID reader, the scanner and the card reader each used), and once ready after each "
        "restart. CPU: utime + stime of every thread (/proc/PID/stat) over "
        f"{run.idle.wall:.0f} s with the kiosk ready and untouched and every device "
        f"connected ({', '.join(run.devices)} working by `kiosk status`); the simulator's "
        "over the same seconds for context. The controller's polls and waits run on real "
        "time whatever the simulator's speed.\n\n"
        "| controller | VmRSS MiB | VmHWM MiB |\n|---|---:|---:|\n"
        f"| ready, before any patron | {_mb(run.started.rss)} | {_mb(run.started.peak)} |\n"
        + (f"| stocked with the demo collection (one `stock` request) | {_mb(run.stocked.rss)} "
           f"| {_mb(run.stocked.peak)} |\n" if run.stocked else "") +
        f"| after {run.sessions} sessions | {_mb(run.after.rss)} | {_mb(run.after.peak)} |\n"
        f"| ready after a power cut (most of {len(restarted)}) | "
        f"{_mb(max(m.rss for m in restarted))} | {_mb(max(m.peak for m in restarted))} |\n\n"
        "| idle, ready | CPU s | wall s | of one core |\n|---|---:|---:|---:|\n"
        f"| controller | {run.idle.seconds:.2f} | {run.idle.wall:.1f} | "
        f"{100 * run.idle.share:.2f} % |\n"
        f"| simulator (context) | {run.sim_idle.seconds:.2f} | {run.sim_idle.wall:.1f} | "
        f"{100 * run.sim_idle.share:.2f} % |\n\n"
        f"**Start after a power cut.** {len(restarts)} times: the controller SIGKILLed while "
        "ready, the PLC power-cycled (`POST /faults/plc-power-cycle`: new BOOT_ID, not homed), "
        "`kiosk run` started again; seconds from the process's start (just before its spawn) "
        "to the patron API up, to HOME under way and done (the controller's log of the PLC's "
        "state, as its poller saw it), and to the ready snapshot on its event stream. HOME's "
        f"mechanics: the timing model's {REFERENCE_TIMING.home:g} s / speed "
        f"{run.speed:g} = {REFERENCE_TIMING.home / run.speed:.2f} s, the rest is the "
        "controller's (and the simulator's answers)."
        + (f" For comparison, a fresh interpreter importing the controller's modules "
           f"(`python -c 'import kiosk.cli, kiosk.app'`, {len(run.imports)} times): p50 "
           f"{percentile(run.imports, 0.5):.2f} s, next to the patron API's p50 above."
           if run.imports else "") + "\n\n"
        "| seconds from the start | p50 | max |\n|---|---:|---:|\n"
        f"{rows}\n\n"
        f"**Resident memory at most {rss.measured}** ({word[rss.met]} the budget of "
        f"{_mb(BUDGET_RSS)} MiB; the peak, VmHWM, {_mb(max(m.peak for m in readings(run)))} "
        f"MiB); **idle CPU {cpu.measured}** ({word[cpu.met]} "
        f"{100 * BUDGET_IDLE_CPU:g} %); **start to ready less homing at most "
        f"{start.measured}** ({word[start.met]} {BUDGET_START:g} s).\n\n"
        f"Run with `.venv/bin/python -m bench footprint` on {bench.machine()}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.")


def main() -> tuple[str, list[bench.Verdict]]:
    """Measure once; return the markdown section and its budgets."""
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        run = measure(Path(tmp))
        return report(run), verdicts(run)


if __name__ == "__main__":
    print(main()[0])
