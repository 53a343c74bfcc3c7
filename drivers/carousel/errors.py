"""The carousel driver's errors, each a subclass of the one driver exception tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.errors import CommandRejected, DeviceFault, DeviceUnavailable, ProtocolError

if TYPE_CHECKING:
    from drivers.carousel.driver import CommandOutcome
    from drivers.carousel.registers import Command, FaultCode, Result


class RegisterMapError(ProtocolError):
    """A register or bit the PLC returned is off the map (unknown code, impossible value)."""


class ModbusExceptionResponse(ProtocolError):
    """The PLC answered a request with a Modbus exception code."""

    def __init__(self, function_code: int, exception_code: int):
        super().__init__(f"Modbus exception {exception_code} for function {function_code}")
        self.function_code = function_code
        self.exception_code = exception_code


class CarouselRejected(CommandRejected):
    """The PLC rejected a command: it never started (REJECT_SEQ = seq)."""

    def __init__(self, command: Command, seq: int, code: Result):
        super().__init__(f"{command.name} (SEQ {seq}) rejected: {code.name}")
        self.command = command
        self.seq = seq
        self.code = code


class CarouselJammed(DeviceFault):
    """A command finished JAM and the PLC latched a fault: a technician must clear it."""

    def __init__(self, outcome: CommandOutcome, fault: FaultCode | None):
        name = "unknown fault" if fault is None else fault.name
        super().__init__(f"{outcome.command.name} (SEQ {outcome.seq}) jammed: {name}")
        self.outcome = outcome
        self.fault = fault


class CommandLost(DeviceUnavailable):
    """The PLC restarted (BOOT_ID changed) while a command was under way: its fate is unknown."""

    def __init__(self, command: Command, seq: int, old_boot_id: int, new_boot_id: int):
        super().__init__(f"{command.name} (SEQ {seq}) lost: PLC restarted "
                         f"(BOOT_ID {old_boot_id} -> {new_boot_id})")
        self.command = command
        self.seq = seq
        self.old_boot_id = old_boot_id
        self.new_boot_id = new_boot_id
