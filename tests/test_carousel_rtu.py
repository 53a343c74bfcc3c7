"""The same driver over Modbus RTU on a pseudo-terminal (115200 8N1)."""

from __future__ import annotations

import asyncio
import os

import pytest

from drivers.carousel import Carousel, CarouselRejected, Command, PlcRebooted, Result, State
from drivers.errors import DeviceUnavailable
from sim.world import Place, PlaceKind
from test_carousel_support import (
    EMPTY_SLOT,
    STOCK,
    PlcRig,
    connected,
    homed,
    rig,  # noqa: F401  (fixture)
    until_event,
)


def drive_rtu(rig: PlcRig, body) -> None:
    """Start the PLC's RTU line and run `body(carousel, events)` over it."""
    path = rig.run(rig.plc.start_rtu())
    assert os.path.exists(path)

    async def main() -> None:
        config = rig.config(transport="rtu", serial_path=path, request_timeout=0.3)
        async with connected(config) as (carousel, events):
            await body(carousel, events)
    asyncio.run(main())


def test_rtu_home_fetch_and_slot_empty(rig):
    async def body(carousel: Carousel, events: list) -> None:
        status = await carousel.read_status()
        assert status.state is State.NOT_HOMED and status.geometry.slot_count == 1000
        with pytest.raises(CarouselRejected) as rejected:
            await carousel.execute(Command.FETCH, 555)
        assert rejected.value.code is Result.NOT_HOMED
        await homed(carousel)
        assert (await carousel.execute(Command.FETCH, 555)).ok
        assert (await carousel.execute(Command.RETRACT, EMPTY_SLOT)).ok
        assert (await carousel.execute(Command.FETCH, 555)).result is Result.SLOT_EMPTY
    drive_rtu(rig, body)
    assert rig.place(STOCK[555]) == Place(PlaceKind.SLOT, EMPTY_SLOT)


def test_rtu_same_seq_twice_moves_once(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        first = await carousel.execute(Command.FETCH, 250)
        assert await carousel.execute(Command.FETCH, 250, seq=first.seq) == first
        assert (await carousel.read_status()).cycles == 2
    drive_rtu(rig, body)
    assert rig.place(STOCK[250]) == Place(PlaceKind.PICKUP_PORT)


def test_rtu_reboot_is_reported(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        rig.call(rig.plc.power_cycle)
        assert (await until_event(events, PlcRebooted)).new_boot_id != 0
        assert (await carousel.read_status()).state is State.NOT_HOMED
    drive_rtu(rig, body)


def test_rtu_line_noise_does_not_break_the_driver(rig):
    async def body(carousel: Carousel, events: list) -> None:
        rig.call(rig.plc.inject_rtu_noise, bytes(range(256)) + b"\x01\x04\x24\xff")
        await homed(carousel)  # polls that meet the noise fail; the command still completes
        status = await carousel.read_status()
        assert (status.state, status.cycles) == (State.IDLE, 1)
    drive_rtu(rig, body)


def test_rtu_on_a_path_that_does_not_exist_is_device_unavailable(rig, tmp_path):
    async def main() -> None:
        config = rig.config(transport="rtu", serial_path=str(tmp_path / "no-such-tty"))
        with pytest.raises(DeviceUnavailable):
            await Carousel(config, print).connect()
    asyncio.run(main())
