"""The SEQ handshake: retries after lost requests and responses never move twice (driver over TCP)."""

from __future__ import annotations

import asyncio

from pymodbus.client import AsyncModbusTcpClient

from drivers.carousel import Carousel, Command, CommandFate, Result, State
from sim.world import Place, PlaceKind
from test_carousel_support import (
    STOCK,
    PlcRig,
    connected,
    drive,
    homed,
    rig,  # noqa: F401  (fixture)
    slow_rig,  # noqa: F401  (fixture)
    until_state,
)

WRITE_MULTIPLE = 0x10


class DroppingProxy:
    """A Modbus TCP proxy that loses the first function-16 request or response it carries."""

    def __init__(self, upstream: tuple[str, int], drop: str):
        self.upstream = upstream
        self.drop = drop  # "request" or "response"
        self.dropped = 0
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        await asyncio.gather(self._pipe(reader, up_writer, "request"),
                             self._pipe(up_reader, writer, "response"), return_exceptions=True)
        writer.close()
        up_writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    direction: str) -> None:
        while True:
            header = await reader.readexactly(6)  # MBAP: transaction, protocol, length
            body = await reader.readexactly(int.from_bytes(header[4:6], "big"))
            if direction == self.drop and body[1] == WRITE_MULTIPLE and not self.dropped:
                self.dropped += 1
                continue
            writer.write(header + body)
            await writer.drain()


def through_proxy(rig: PlcRig, drop: str, body) -> int:
    """Run `body(carousel)` with the driver behind a DroppingProxy; returns how many it dropped."""
    async def main() -> int:
        proxy = DroppingProxy((rig.host, rig.port), drop)
        port = await proxy.start()
        try:
            async with connected(rig.config(port=port, request_timeout=0.2)) as (carousel, _):
                await body(carousel)
        finally:
            await proxy.stop()
        return proxy.dropped
    return asyncio.run(main())


def test_the_same_seq_written_twice_moves_once(rig):
    async def body(carousel: Carousel, events: list) -> None:
        await homed(carousel)
        first = await carousel.execute(Command.FETCH, 250)
        cycles = (await carousel.read_status()).cycles
        again = await carousel.execute(Command.FETCH, 250, seq=first.seq)
        assert again == first
        status = await carousel.read_status()
        assert status.cycles == cycles and status.ack_seq == status.done_seq == first.seq
    drive(rig.config(), body)
    assert rig.place(STOCK[250]) == Place(PlaceKind.PICKUP_PORT)


def test_a_lost_response_is_retried_with_the_same_seq_and_moves_once(rig):
    async def body(carousel: Carousel) -> None:
        await homed(carousel)  # this HOME's write response is the one lost
        status = await carousel.read_status()
        assert status.cycles == 1 and status.ack_seq == status.done_seq
        assert (await carousel.execute(Command.FETCH, 999)).ok
        assert (await carousel.read_status()).cycles == 2
    assert through_proxy(rig, "response", body) == 1
    assert rig.place(STOCK[999]) == Place(PlaceKind.PICKUP_PORT)


def test_a_lost_request_is_sent_again_and_runs_once(rig):
    async def body(carousel: Carousel) -> None:
        await homed(carousel)
        outcome = await carousel.execute(Command.TRANSFER, 0, 600)
        assert outcome.ok
        assert (await carousel.read_status()).cycles == 2
    assert through_proxy(rig, "request", body) == 1
    assert rig.place(STOCK[0]) == Place(PlaceKind.SLOT, 600)


def test_seq_continues_from_the_plc_registers_at_connect(rig):
    first = drive(rig.config(), lambda carousel, events: carousel.execute(Command.HOME))
    second = drive(rig.config(), lambda carousel, events: carousel.execute(Command.HOME))
    assert second.seq == first.seq + 1


def test_seq_wraps_from_65535_to_1(rig):
    async def body(carousel: Carousel, events: list) -> None:
        assert (await carousel.execute(Command.HOME, seq=65535)).seq == 65535
        outcome = await carousel.execute(Command.PRESENT, 1)
        assert (outcome.seq, outcome.result) == (1, Result.OK)
    drive(rig.config(), body)


def test_a_restarted_controller_learns_what_became_of_its_seq(slow_rig):
    async def first_controller(carousel: Carousel, events: list) -> int:
        await carousel.execute(Command.HOME, seq=41)
        fetch = asyncio.ensure_future(carousel.execute(Command.FETCH, 555, seq=42))
        await until_state(carousel, State.BUSY)
        fetch.cancel()  # the controller dies with the FETCH under way
        return 42

    async def second_controller(carousel: Carousel, events: list) -> None:
        record = await carousel.last_command()
        assert (record.seq, record.fate, record.code) == (42, CommandFate.BUSY, None)
        assert (await carousel.last_command(43)).fate is CommandFate.NOT_ACCEPTED
        await until_state(carousel, State.IDLE)
        record = await carousel.last_command(42)
        assert (record.fate, record.code) == (CommandFate.DONE, Result.OK)
        cycles = (await carousel.read_status()).cycles
        # re-sending the journaled SEQ reports its outcome without a second motion
        assert (await carousel.execute(Command.FETCH, 555, seq=42)).result is Result.OK
        assert (await carousel.read_status()).cycles == cycles
        assert (await carousel.execute(Command.PRESENT, 1)).seq == 43

    seq = drive(slow_rig.config(), first_controller)
    assert seq == 42
    drive(slow_rig.config(), second_controller)
    assert slow_rig.place(STOCK[555]) == Place(PlaceKind.PICKUP_PORT)


def test_a_command_written_while_the_plc_hangs_runs_once_it_recovers(rig):
    async def body(carousel: Carousel, events: list) -> None:
        rig.call(rig.plc.set_hang, True)
        home = asyncio.ensure_future(carousel.execute(Command.HOME, seq=7))
        await until_async(lambda: holding_seq(rig), 7, "the SEQ write to reach the PLC")
        record = await carousel.last_command(7)
        assert record.fate is CommandFate.NOT_ACCEPTED and not home.done()
        rig.call(rig.plc.set_hang, False)
        outcome = await home  # the driver sends SEQ 7 again, and now the PLC acts on it
        assert (outcome.seq, outcome.result) == (7, Result.OK)
        assert (await carousel.read_status()).cycles == 1
    drive(rig.config(), body)


async def holding_seq(rig: PlcRig) -> int:
    """The SEQ holding register, read with plain pymodbus."""
    client = AsyncModbusTcpClient(rig.host, port=rig.port, timeout=2, retries=0)
    assert await client.connect()
    try:
        return (await client.read_holding_registers(3, count=1, device_id=1)).registers[0]
    finally:
        client.close()


async def until_async(read, expected, what: str) -> None:
    """Poll an async reading until it equals `expected`."""
    deadline = asyncio.get_running_loop().time() + 10
    while await read() != expected:
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)
