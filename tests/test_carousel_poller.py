"""One poller owns the PLC link's status reads: counted on the simulator's side, never timed."""

from __future__ import annotations

import asyncio

from drivers.carousel import (
    Carousel,
    Command,
    HeartbeatResumed,
    HeartbeatStalled,
    Lamp,
    SensorsChanged,
    State,
    StateChanged,
)
from drivers.carousel.poller import Part
from test_carousel_support import (
    connected,
    drive,
    homed,
    rig,  # noqa: F401  (fixture)
    slow_rig,  # noqa: F401  (fixture)
    until,
    until_event,
)

SENSORS = "read_discrete_inputs"
READ_FUNCTIONS = {Part.REGISTERS: "read_input_registers", Part.SENSORS: "read_discrete_inputs",
                  Part.LAMPS: "read_coils"}


def served(rig) -> dict[str, int]:
    """Modbus requests the simulated PLC has served, by function."""
    return rig.snapshot()["requests"]


async def heartbeat_and_reads(rig, function: str = "read_input_registers") -> tuple[int, int]:
    """The PLC's HEARTBEAT (+1 per 100 ms: the clock of these tests) and its reads by `function`."""
    snapshot = await asyncio.to_thread(rig.snapshot)
    return snapshot["heartbeat"], snapshot["requests"][function]


async def reads_per_tick(rig, ticks: int, function: str = "read_input_registers") -> float:
    """Reads by `function` per HEARTBEAT tick over the next `ticks` ticks."""
    beat0, reads0 = await heartbeat_and_reads(rig, function)
    while (beat := (await heartbeat_and_reads(rig, function))[0]) < beat0 + ticks:
        await asyncio.sleep(0.02)
    _, reads1 = await heartbeat_and_reads(rig, function)
    return (reads1 - reads0) / (beat - beat0)


def test_every_status_read_is_the_pollers_while_a_command_and_a_wait_run_together(slow_rig):
    async def body(carousel: Carousel, events: list) -> None:
        waiting = asyncio.create_task(carousel.wait_for(lambda s: not s.pickup_curtain_clear, 30))
        await homed(carousel)  # HOME runs while the wait polls the sensors
        assert (await carousel.execute(Command.OPEN_PICKUP)).ok
        slow_rig.sense(pickup_hand=True)
        assert await waiting
        await carousel.read_status()
        await carousel.set_lamp(Lamp.PICKUP_LAMP, True)
        await carousel.status(max_age=0)

    config = slow_rig.config()
    carousel_reads: dict[Part, int] = {}

    async def main() -> None:
        async with connected(config) as (carousel, events):
            await body(carousel, events)
            carousel_reads.update(carousel.poller.reads)
    asyncio.run(main())
    requests = served(slow_rig)
    for part, function in READ_FUNCTIONS.items():
        assert requests[function] == carousel_reads[part], (function, requests, carousel_reads)
    assert requests["read_holding_registers"] == 0
    assert requests["write_registers"] == 2 and requests["write_coil"] == 1


def test_a_waiter_sees_a_sensor_change_and_the_monitor_reports_it(rig):
    async def body(carousel: Carousel, events: list) -> None:
        waiting = asyncio.create_task(carousel.wait_for(lambda s: not s.pickup_curtain_clear, 30))
        await until(lambda: carousel.poller.expecting, "the waiter to subscribe")
        rig.sense(pickup_hand=True)
        assert await waiting
        changed = await until_event(events, SensorsChanged)
        assert changed.sensors.pickup_curtain_clear is False
        assert not carousel.poller.expecting
        assert not await carousel.wait_for(lambda s: s.pickup_curtain_clear, 0.05)  # times out
    drive(rig.config(), body)


def test_idle_polling_is_slow_and_a_wait_or_a_command_makes_it_fast(slow_rig):
    async def body(carousel: Carousel, events: list) -> None:
        assert await reads_per_tick(slow_rig, 10) <= 0.6  # idle_interval 0.25 s: 0.4 a tick
        assert await reads_per_tick(slow_rig, 10, SENSORS) <= 0.2  # idle_sensor_interval 0.9 s
        waiting = asyncio.create_task(carousel.wait_for(lambda s: not s.pickup_curtain_clear, 30))
        assert await reads_per_tick(slow_rig, 5, SENSORS) >= 2  # poll_interval 0.01 s: 10 a tick
        assert await reads_per_tick(slow_rig, 10) <= 0.6  # the status registers stay idle
        slow_rig.sense(pickup_hand=True)
        assert await waiting
        slow_rig.sense(pickup_hand=False)
        assert await reads_per_tick(slow_rig, 10) <= 0.6  # idle again
        beat0, reads0 = await heartbeat_and_reads(slow_rig)
        await homed(carousel)  # 6 s at speed 10: slow at first, fast near its predicted end
        beat1, reads1 = await heartbeat_and_reads(slow_rig)
        ticks, reads = beat1 - beat0, reads1 - reads0
        assert reads >= 0.4 * ticks + 3, (reads, ticks)  # more than idle polling would make
        assert reads <= 0.8 * 10 * ticks, (reads, ticks)  # fewer than fast polling throughout
    drive(slow_rig.config(), body)


def test_a_hang_is_detected_by_idle_polling(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await until(lambda: carousel.poller.started >= 3, "a few idle readings")
        before = carousel.poller.reads[Part.REGISTERS]
        rig.call(rig.plc.set_hang, True)
        stall = await until_event(events, HeartbeatStalled)
        assert stall.seconds >= 0.5
        assert not carousel.poller.expecting
        # heartbeat_stall 0.5 s / idle_interval 0.25 s: a handful of readings, not fast ones
        assert carousel.poller.reads[Part.REGISTERS] - before <= 5
        rig.call(rig.plc.set_hang, False)
        await until_event(events, HeartbeatResumed)
    drive(rig.config(), body)


def test_an_emergency_stop_is_seen_while_idle(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await until(lambda: carousel.poller.started >= 2, "idle readings")
        before = carousel.poller.reads[Part.REGISTERS]
        rig.sense(estop_released=False)
        changed = await until(lambda: next((e for e in events if isinstance(e, StateChanged)
                                            and e.new is State.INTERLOCK), None), "INTERLOCK")
        assert changed.old is State.NOT_HOMED
        assert carousel.poller.reads[Part.REGISTERS] - before <= 2  # the next idle reading
        sensors = await until_event(events, SensorsChanged)  # the idle sensor reading
        assert sensors.sensors.estop_released is False
        assert not carousel.poller.expecting
    drive(rig.config(), body)


def test_a_fresh_reading_is_reused_until_a_write(rig):
    async def body(carousel: Carousel, events: list) -> None:
        first = await carousel.status(max_age=60)
        reads = dict(carousel.poller.reads)
        assert await carousel.status(max_age=60) == first  # nothing written since: no read
        assert carousel.poller.reads == reads
        await carousel.set_lamp(Lamp.RETURN_LAMP, True)
        after = await carousel.status(max_age=60)  # the write makes it stale: a new reading
        assert after.lamps.return_lamp is True
        assert carousel.poller.reads[Part.LAMPS] == reads[Part.LAMPS] + 1
        await carousel.read_status()  # read_status always reads
        assert carousel.poller.reads[Part.LAMPS] == reads[Part.LAMPS] + 2
    drive(rig.config(), body)
