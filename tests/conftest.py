"""Shared fixtures: the real simulator as a subprocess, and bounded waiting."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from ui_browser import chromium, new_page  # noqa: F401  (Chromium fixtures for every test)

ROOT = Path(__file__).resolve().parent.parent
SIM_START_TIMEOUT = 20.0


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
             message: str = "condition") -> Any:
    """Poll until `condition()` is truthy and return it; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        time.sleep(interval)


class SimLoop:
    """An asyncio loop in a background thread, standing in for the simulator's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `fn(*args, **kwargs)` on the loop and return its result."""
        async def run() -> Any:
            return fn(*args, **kwargs)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=10)

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@pytest.fixture
def sim_loop() -> Iterator[SimLoop]:
    """A background asyncio loop for simulator components tested in-process."""
    loop = SimLoop()
    yield loop
    loop.close()


@dataclass
class SimHandle:
    """A running kiosk-sim subprocess and where its devices are."""

    process: subprocess.Popen
    state_dir: Path
    endpoints: dict = field(default_factory=dict)

    @property
    def world_url(self) -> str:
        """Base URL of the world-control API."""
        return self.endpoints["world"]["url"]

    def world_get(self) -> dict:
        """GET /world: the ground truth."""
        response = requests.get(f"{self.world_url}/world", timeout=10)
        response.raise_for_status()
        return response.json()

    def world_post(self, path: str, body: dict | None = None, expect: int = 200) -> dict:
        """POST to the world API; fails the test unless the status is `expect`."""
        response = requests.post(f"{self.world_url}{path}", json=body or {}, timeout=10)
        assert response.status_code == expect, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def stop(self) -> None:
        """Stop the simulator (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sim(state_dir: Path, *args: str) -> SimHandle:
    """Start `kiosk-sim` and wait for its endpoints.json."""
    state_dir.mkdir(parents=True, exist_ok=True)
    if os.environ.get("KIOSK_TEST_VPCD_PORT"):  # vpcd's second reader: two runs side by side
        args = ("--vpcd-port", os.environ["KIOSK_TEST_VPCD_PORT"], *args)
    log = open(state_dir / "sim.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "--state-dir", str(state_dir), *args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    handle = SimHandle(process=process, state_dir=state_dir)
    endpoints_file = state_dir / "endpoints.json"
    deadline = time.monotonic() + SIM_START_TIMEOUT
    while not endpoints_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            handle.stop()
            output = (state_dir / "sim.log").read_text(errors="replace")
            pytest.fail(f"kiosk-sim did not start:\n{output[-3000:]}")
        time.sleep(0.05)
    handle.endpoints = json.loads(endpoints_file.read_text())
    return handle


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator[Callable[..., SimHandle]]:
    """Factory: start kiosk-sim with extra arguments; every one is stopped at teardown."""
    handles: list[SimHandle] = []

    def factory(*args: str) -> SimHandle:
        handle = start_sim(tmp_path / f"sim{len(handles)}", *args)
        handles.append(handle)
        return handle

    yield factory
    for handle in handles:
        handle.stop()


@pytest.fixture
def sim(make_sim: Callable[..., SimHandle]) -> SimHandle:
    """A fresh simulator with the demo collection at speed 20."""
    return make_sim("--speed", "20")


@pytest.fixture
def make_kiosk(make_sim: Callable[..., SimHandle], tmp_path: Path):
    """Factory: a simulator and a real controller on it, stocked; stopped at teardown."""
    from kiosk_rig import make_rig

    rigs = []

    def factory(*sim_args: str, **options):
        sim = make_sim("--speed", "20", *sim_args)
        rig = make_rig(sim, tmp_path / f"kiosk{len(rigs)}", **options)
        rigs.append(rig)
        return rig

    yield factory
    for rig in rigs:
        rig.stop()


@pytest.fixture
def kiosk(make_kiosk):
    """The whole machine at speed 20, the demo collection stocked, always open."""
    return make_kiosk()
