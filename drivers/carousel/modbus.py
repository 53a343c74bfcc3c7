"""The one module that imports pymodbus on the driver side: a small async Modbus link (TCP or RTU)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from drivers.carousel.config import CarouselConfig
from drivers.carousel.errors import ModbusExceptionResponse
from drivers.errors import DeviceTimeout, DeviceUnavailable, ProtocolError


class ModbusLink:
    """Serialised Modbus requests to one device; pymodbus errors become driver errors."""

    def __init__(self, config: CarouselConfig):
        self._config = config
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._lock = asyncio.Lock()
        self._stale = False  # a request timed out: reopen before the next one

    @property
    def connected(self) -> bool:
        """Whether the transport is open."""
        return self._client is not None and self._client.connected

    async def connect(self) -> None:
        """Open the transport; DeviceUnavailable if it cannot be opened."""
        async with self._lock:
            await self._open()

    def close(self) -> None:
        """Close the transport (safe to call twice)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def read_input_registers(self, address: int, count: int) -> list[int]:
        """Function 4."""
        response = await self._request("read_input_registers", address, count=count)
        return _registers(response, count)

    async def read_holding_registers(self, address: int, count: int) -> list[int]:
        """Function 3."""
        response = await self._request("read_holding_registers", address, count=count)
        return _registers(response, count)

    async def read_discrete_inputs(self, address: int, count: int) -> list[bool]:
        """Function 2; bit i of the result is address + i."""
        response = await self._request("read_discrete_inputs", address, count=count)
        return _bits(response, count)

    async def read_coils(self, address: int, count: int) -> list[bool]:
        """Function 1; bit i of the result is address + i."""
        response = await self._request("read_coils", address, count=count)
        return _bits(response, count)

    async def write_registers(self, address: int, values: Sequence[int]) -> None:
        """Function 16: every value in one request."""
        await self._request("write_registers", address, list(values))

    async def write_coil(self, address: int, value: bool) -> None:
        """Function 5."""
        await self._request("write_coil", address, value)

    async def _request(self, name: str, *args: Any, **kwargs: Any) -> Any:
        async with self._lock:
            if self._stale or not self.connected:
                await self._open()
            call: Callable[..., Awaitable[Any]] = getattr(self._client, name)
            try:
                async with asyncio.timeout(self._config.request_timeout * 2 + 1):
                    response = await call(*args, device_id=self._config.device_id, **kwargs)
            except (ModbusIOException, asyncio.TimeoutError) as exc:
                self._stale = True
                raise DeviceTimeout(f"{name}: no response from the PLC") from exc
            except ConnectionException as exc:
                self.close()
                raise DeviceUnavailable(f"{name}: {exc}") from exc
            except ModbusException as exc:
                self._stale = True
                raise ProtocolError(f"{name}: {exc}") from exc
        if response.isError():
            raise ModbusExceptionResponse(response.function_code & 0x7F,
                                          getattr(response, "exception_code", 0))
        return response

    async def _open(self) -> None:
        """(Re)open the transport; a reopen drops any late answer still on the line."""
        self.close()
        self._stale = False
        self._client = self._new_client()
        try:
            ok = await self._client.connect()
        except (OSError, ModbusException) as exc:
            ok, reason = False, exc
        else:
            reason = None
        if not ok:
            self.close()
            raise DeviceUnavailable(
                f"cannot open the PLC link ({self._where()}): {reason or 'refused'}")

    def _new_client(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        c = self._config
        common = {"timeout": c.request_timeout, "retries": 0, "reconnect_delay": 0}
        if c.transport == "rtu":
            return AsyncModbusSerialClient(c.serial_path, baudrate=c.baudrate, bytesize=8,
                                           parity="N", stopbits=1, **common)
        return AsyncModbusTcpClient(c.host, port=c.port, **common)

    def _where(self) -> str:
        c = self._config
        return c.serial_path if c.transport == "rtu" else f"{c.host}:{c.port}"


def _registers(response: Any, count: int) -> list[int]:
    registers = list(response.registers)
    if len(registers) != count:
        raise ProtocolError(f"asked for {count} registers, got {len(registers)}")
    return registers


def _bits(response: Any, count: int) -> list[bool]:
    bits = list(response.bits)  # pymodbus returns whole bytes: the tail is padding
    if len(bits) < count:
        raise ProtocolError(f"asked for {count} bits, got {len(bits)}")
    return [bool(b) for b in bits[:count]]
