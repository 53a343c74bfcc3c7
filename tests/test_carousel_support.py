"""The carousel test rig (PlcSim on a simulator loop in a thread, the driver on the test's loop),
and tests of the simulator's surface that the lead's app and world API use."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from drivers.carousel import Carousel, CarouselConfig, Command, State, carousel_config
from drivers.carousel.geometry import REFERENCE_TIMING
from sim.clock import SimClock
from sim.plc import PlcSim
from sim.world import Place, PlaceKind, World, make_book

SPEED = 50.0
STOCK = {0: "EM00000001", 1: "EM00000002", 250: "EM00000003", 555: "EM00000004", 999: "EM00000005"}
EMPTY_SLOT, OTHER_EMPTY_SLOT = 7, 600
WAIT = 10.0  # bound of every wait for a condition (never reached when things work)


def uid_of(item_id: str) -> bytes:
    """A tag UID derived from an item id (EMnnnnnnnn)."""
    return bytes([0xE0, 0x04, 0x01, 0x50]) + int(item_id[2:]).to_bytes(4, "big")


class PlcRig:
    """A world and a PlcSim on their own asyncio loop in a thread, serving Modbus TCP."""

    def __init__(self, speed: float = SPEED, bin_capacity: int = 30):
        self.speed = speed
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.world = World(bin_capacity=bin_capacity)
        for slot, item_id in STOCK.items():
            self.world.add(make_book(uid_of(item_id), item_id), Place(PlaceKind.SLOT, slot))
        self.plc: PlcSim = self.run(self._make(speed))
        self.host, self.port = self.run(self.plc.start_tcp("127.0.0.1", 0))

    async def _make(self, speed: float) -> PlcSim:
        return PlcSim(self.world, SimClock(speed))

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on the simulator's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=WAIT)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call `fn(*args)` on the simulator's loop (world and PLC live there)."""
        async def wrapper() -> Any:
            return fn(*args)
        return self.run(wrapper())

    def place(self, item_id: str) -> Place:
        """Where a book is now."""
        return self.call(self.world.place_of, uid_of(item_id))

    def add(self, item_id: str, place: Place) -> None:
        """A new book appears at `place` (a patron's book in the return port, say)."""
        self.call(self.world.add, make_book(uid_of(item_id), item_id), place)

    def sense(self, **values: bool) -> None:
        """Set world sensors (hands, service door, e-stop) and tell the listeners."""
        def apply() -> None:
            for name, value in values.items():
                setattr(self.world.sensors, name, value)
            self.world.changed()
        self.call(apply)

    def snapshot(self) -> dict:
        """PlcSim.snapshot() taken on the simulator's loop."""
        return self.call(self.plc.snapshot)

    def config(self, **overrides: Any) -> CarouselConfig:
        """A driver config for this rig's TCP endpoint, impatient enough for tests; its timing
        model is the simulator's at this speed."""
        timing = dataclasses.asdict(REFERENCE_TIMING.scaled(1 / self.speed))
        values = {"host": self.host, "port": self.port, "request_timeout": 0.5,
                  "command_timeout": 10.0, "poll_interval": 0.01, "idle_interval": 0.25,
                  "heartbeat_stall": 0.5, "timing": timing}
        return carousel_config({**values, **overrides})

    def close(self) -> None:
        """Stop the PLC and the loop."""
        self.run(self.plc.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=WAIT)
        self.loop.close()


@pytest.fixture
def rig() -> Iterator[PlcRig]:
    """A PlcSim at speed 50 with the STOCK books, on Modbus TCP."""
    plc_rig = PlcRig()
    yield plc_rig
    plc_rig.close()


@pytest.fixture
def slow_rig() -> Iterator[PlcRig]:
    """A PlcSim at speed 10: motions last long enough (HOME 0.6 s) to act during them."""
    plc_rig = PlcRig(speed=10.0)
    yield plc_rig
    plc_rig.close()


@asynccontextmanager
async def connected(config: CarouselConfig):
    """A connected Carousel and the list its events go to."""
    events: list = []
    carousel = Carousel(config, events.append)
    await carousel.connect()
    try:
        yield carousel, events
    finally:
        await carousel.close()


def drive(config: CarouselConfig, body: Callable[[Carousel, list], Awaitable[Any]]) -> Any:
    """Run `body(carousel, events)` on a fresh loop with a connected driver."""
    async def main() -> Any:
        async with connected(config) as (carousel, events):
            return await body(carousel, events)
    return asyncio.run(main())


async def until(condition: Callable[[], Any], what: str = "condition") -> Any:
    """Poll `condition` until it is truthy; fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)
    return value


async def until_event(events: list, kind: type) -> Any:
    """The first event of `kind`, waiting for it."""
    return await until(lambda: next((e for e in events if isinstance(e, kind)), None), kind.__name__)


async def until_state(carousel: Carousel, state: State) -> None:
    """Poll the PLC until STATE is `state`."""
    deadline = time.monotonic() + WAIT
    while (await carousel.read_status()).state is not state:
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for STATE {state.name}")
        await asyncio.sleep(0.005)


async def homed(carousel: Carousel) -> None:
    """HOME, asserting it finished OK."""
    assert (await carousel.execute(Command.HOME)).ok


# -- the simulator's surface ---------------------------------------------------
def test_plcsim_offers_the_interface_the_app_and_world_api_call():
    expected = {
        "__init__": ["self", "world", "clock", "timing"],
        "start_tcp": ["self", "host", "port"],
        "start_rtu": ["self"],
        "stop": ["self"],
        "inject_jam": ["self", "fault_code"],
        "inject_door_blocked": ["self", "door"],
        "power_cycle": ["self"],
        "set_hang": ["self", "hung"],
        "snapshot": ["self"],
    }
    for name, params in expected.items():
        assert list(inspect.signature(getattr(PlcSim, name)).parameters) == params, name
    for name in ("start_tcp", "start_rtu", "stop"):
        assert inspect.iscoroutinefunction(getattr(PlcSim, name)), name


def test_snapshot_names_every_register_sensor_and_coil_and_is_json_safe(rig):
    import json

    snapshot = json.loads(json.dumps(rig.snapshot()))
    assert snapshot["state"] == State.NOT_HOMED
    assert snapshot["levels"] == 10 and snapshot["positions"] == 100
    assert snapshot["pickup_level"] == 4 and snapshot["return_level"] == 5
    assert snapshot["fw_version"] == 0x0100 and snapshot["boot_id"] != 0
    assert {"ack_seq", "done_seq", "result", "fault_code", "level", "position", "heartbeat",
            "reject_seq", "reject_code", "cycles_lo", "cycles_hi"} <= set(snapshot)
    assert snapshot["sensors"]["pickup_door_closed"] is True
    assert snapshot["sensors"]["pickup_curtain_clear"] is True
    assert len(snapshot["sensors"]) == 10
    assert snapshot["coils"] == {"fault_beacon": False, "pickup_lamp": False, "return_lamp": False}
    assert snapshot["hung"] is False


def test_heartbeat_counts_in_real_time_and_boot_id_is_never_zero(rig):
    first = rig.snapshot()["heartbeat"]
    deadline = time.monotonic() + WAIT
    while rig.snapshot()["heartbeat"] == first:
        assert time.monotonic() < deadline, "HEARTBEAT never changed"
        time.sleep(0.02)
    assert rig.snapshot()["boot_id"] != 0


def test_power_cycle_gives_a_new_boot_id_and_clears_the_seq_registers(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
    drive(rig.config(), body)
    before = rig.snapshot()
    assert before["ack_seq"] == before["done_seq"] != 0 and before["state"] == State.IDLE
    rig.call(rig.plc.power_cycle)
    after = rig.snapshot()
    assert after["boot_id"] not in (0, before["boot_id"])
    assert (after["ack_seq"], after["done_seq"], after["reject_seq"]) == (0, 0, 0)
    assert after["state"] == State.NOT_HOMED
    assert after["cycles_lo"] == before["cycles_lo"]  # a lifetime counter survives power cuts
