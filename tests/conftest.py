"""Shared fixtures: the real simulator as a subprocess, and bounded waiting."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
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

from sim.app import VPCD_PORT
from sim.vcard import VPCD_READERS
from ui_browser import chromium, new_page  # noqa: F401  (Chromium fixtures for every test)

pytest_plugins = ("campaign_report",)  # campaign cases' outcomes and facts

ROOT = Path(__file__).resolve().parent.parent
SIM_START_TIMEOUT = 20.0
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1" under `make test` (pytest-xdist)
# Modules whose tests are spread one by one over the workers: a machine (or a library) per
# test (crash, chaos, device faults), or minutes of fuzzing per test in `make campaigns`.
SPREAD_MODULES = {"test_crash.py", "test_crash_random.py", "test_crash_activities.py",
                  "test_library_chaos.py", "test_device_faults.py", "test_fuzz_devices.py",
                  "test_fuzz_requests.py", "test_fuzz_sip2.py"}
# The longest modules start first, so that the workers finish together (timings of a full run).
LONG_MODULES_FIRST = [
    # test_card_pcsc holds pcscd alone (READERS): the other worker starts on tests that need no
    # simulator meanwhile
    "test_card_pcsc.py", "test_soak.py", "test_policy_properties.py", "test_library_contract.py",
    "test_crash_activities.py", "test_crash.py", "test_device_faults.py", "test_library_chaos.py",
    "test_ui_patron.py", "test_kiosk_speech.py", "test_kiosk_patrons.py",
    "test_ui_machine.py", "test_ui_voice.py", "test_tech_stock.py", "test_kiosk_holds.py", "test_crash_random.py",
    "test_kiosk_checkout.py", "test_obs_alerts_faults.py", "test_kiosk_slow_library.py",
    "test_demo_restart.py", "test_kiosk_records.py", "test_tech_jobs.py", "test_tech_audit.py",
    "test_usage_commands.py", "test_kiosk_access.py",
    # the fuzz campaign's modules: seconds in `make test`, minutes each in `make campaigns`
    "test_fuzz_requests.py", "test_fuzz_devices.py", "test_fuzz_sip2.py", "test_fuzz_library.py",
    "test_fuzz_config.py",
]


def vpcd_port() -> int:
    """The vsmartcard-vpcd reader this test process's simulators use: under pytest-xdist each
    worker its own (gw0 the first, gw1 the second); else KIOSK_TEST_VPCD_PORT, else the default."""
    if WORKER is not None:
        return sorted(VPCD_READERS)[int(WORKER.removeprefix("gw"))]
    return int(os.environ.get("KIOSK_TEST_VPCD_PORT", VPCD_PORT))


class ReaderLock:
    """pcscd between xdist workers: a running simulator holds it shared (its worker's reader);
    tests that tap every reader, restart pcscd or need quiet readers hold it alone (with no
    other worker's simulator running). A no-op without xdist."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._fd: int | None = None
        self._shared = 0
        self._alone = False

    def _lock(self, operation: int) -> None:
        if self.path is None:
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, operation)

    def share(self) -> None:
        """A simulator starts."""
        if self._shared == 0 and not self._alone:
            self._lock(fcntl.LOCK_SH)
        self._shared += 1

    def unshare(self) -> None:
        """A simulator stopped."""
        self._shared -= 1
        if self._shared == 0 and not self._alone:
            self._lock(fcntl.LOCK_UN)

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        """No other worker's simulator runs meanwhile (one open file: a shared lock converts)."""
        self._lock(fcntl.LOCK_EX)
        self._alone = True
        try:
            yield
        finally:
            self._alone = False
            self._lock(fcntl.LOCK_SH if self._shared else fcntl.LOCK_UN)


READERS = ReaderLock()
SHARED_MACHINES: list = []  # the running module_kiosk, if any: no other simulator may start


def pytest_configure(config: pytest.Config) -> None:
    """One vpcd reader per worker: more workers than readers is a usage error."""
    workers = getattr(config.option, "numprocesses", None)
    if isinstance(workers, int) and workers > len(VPCD_READERS):
        raise pytest.UsageError(f"-n {workers}: vsmartcard-vpcd has {len(VPCD_READERS)} readers, "
                                f"one per worker; use -n {len(VPCD_READERS)} at most")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: as many workers as cores, at most one per vpcd reader."""
    return max(1, min(len(VPCD_READERS), os.cpu_count() or 1))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile`: each module on one worker (module-scoped machines, Chromium), except
    the SPREAD_MODULES, whose tests go one by one to whichever worker is free."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return nodeid if Path(module).name in SPREAD_MODULES else module

    return ModuleScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the slow crash-campaign cases unless asked for; under xdist, start the longest
    modules first."""
    if "campaign" not in (config.option.markexpr or ""):
        slow = [i for i in items if (m := i.get_closest_marker("campaign"))
                and not m.kwargs.get("fast")]
        if slow:
            config.hook.pytest_deselected(items=slow)
            dropped = set(slow)
            items[:] = [i for i in items if i not in dropped]
    if WORKER is None:
        return
    rank = {name: at for at, name in enumerate(LONG_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session", autouse=True)
def _reader_lock(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under xdist, the workers share the lock file in their common temporary directory."""
    if WORKER is not None:
        READERS.path = tmp_path_factory.getbasetemp().parent / "pcscd-readers.lock"


@pytest.fixture
def pcscd_reader() -> Iterator[None]:
    """This test runs a simulator of its own (not through start_sim): it holds the lock shared."""
    READERS.share()
    yield
    READERS.unshare()


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
    holds_reader: bool = False

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
        if self.holds_reader:
            self.holds_reader = False
            READERS.unshare()


def start_sim(state_dir: Path, *args: str) -> SimHandle:
    """Start `kiosk-sim` and wait for its endpoints.json."""
    if SHARED_MACHINES:
        pytest.fail("a module's shared_kiosk is running, and its controller would take this "
                    "simulator's card taps too: put the shared_kiosk tests last in the module")
    state_dir.mkdir(parents=True, exist_ok=True)
    args = ("--vpcd-port", str(vpcd_port()), *args)  # a later --vpcd-port in args wins
    log = open(state_dir / "sim.log", "wb")
    READERS.share()  # released by stop()
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "--state-dir", str(state_dir), *args],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    handle = SimHandle(process=process, state_dir=state_dir, holds_reader=True)
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


@pytest.fixture(scope="module")
def module_kiosk(tmp_path_factory: pytest.TempPathFactory):
    """The `kiosk` machine, one per module: use it through `shared_kiosk`."""
    from kiosk_rig import make_rig

    root = tmp_path_factory.mktemp("module-kiosk")
    sim = start_sim(root / "sim", "--speed", "20")
    try:
        rig = make_rig(sim, root / "kiosk")
        SHARED_MACHINES.append(rig)
        yield rig
        rig.stop()
    finally:
        SHARED_MACHINES.clear()
        sim.stop()


@pytest.fixture
def shared_kiosk(module_kiosk):
    """The `kiosk` machine shared by a module's tests that need no fresh one (refusals, reads)
    and leave it at rest: ready, no session; checked before and after each test."""
    def at_rest(state: dict) -> bool:
        return state["state"] == "ready" and state["session"] is None
    module_kiosk.wait_state(at_rest, 30)
    yield module_kiosk
    module_kiosk.wait_state(at_rest, 30)
