"""The PLC's Modbus front end: a pymodbus SimDevice whose registers are rendered from the model."""

from __future__ import annotations

from collections.abc import Callable

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simutils import SimUtils

from drivers.carousel.codec import (
    HOLDING_REGISTER_COUNT,
    INPUT_REGISTER_COUNT,
    LAMP_COUNT,
    CarouselStatus,
    encode_input_registers,
)
from drivers.carousel.registers import DEFAULT_DEVICE_ID
from sim.plc.pty_bridge import PtyBridge

RTU_BAUDRATE = 115200
READ_BITS, READ_HOLDING, READ_INPUTS, READ_COILS = 2, 3, 4, 1
WRITE_REGISTERS = (6, 16)
WRITE_COILS = (5, 15)
BITS_PER_WORD = 16
FUNCTION_NAMES = {1: "read_coils", 2: "read_discrete_inputs", 3: "read_holding_registers",
                  4: "read_input_registers", 5: "write_coil", 6: "write_register",
                  15: "write_coils", 16: "write_registers"}


class ModbusFrontend:
    """Serves the model over Modbus TCP and RTU; every read renders the model's current image."""

    def __init__(self, status: Callable[[], CarouselStatus], holding: Callable[[], list[int]],
                 write_holding: Callable[[int, list[int]], None],
                 write_lamps: Callable[[int, list[bool]], None]):
        self._status = status
        self._holding = holding
        self._write_holding = write_holding
        self._write_lamps = write_lamps
        self._servers: list[ModbusTcpServer | ModbusSerialServer] = []
        self.requests = dict.fromkeys(FUNCTION_NAMES.values(), 0)  # served, by function
        self._bridge: PtyBridge | None = None

    async def start_tcp(self, host: str, port: int) -> tuple[str, int]:
        """Serve Modbus TCP; returns the bound address (port 0 picks a free one)."""
        server = ModbusTcpServer(self._device(), address=(host, port))
        await server.serve_forever(background=True)
        self._servers.append(server)
        bound = server.transport.sockets[0].getsockname()
        return bound[0], bound[1]

    async def start_rtu(self) -> str:
        """Serve Modbus RTU (115200 8N1) on a pty; returns the path the driver opens."""
        bridge = PtyBridge()
        bridge.start()
        server = ModbusSerialServer(self._device(), port=bridge.server_path, baudrate=RTU_BAUDRATE,
                                    bytesize=8, parity="N", stopbits=1)
        await server.serve_forever(background=True)
        self._servers.append(server)
        self._bridge = bridge
        return bridge.client_path

    def inject_rtu_noise(self, data: bytes) -> None:
        """Raw bytes appear on the RTU line towards the driver."""
        if self._bridge is not None:
            self._bridge.inject(data)

    async def stop(self) -> None:
        """Stop every server and the pty bridge."""
        for server in self._servers:
            await server.shutdown()
        self._servers.clear()
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None

    def _device(self) -> SimDevice:
        bits = [False] * BITS_PER_WORD
        return SimDevice(id=DEFAULT_DEVICE_ID, action=self._action, simdata=(
            [SimData(0, values=bits, datatype=DataType.BITS)],
            [SimData(0, values=bits, datatype=DataType.BITS)],
            [SimData(0, count=HOLDING_REGISTER_COUNT, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, count=INPUT_REGISTER_COUNT, values=0, datatype=DataType.REGISTERS)],
        ))

    async def _action(self, function_code: int, start: int, address: int, count: int,
                      registers: list[int], values: list[int] | list[bool] | None) -> ExcCodes | None:
        """Called by pymodbus before every access: writes go to the model, reads are rendered."""
        name = FUNCTION_NAMES.get(function_code)
        if name is not None and (values is not None or function_code not in WRITE_COILS):
            self.requests[name] += 1  # pymodbus also calls a coil write's action to read it back
        if values is not None and function_code in WRITE_REGISTERS:
            self._write_holding(address, [int(v) for v in values])
        elif values is not None and function_code in WRITE_COILS:
            if address + len(values) > LAMP_COUNT:
                return ExcCodes.ILLEGAL_ADDRESS
            self._write_lamps(address, [bool(v) for v in values])
        elif function_code == READ_INPUTS:
            registers[:INPUT_REGISTER_COUNT] = encode_input_registers(self._status())
        elif function_code == READ_HOLDING:
            registers[:HOLDING_REGISTER_COUNT] = self._holding()
        elif function_code == READ_BITS:
            registers[0] = _word(self._status().sensors.to_bits())
        elif function_code in (READ_COILS, *WRITE_COILS):
            registers[0] = _word(self._status().lamps.to_bits())
        return None


def _word(bits: list[bool]) -> int:
    """Bits (address 0 first) packed into one 16-bit register, as pymodbus stores them."""
    return SimUtils.bitsToRegisters(bits + [False] * (BITS_PER_WORD - len(bits)))[0]
