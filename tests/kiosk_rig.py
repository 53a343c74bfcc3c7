"""The whole machine for end-to-end tests: kiosk-sim plus a real `kiosk run`, over real transports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import ROOT, SimHandle, wait_for
from kiosk.control import REQUESTS, ask
from kiosk.technician_pin import hash_pin

DEMO_TOKEN = "demo-library-token"
GOOD_MEMBER_CARD = "04A1B2C3"  # Kim Minji, member in good standing
GOOD_MEMBER = "111001000001"
TECHNICIAN_PIN = "135790"  # the rig's technician PIN; its hash is in every rig's config
TECHNICIAN_PIN_HASH = hash_pin(TECHNICIAN_PIN)

CONFIG = """\
[machine]
id = "kiosk-1"
state_dir = "state"
endpoints_file = "{endpoints}"

[rfid]
response_timeout = 2.0

[library]
kind = "http"
credentials_file = "token"
read_timeout = 2.0
retries = 1

[policy]
{policy}

[session]
pickup_timeout = {pickup_timeout}
insert_timeout = 5.0
idle_timeout = 120.0

[sync]
retry_initial = 0.05
retry_max = 0.5
holds_every = 1.0

[speech]
output = "files"
files_dir = "speech"

[ui]
port = 0

[control]
socket = "control.sock"
technician_pin_hash = "%s"
""" % TECHNICIAN_PIN_HASH


@dataclass
class KioskRig:
    """A running simulator and controller, and the patron's and technician's hands."""

    sim: SimHandle
    directory: Path
    config_path: Path
    process: subprocess.Popen | None = None
    ui_url: str = ""
    control_socket: Path = field(default_factory=Path)
    env: dict = field(default_factory=dict)
    clock_ahead_days: float = 0  # run the controller this far in the future (libfaketime)

    # -- process ------------------------------------------------------------
    def start(self, crash_at: str | None = None, wait_ready: bool = True) -> None:
        """Start `kiosk run`; with `crash_at`, it kills itself at that named point."""
        endpoints = self.directory / "state" / "kiosk.json"
        endpoints.unlink(missing_ok=True)
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        env.pop("KIOSK_CRASH_AT", None)
        if crash_at:
            env["KIOSK_CRASH_AT"] = crash_at
        log = open(self.directory / "kiosk.log", "ab")
        command = [sys.executable, "-m", "kiosk.cli", "--config", str(self.config_path), "run"]
        if self.clock_ahead_days:
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            seconds = round(self.clock_ahead_days * 86400)
            command = ["faketime", "-f", f"+{seconds}", *command]
        self.process = subprocess.Popen(  # its own group: faketime's child gets the signals too
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        wait_for(lambda: endpoints.exists() or self.process.poll() is not None, 30,
                 message="the controller to start")
        if self.process.poll() is not None:
            pytest.fail(f"kiosk exited:\n{self.log()[-3000:]}")
        data = json.loads(endpoints.read_text())
        self.ui_url, self.control_socket = data["ui"]["url"], Path(data["control"]["socket"])
        if wait_ready:
            self.wait_state("ready")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def wait_exit(self, timeout: float = 60) -> int:
        """Wait for the controller to end by itself (a crash point) and return its code."""
        wait_for(lambda: self.process.poll() is not None, timeout, message="the controller to die")
        return self.process.returncode

    def log(self) -> str:
        """What the controller logged."""
        return (self.directory / "kiosk.log").read_text(errors="replace")

    # -- the screen ------------------------------------------------------------
    def state(self) -> dict:
        """GET /api/state."""
        return requests.get(f"{self.ui_url}/api/state", timeout=10).json()

    def wait_state(self, wanted: str | Callable[[dict], bool], timeout: float = 60) -> dict:
        """Wait until the kiosk is in state `wanted` (or the predicate holds)."""
        test = wanted if callable(wanted) else (lambda s: s["state"] == wanted)
        last: dict = {}

        def check() -> dict | None:
            nonlocal last
            last = self.state()
            return last if test(last) else None

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (found := check()) is not None:
                return found
            time.sleep(0.05)
        pytest.fail(f"kiosk never reached {wanted}: last {last}\n{self.log()[-2000:]}")

    def api(self, path: str, body: dict | None = None, expect: int | None = 200) -> dict:
        """POST to the patron API; fails the test unless the status is `expect` (None: any)."""
        response = requests.post(f"{self.ui_url}{path}", json=body or {}, timeout=30)
        assert expect is None or response.status_code == expect, (
            f"{path}: {response.status_code} {response.text}")
        return response.json()

    def spoken(self) -> list[dict]:
        """What the controller has said so far (its [speech] files: text, lang, voice, wpm,
        amplitude), oldest first; each with `wav`, the path of its audio."""
        folder = self.directory / "speech"
        return [{**json.loads(path.read_text(encoding="utf-8")), "wav": path.with_suffix(".wav")}
                for path in sorted(folder.glob("[0-9]*.json"))] if folder.exists() else []

    def api_get(self, path: str) -> dict:
        """GET from the patron API."""
        return requests.get(f"{self.ui_url}{path}", timeout=10).json()

    def books(self, query: str = "") -> list[dict]:
        """GET /api/books."""
        return requests.get(f"{self.ui_url}/api/books", params={"q": query}, timeout=10).json()["books"]

    # -- the patron's hands -------------------------------------------------------
    def tap_card(self, uid: str) -> dict:
        """Hold a card to the reader until the kiosk has answered it, then take it away."""
        before = self.state()["identifications"]
        self.sim.world_post("/card/tap", {"uid": uid})
        try:
            return self.wait_state(lambda s: s["identifications"] > before)
        finally:
            self.sim.world_post("/card/remove")

    def start_session(self, uid: str = GOOD_MEMBER_CARD) -> dict:
        """Tap a card and wait until the patron may browse."""
        self.tap_card(uid)
        return self.wait_state("browsing")

    def borrow(self, item_ids: list[str]) -> dict:
        """Put books in the cart, confirm, take each one; returns the last state."""
        for item_id in item_ids:
            self.api("/api/cart/add", {"item_id": item_id})
        self.api("/api/cart/confirm")
        for _ in item_ids:
            self.wait_state("awaiting_take")
            self.sim.world_post("/pickup/take")
            self.wait_state(lambda s: s["state"] != "awaiting_take")
        return self.wait_state(lambda s: s["state"] in ("browsing", "ready"))

    def return_book(self, body: dict) -> dict:
        """Open the return slot, insert a book, wait until the kiosk is ready again."""
        self.api("/api/return")
        self.wait_state("awaiting_insert")
        self.sim.world_post("/return/insert", body)
        return self.wait_state(lambda s: s["state"] in ("ready", "handing_back", "out_of_service"))

    # -- the technician and the library --------------------------------------------
    def control(self, request: str, args: dict | None = None) -> Any:
        """Ask the control socket (with the technician PIN when the request changes the
        machine); fails the test on an error answer."""
        answer = self.ask(request, args, pin=TECHNICIAN_PIN if REQUESTS[request].changes else None)
        assert answer["ok"], answer
        return answer["result"]

    def ask(self, request: str, args: dict | None = None, pin: str | None = None) -> dict:
        """Ask the control socket as given (no PIN unless one is passed); the whole answer."""
        return ask(self.control_socket, request, args, pin=pin)

    @property
    def library_url(self) -> str:
        """The library emulator's base URL."""
        return self.sim.endpoints["library"]["url"]

    def library(self, method: str, path: str, body: dict | None = None) -> Any:
        """Call the library emulator's admin API."""
        response = requests.request(method, f"{self.library_url}{path}", json=body,
                                    headers={"Authorization": f"Bearer {DEMO_TOKEN}"}, timeout=10)
        assert response.status_code < 300, f"{path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


SIP2_LIBRARY = """\
[library]
kind = "sip2"
institution_id = "111001"
credentials_file = "sip2-login"
home_libraries = ["111001"]
timeout = 2.0
"""


def make_rig(sim: SimHandle, directory: Path, *, policy: str = "always_open = true",
             pickup_timeout: float = 10.0, stock: bool = True,
             library_deadline: float = 10.0, library: str = "http", ui: str = "",
             control: str = "", extra: str = "", session: str = "", speech: str = "",
             idle_timeout: float = 120.0, env: dict | None = None) -> KioskRig:
    """Write a config pointing at `sim`, start the controller, stock it from the loading list.

    `library`: "http", or "sip2-<profile>" for SIP2 to the emulator's ACS in that profile.
    `ui`: lines added to the [ui] section (e.g. the screens' idle lengths).
    `control`: lines added to the [control] section (e.g. pin_tries).
    `session`: lines added to the [session] section (e.g. barcode_timeout).
    `speech`: lines added to the [speech] section (output "files" into <directory>/speech).
    `idle_timeout`: [session] idle_timeout (the screens' [ui] idle must fit under it).
    `extra`: sections added at the end (e.g. [alerts], [log]).
    `env`: the controller's environment on top of this process's (e.g. PCSCLITE_CSOCK_NAME).
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "token").write_text(DEMO_TOKEN)
    config = directory / "kiosk.toml"
    text = CONFIG.format(endpoints=sim.state_dir / "endpoints.json", policy=policy,
                         pickup_timeout=pickup_timeout).replace("[ui]\nport = 0\n",
                                                                f"[ui]\nport = 0\n{ui}\n")
    text = text.replace('files_dir = "speech"\n', f'files_dir = "speech"\n{speech}\n')
    text += f"{control}\n"  # [control] is the last section
    text += f"\n{extra}\n"
    if library.startswith("sip2-"):
        (directory / "sip2-login").write_text(f"kiosk-1:{DEMO_TOKEN}\n")
        text = text.replace('[library]\nkind = "http"\ncredentials_file = "token"\n'
                            'read_timeout = 2.0\nretries = 1\n', SIP2_LIBRARY)
        requests.put(f"{sim.endpoints['library']['url']}/admin/sip2",
                     json={"profile": library.removeprefix("sip2-")}, timeout=10
                     ).raise_for_status()
    config.write_text(text.replace("idle_timeout = 120.0\n", f"idle_timeout = {idle_timeout}\n"
                                   f"library_deadline = {library_deadline}\n{session}\n"))
    rig = KioskRig(sim=sim, directory=directory, config_path=config, env=dict(env or {}))
    rig.start(wait_ready=False)
    rig.wait_state(lambda s: s["state"] in ("ready", "closed"))
    if stock:
        import csv
        with (sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
            rig.control("stock", {"items": list(csv.DictReader(f))})
    return rig
