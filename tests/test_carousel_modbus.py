"""The pymodbus adapter against a plain pymodbus server over real TCP: word and bit order, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from drivers.carousel import ModbusExceptionResponse, carousel_config
from drivers.carousel.modbus import ModbusLink
from drivers.errors import DeviceTimeout, DeviceUnavailable, ProtocolError

INPUTS = [0x0102, 0xA0B0, 0xFFFF, 0, 1]
DISCRETE = [False, True, False, False, False, False, False, False, False, True, True] + [False] * 5
COILS = [True, False, True] + [False] * 13


async def reject_holding(function_code, start, address, count, registers, values):
    """Refuse any write to holding register 2 (a device answering with an exception)."""
    if values is not None and function_code == 16 and address <= 2 < address + count:
        return ExcCodes.ILLEGAL_VALUE
    return None


def device() -> SimDevice:
    return SimDevice(id=1, action=reject_holding, simdata=(
        [SimData(0, values=COILS, datatype=DataType.BITS)],
        [SimData(0, values=DISCRETE, datatype=DataType.BITS)],
        [SimData(0, count=4, values=0, datatype=DataType.REGISTERS)],
        [SimData(0, values=INPUTS, datatype=DataType.REGISTERS)],
    ))


def with_link(body: Callable[[ModbusLink], Awaitable[None]], **config) -> None:
    async def main() -> None:
        server = ModbusTcpServer(device(), address=("127.0.0.1", 0))
        await server.serve_forever(background=True)
        port = server.transport.sockets[0].getsockname()[1]
        link = ModbusLink(carousel_config({"port": port, "request_timeout": 0.5, **config}))
        try:
            await link.connect()
            await body(link)
        finally:
            link.close()
            await server.shutdown()
    asyncio.run(main())


def test_registers_keep_their_order_and_value():
    async def body(link: ModbusLink) -> None:
        assert await link.read_input_registers(0, 5) == INPUTS
        assert await link.read_input_registers(1, 2) == [0xA0B0, 0xFFFF]
        await link.write_registers(0, [0x1234, 0xABCD])
        assert await link.read_holding_registers(0, 2) == [0x1234, 0xABCD]
    with_link(body)


def test_bit_i_of_a_read_is_address_plus_i():
    async def body(link: ModbusLink) -> None:
        assert await link.read_discrete_inputs(0, 11) == DISCRETE[:11]
        assert await link.read_discrete_inputs(9, 2) == [True, True]
        assert await link.read_coils(0, 3) == [True, False, True]
        await link.write_coil(1, True)
        await link.write_coil(0, False)
        assert await link.read_coils(0, 3) == [False, True, True]
    with_link(body)


def test_an_exception_response_is_a_typed_protocol_error():
    async def body(link: ModbusLink) -> None:
        with pytest.raises(ModbusExceptionResponse) as caught:
            await link.write_registers(0, [1, 2, 3, 4])
        assert (caught.value.function_code, caught.value.exception_code) == (16, 3)
        with pytest.raises(ModbusExceptionResponse) as caught:
            await link.read_input_registers(0, 50)  # beyond the map: ILLEGAL_ADDRESS
        assert caught.value.exception_code == 2 and isinstance(caught.value, ProtocolError)
        assert await link.read_input_registers(0, 1) == [0x0102]  # the link still works
    with_link(body)


def test_nobody_listening_is_device_unavailable(unused_tcp_port):
    async def main() -> None:
        link = ModbusLink(carousel_config({"port": unused_tcp_port}))
        with pytest.raises(DeviceUnavailable):
            await link.connect()
        with pytest.raises(DeviceUnavailable):
            await link.read_input_registers(0, 1)
    asyncio.run(main())


def test_a_device_that_never_answers_is_device_timeout():
    async def main() -> None:
        async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while await reader.read(100):
                pass
        server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        link = ModbusLink(carousel_config({"port": port, "request_timeout": 0.1}))
        try:
            await link.connect()
            with pytest.raises(DeviceTimeout):
                await link.read_input_registers(0, 1)
        finally:
            link.close()
            server.close()
    asyncio.run(main())


@pytest.fixture
def unused_tcp_port() -> int:
    """A port that was free a moment ago (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
