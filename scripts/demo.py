"""make demo: the simulator and the controller together, with where everything is.

The demo machine lives across restarts as a real one does: the simulator keeps its world
(.state/sim/world.json) and the library's database, the controller its journal (.state/kiosk),
and the controller recovers at start. Only a machine whose journal knows no books is stocked
from the simulator's loading list. `--reset` (make demo-reset) forgets the machine first.
Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".state"
BIN = Path(sys.executable).parent
CONFIG = ROOT / "config" / "demo.toml"
PIN_FILE = ROOT / "config" / "demo-credentials" / "technician-pin"  # the demo technician PIN
SETTLED = ("ready", "closed", "out_of_service", "maintenance")  # states that await a person


class DemoError(Exception):
    """A step of the demo failed; the message says which and why."""


def wait_for_file(path: Path, process: subprocess.Popen, what: str, timeout: float = 60) -> dict:
    """Wait for a JSON file a child writes when it is ready."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise DemoError(f"{what} did not start\n{log_tail(what)}")
        time.sleep(0.1)
    return json.loads(path.read_text())


def kiosk(*args: str) -> dict:
    """Run a technician command against the demo controller; its answer, or DemoError."""
    pin = PIN_FILE.read_text(encoding="utf-8").strip()
    done = subprocess.run([str(BIN / "kiosk"), "--config", str(CONFIG), *args, "--json"],
                          capture_output=True, text=True, env={**os.environ, "KIOSK_PIN": pin})
    if done.returncode != 0:
        raise DemoError(f"`kiosk {' '.join(args)}` failed: {_message(done)}")
    return json.loads(done.stdout) if done.stdout.strip() else {}


def _message(done: subprocess.CompletedProcess) -> str:
    """The failing command's own words: the controller's error, else what it printed."""
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        answer = None
    if isinstance(answer, dict) and answer.get("error"):
        return str(answer["error"])
    return (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}")


def log_tail(what: str, lines: int = 15) -> str:
    """The last lines of a child's log, for a message."""
    path = STATE / f"{what}.log"
    text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
    return f"last lines of {path}:\n" + "\n".join(f"  {line}" for line in text)


def wait_settled(controller: subprocess.Popen, timeout: float = 600) -> dict:
    """Wait until the controller has homed and recovered; its status."""
    deadline = time.monotonic() + timeout
    while True:
        if controller.poll() is not None:
            raise DemoError(f"the controller stopped (exit {controller.returncode})\n"
                            f"{log_tail('kiosk')}")
        status = kiosk("status")
        if status.get("state") in SETTLED:
            return status
        if time.monotonic() > deadline:
            raise DemoError(f"the controller did not settle: state {status.get('state')}")
        time.sleep(0.5)


def stock_if_new(status: dict) -> str:
    """Stock a machine whose journal knows no books; one that does keeps them. What was done."""
    known = status.get("items_in_slots", 0) + status.get("on_loan", 0)
    if known:
        return (f"The machine remembers {status.get('items_in_slots')} books in slots and "
                f"{status.get('on_loan')} on loan (make demo-reset starts afresh).")
    answer = kiosk("stock", str(STATE / "sim" / "loading-list.csv"))
    return f"A new machine: stocked {answer.get('stocked')} books from the loading list."


def out_of_service(status: dict) -> str:
    """What a machine that came back out of service says, and what a technician does."""
    fault = status.get("fault") or {}
    return (f"The machine is out of service: {fault.get('code')} ({fault.get('detail')}).\n"
            "  A technician looks with `.venv/bin/kiosk status` and `kiosk flags`, fixes it and\n"
            "  runs `kiosk reset` (docs/controller.md); `make demo-reset` starts a new machine.")


def forget() -> None:
    """Forget the demo machine: the simulator's world, the library, the journal, the logs."""
    for part in ("sim", "kiosk"):
        shutil.rmtree(STATE / part, ignore_errors=True)
    for log in ("sim.log", "kiosk.log"):
        (STATE / log).unlink(missing_ok=True)


def start(name: str, command: list[str]) -> subprocess.Popen:
    """Start a child whose output goes to .state/<name>.log (appended: the machine's history)."""
    log = open(STATE / f"{name}.log", "ab")
    log.write(f"--- demo start {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
    log.flush()
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def running_simulator() -> int | None:
    """The pid of a simulator still running on the demo's state dir, if any."""
    try:
        pid = json.loads((STATE / "sim" / "endpoints.json").read_text())["pid"]
        command = Path(f"/proc/{int(pid)}/cmdline").read_bytes()  # a reused pid is not one
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if b"sim" in command else None


def run(args: argparse.Namespace, children: list[subprocess.Popen]) -> None:
    """Start the machine, stock it if it is new, say where everything is, wait."""
    (STATE / "sim" / "endpoints.json").unlink(missing_ok=True)  # left by a killed simulator
    (STATE / "kiosk" / "kiosk.json").unlink(missing_ok=True)  # left by a killed controller
    reader = ["--vpcd-port", args.vpcd_port] if args.vpcd_port else []
    children.append(start("sim", [str(BIN / "kiosk-sim"), "--state-dir", str(STATE / "sim"),
                                  "--speed", args.speed, *reader]))
    endpoints = wait_for_file(STATE / "sim" / "endpoints.json", children[0], "sim")
    children.append(start("kiosk", [str(BIN / "kiosk"), "--config", str(CONFIG), "run"]))
    ui = wait_for_file(STATE / "kiosk" / "kiosk.json", children[1], "kiosk")
    print("The controller is homing and recovering ...", flush=True)
    status = wait_settled(children[1])
    print(stock_if_new(status), flush=True)
    print(summary(endpoints, ui), flush=True)
    open_windows(endpoints, ui)
    if status.get("state") == "out_of_service":
        print(out_of_service(status), flush=True)
    if args.patron:
        patron = subprocess.run([sys.executable, str(ROOT / "scripts/scripted_patron.py")])
        if patron.returncode != 0:
            raise DemoError(f"the scripted patron failed (exit {patron.returncode})")
        return
    while all(child.poll() is None for child in children):
        time.sleep(1)
    stopped = next(c for c in children if c.poll() is not None)
    what = "sim" if stopped is children[0] else "kiosk"
    raise DemoError(f"{what} stopped (exit {stopped.returncode})\n{log_tail(what)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", default="1", help="simulator speed (default 1: real time)")
    parser.add_argument("--patron", action="store_true",
                        help="run the scripted patron once the machine is up, then stop")
    parser.add_argument("--reset", action="store_true",
                        help="forget the demo machine first and start a new one")
    parser.add_argument("--vpcd-port", help="the simulator's vsmartcard-vpcd reader "
                        "(default the simulator's: 35963)")
    args = parser.parse_args()
    if (pid := running_simulator()) is not None:
        sys.exit(f"demo: a demo machine is already running (kiosk-sim pid {pid}); stop it first")
    if args.reset:
        forget()
    STATE.mkdir(exist_ok=True)
    children: list[subprocess.Popen] = []
    try:
        run(args, children)
    except KeyboardInterrupt:
        pass
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr, flush=True)
        stop(children)
        sys.exit(1)
    stop(children)


def stop(children: list[subprocess.Popen]) -> None:
    """Stop the controller, then the simulator (which saves its world)."""
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    for child in reversed(children):
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    children.clear()


def summary(endpoints: dict, ui: dict) -> str:
    """Where everything is."""
    return "\n".join([
        "The demo machine is running (simulator + controller). Ctrl-C stops both; the next",
        "`make demo` finds the machine as it was left; `make demo-reset` starts a new one.",
        f"  Touchscreen       {ui['ui']['url']}/   (the patron's screen, portrait 1080x1920)",
        f"  Simulator panel   {endpoints['world']['url']}/panel   (the physical world: tap a card here)",
        f"  Touchscreen API   {ui['ui']['url']}/api/state   (events: /api/events)",
        f"  World control     {endpoints['world']['url']}/world   (docs/simulator.md)",
        f"  Library system    {endpoints['library']['url']}   (docs/library.md)",
        "  Technician        .venv/bin/kiosk status | flags | sync | reset | log",
        f"  Technician PIN    {PIN_FILE.read_text(encoding='utf-8').strip()}   (for commands that "
        "change the machine; config/demo-credentials/technician-pin)",
        "  Scripted patron   make demo-patron   (in another terminal)",
        f"  Logs              {STATE}/sim.log, {STATE}/kiosk.log",
    ])


def open_windows(endpoints: dict, ui: dict) -> None:
    """Open the touchscreen and the panel when there is a desktop with a browser to show them."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    opener = shutil.which("xdg-open")
    if opener is None:
        return
    for url in (f"{ui['ui']['url']}/", f"{endpoints['world']['url']}/panel"):
        subprocess.Popen([opener, url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    main()
