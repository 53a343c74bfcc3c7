"""The carousel PLC's register map and codes (carousel-plc.md v1): data shared with the sim."""

from __future__ import annotations

from enum import IntEnum

FW_VERSION_1_0 = 0x0100
DEFAULT_DEVICE_ID = 1
HEARTBEAT_PERIOD = 0.1  # seconds per HEARTBEAT increment (real time)
HEARTBEAT_STALL = 1.0  # a HEARTBEAT unchanged this long means the PLC hangs
SEQ_FIRST = 1
SEQ_LAST = 65535
WORD_MAX = 0xFFFF


class HoldingRegister(IntEnum):
    """Command registers (function 3 read, 16 write): write all four in one request."""

    CMD = 0
    ARG1 = 1
    ARG2 = 2
    SEQ = 3


class InputRegister(IntEnum):
    """Status registers (function 4)."""

    STATE = 0
    ACK_SEQ = 1
    DONE_SEQ = 2
    RESULT = 3
    FAULT_CODE = 4
    LEVEL = 5
    POSITION = 6
    LEVELS = 7
    POSITIONS = 8
    PICKUP_LEVEL = 9
    RETURN_LEVEL = 10
    FW_VERSION = 11
    BOOT_ID = 12
    HEARTBEAT = 13
    REJECT_SEQ = 14
    REJECT_CODE = 15
    CYCLES_LO = 16
    CYCLES_HI = 17


class DiscreteInput(IntEnum):
    """Sensors (function 2); 1 means what the name says."""

    PICKUP_DOOR_CLOSED = 0
    PICKUP_ITEM_PRESENT = 1
    RETURN_SHUTTER_CLOSED = 2
    RETURN_ITEM_PRESENT = 3
    SERVICE_DOOR_CLOSED = 4
    ESTOP_RELEASED = 5
    OVERFLOW_BIN_FULL = 6
    PICKER_LOADED = 7
    PICKUP_CURTAIN_CLEAR = 8
    RETURN_CURTAIN_CLEAR = 9


class Lamp(IntEnum):
    """Lamps, one coil each (function 1 read, 5/15 write)."""

    FAULT_BEACON = 0
    PICKUP_LAMP = 1
    RETURN_LAMP = 2


class State(IntEnum):
    """The PLC's STATE register."""

    NOT_HOMED = 0
    IDLE = 1
    BUSY = 2
    FAULT = 3
    INTERLOCK = 4


class Command(IntEnum):
    """Command codes for CMD."""

    HOME = 1
    FETCH = 2
    STORE = 3
    RETRACT = 4
    PRESENT = 5
    OPEN_PICKUP = 6
    CLOSE_PICKUP = 7
    OPEN_RETURN = 8
    CLOSE_RETURN = 9
    EJECT_RETURN = 10
    DIVERT_RETURN = 11
    TRANSFER = 12
    RESET_FAULT = 13


class Result(IntEnum):
    """Result codes: RESULT of a finished command and REJECT_CODE of a rejected one."""

    OK = 0
    SLOT_EMPTY = 1
    SLOT_OCCUPIED = 2
    PORT_EMPTY = 3
    PORT_OCCUPIED = 4
    DOOR_BLOCKED = 5
    JAM = 6
    TIMEOUT = 7
    INVALID_ARGUMENT = 8
    NOT_HOMED = 9
    INTERLOCK = 10
    BUSY = 11
    UNKNOWN_COMMAND = 12
    BIN_FULL = 13
    DOOR_OPEN = 14


class FaultCode(IntEnum):
    """FAULT_CODE of a latched fault (0 in the register means none)."""

    DRUM_JAM = 1
    LIFT_JAM = 2
    PICKER_JAM = 3
    DRIVE_OVERTEMP = 4
    ENCODER = 5
    ESTOP = 6
    UNDERVOLTAGE = 7


# Rejections, in the order the PLC checks them.
REJECTION_ORDER: tuple[Result, ...] = (
    Result.UNKNOWN_COMMAND,
    Result.INVALID_ARGUMENT,
    Result.BUSY,
    Result.NOT_HOMED,
    Result.INTERLOCK,
    Result.DOOR_OPEN,
)

# How many of ARG1, ARG2 are slot numbers.
SLOT_ARGUMENTS: dict[Command, int] = {
    Command.FETCH: 1,
    Command.STORE: 1,
    Command.RETRACT: 1,
    Command.PRESENT: 1,
    Command.TRANSFER: 2,
}

# Motion commands refused with DOOR_OPEN while a door or the shutter is open.
DOOR_SENSITIVE: frozenset[Command] = frozenset(
    {Command.FETCH, Command.STORE, Command.RETRACT, Command.PRESENT, Command.TRANSFER}
)

DOOR_COMMANDS: frozenset[Command] = frozenset(
    {Command.OPEN_PICKUP, Command.CLOSE_PICKUP, Command.OPEN_RETURN, Command.CLOSE_RETURN}
)

# States in which each command is accepted (the rest are rejected).
ACCEPTED_IN: dict[Command, frozenset[State]] = {
    command: frozenset({State.IDLE}) for command in Command
} | {
    Command.HOME: frozenset({State.NOT_HOMED, State.IDLE}),
    Command.RESET_FAULT: frozenset({State.FAULT}),
} | {command: frozenset({State.NOT_HOMED, State.IDLE}) for command in DOOR_COMMANDS}

# Results other than OK that each command can finish with (the spec's command table).
COMMAND_RESULTS: dict[Command, frozenset[Result]] = {
    Command.HOME: frozenset({Result.JAM}),
    Command.FETCH: frozenset({Result.SLOT_EMPTY, Result.PORT_OCCUPIED, Result.JAM}),
    Command.STORE: frozenset({Result.PORT_EMPTY, Result.SLOT_OCCUPIED, Result.JAM}),
    Command.RETRACT: frozenset({Result.PORT_EMPTY, Result.SLOT_OCCUPIED, Result.JAM}),
    Command.PRESENT: frozenset({Result.JAM}),
    Command.OPEN_PICKUP: frozenset(),
    Command.CLOSE_PICKUP: frozenset({Result.DOOR_BLOCKED}),
    Command.OPEN_RETURN: frozenset(),
    Command.CLOSE_RETURN: frozenset({Result.DOOR_BLOCKED}),
    Command.EJECT_RETURN: frozenset({Result.PORT_EMPTY}),
    Command.DIVERT_RETURN: frozenset({Result.PORT_EMPTY, Result.BIN_FULL}),
    Command.TRANSFER: frozenset({Result.SLOT_EMPTY, Result.SLOT_OCCUPIED, Result.JAM}),
    Command.RESET_FAULT: frozenset(),
}

# Commands that can jam: the ones that move the drum or the picker.
JAMMABLE: frozenset[Command] = frozenset(c for c, r in COMMAND_RESULTS.items() if Result.JAM in r)

# Commands counted in CYCLES when they finish OK: everything that moves mechanics but a door.
CYCLE_COMMANDS: frozenset[Command] = frozenset(Command) - DOOR_COMMANDS - {Command.RESET_FAULT}
