"""make demo: the simulator and the controller together, stocked, with where everything is.

The simulator's world is not persistent, so every demo starts a fresh machine: the demo
journal under .state/kiosk is cleared too. Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".state"
BIN = Path(sys.executable).parent


def wait_for_file(path: Path, process: subprocess.Popen, what: str, timeout: float = 60) -> dict:
    """Wait for a JSON file a child writes when it is ready."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"demo: {what} did not start (see {STATE}/{what}.log)")
        time.sleep(0.1)
    return json.loads(path.read_text())


def kiosk(*args: str) -> subprocess.CompletedProcess:
    """Run a technician command against the demo controller."""
    return subprocess.run([str(BIN / "kiosk"), "--config", str(ROOT / "config/demo.toml"), *args],
                          capture_output=True, text=True, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speed", default="1", help="simulator speed (default 1: real time)")
    parser.add_argument("--patron", action="store_true",
                        help="run the scripted patron once the machine is up")
    args = parser.parse_args()
    shutil.rmtree(STATE / "kiosk", ignore_errors=True)
    STATE.mkdir(exist_ok=True)
    (STATE / "sim" / "endpoints.json").unlink(missing_ok=True)
    children: list[subprocess.Popen] = []
    try:
        sim = subprocess.Popen([str(BIN / "kiosk-sim"), "--state-dir", str(STATE / "sim"),
                                "--speed", args.speed], stdout=open(STATE / "sim.log", "wb"),
                               stderr=subprocess.STDOUT)
        children.append(sim)
        endpoints = wait_for_file(STATE / "sim" / "endpoints.json", sim, "sim")
        controller = subprocess.Popen([str(BIN / "kiosk"), "--config", str(ROOT / "config/demo.toml"),
                                       "run"], stdout=open(STATE / "kiosk.log", "wb"),
                                      stderr=subprocess.STDOUT)
        children.append(controller)
        ui = wait_for_file(STATE / "kiosk" / "kiosk.json", controller, "kiosk")
        kiosk("stock", str(STATE / "sim" / "loading-list.csv"))
        print(summary(endpoints, ui), flush=True)
        if args.patron:
            subprocess.run([sys.executable, str(ROOT / "scripts/scripted_patron.py")], check=True)
        while not args.patron:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            child.wait(timeout=15)


def summary(endpoints: dict, ui: dict) -> str:
    """Where everything is."""
    return "\n".join([
        "The demo machine is running (simulator + controller). Ctrl-C stops both.",
        f"  Touchscreen API   {ui['ui']['url']}/api/state   (events: /api/events)",
        f"  World control     {endpoints['world']['url']}/world   (docs/simulator.md)",
        f"  Library system    {endpoints['library']['url']}   (docs/library.md)",
        "  Technician        .venv/bin/kiosk status | flags | sync | reset",
        "  Scripted patron   make demo-patron   (in another terminal)",
        f"  Logs              {STATE}/sim.log, {STATE}/kiosk.log",
    ])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    main()
