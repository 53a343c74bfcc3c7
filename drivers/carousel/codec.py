"""Pure codecs between the PLC's registers and typed values, shared by the driver and the sim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

from drivers.carousel.errors import RegisterMapError
from drivers.carousel.geometry import Geometry
from drivers.carousel.registers import (
    SEQ_FIRST,
    SEQ_LAST,
    WORD_MAX,
    Command,
    DiscreteInput,
    FaultCode,
    HoldingRegister,
    InputRegister,
    Lamp,
    Result,
    State,
)

INPUT_REGISTER_COUNT = len(InputRegister)
HOLDING_REGISTER_COUNT = len(HoldingRegister)
SENSOR_COUNT = len(DiscreteInput)
LAMP_COUNT = len(Lamp)


@dataclass(frozen=True)
class Sensors:
    """The discrete inputs; field order is the address order."""

    pickup_door_closed: bool
    pickup_item_present: bool
    return_shutter_closed: bool
    return_item_present: bool
    service_door_closed: bool
    estop_released: bool
    overflow_bin_full: bool
    picker_loaded: bool
    pickup_curtain_clear: bool
    return_curtain_clear: bool

    def to_bits(self) -> list[bool]:
        """Bits in address order."""
        return list(astuple(self))

    @classmethod
    def from_bits(cls, bits: Sequence[bool]) -> Sensors:
        """Decode the first SENSOR_COUNT bits (address 0 first)."""
        return cls(*_take_bits(bits, SENSOR_COUNT, "discrete inputs"))


@dataclass(frozen=True)
class Lamps:
    """The coils; field order is the address order."""

    fault_beacon: bool
    pickup_lamp: bool
    return_lamp: bool

    def to_bits(self) -> list[bool]:
        """Bits in address order."""
        return list(astuple(self))

    @classmethod
    def from_bits(cls, bits: Sequence[bool]) -> Lamps:
        """Decode the first LAMP_COUNT bits (address 0 first)."""
        return cls(*_take_bits(bits, LAMP_COUNT, "coils"))


@dataclass(frozen=True)
class CarouselStatus:
    """One consistent reading of every input register, sensor and lamp."""

    state: State
    ack_seq: int
    done_seq: int
    result: Result
    fault: FaultCode | None
    level: int
    position: int
    geometry: Geometry
    firmware: int
    boot_id: int
    heartbeat: int
    reject_seq: int
    reject_code: Result
    cycles: int
    sensors: Sensors
    lamps: Lamps


def encode_input_registers(status: CarouselStatus) -> list[int]:
    """The 18 input registers of a status (CYCLES low word first)."""
    g = status.geometry
    words = {
        InputRegister.STATE: status.state,
        InputRegister.ACK_SEQ: status.ack_seq,
        InputRegister.DONE_SEQ: status.done_seq,
        InputRegister.RESULT: status.result,
        InputRegister.FAULT_CODE: 0 if status.fault is None else status.fault,
        InputRegister.LEVEL: status.level,
        InputRegister.POSITION: status.position,
        InputRegister.LEVELS: g.levels,
        InputRegister.POSITIONS: g.positions,
        InputRegister.PICKUP_LEVEL: g.pickup_level,
        InputRegister.RETURN_LEVEL: g.return_level,
        InputRegister.FW_VERSION: status.firmware,
        InputRegister.BOOT_ID: status.boot_id,
        InputRegister.HEARTBEAT: status.heartbeat,
        InputRegister.REJECT_SEQ: status.reject_seq,
        InputRegister.REJECT_CODE: status.reject_code,
        InputRegister.CYCLES_LO: status.cycles & WORD_MAX,
        InputRegister.CYCLES_HI: (status.cycles >> 16) & WORD_MAX,
    }
    return [_word(int(words[r]), r.name, ValueError) for r in InputRegister]


def decode_status(words: Sequence[int], sensor_bits: Sequence[bool],
                  lamp_bits: Sequence[bool]) -> CarouselStatus:
    """Typed status from raw registers and bits; RegisterMapError on anything off the map."""
    if len(words) != INPUT_REGISTER_COUNT:
        raise RegisterMapError(f"expected {INPUT_REGISTER_COUNT} input registers, got {len(words)}")
    for register in InputRegister:
        _word(words[register], register.name)
    r = {register: words[register] for register in InputRegister}
    geometry = _geometry(r)
    level, position = r[InputRegister.LEVEL], r[InputRegister.POSITION]
    if level >= geometry.levels or position >= geometry.positions:
        raise RegisterMapError(f"LEVEL {level} / POSITION {position} outside {geometry}")
    if r[InputRegister.BOOT_ID] == 0:
        raise RegisterMapError("BOOT_ID is 0")
    fault = r[InputRegister.FAULT_CODE]
    return CarouselStatus(
        state=_code(State, r[InputRegister.STATE], "STATE"),
        ack_seq=r[InputRegister.ACK_SEQ],
        done_seq=r[InputRegister.DONE_SEQ],
        result=_code(Result, r[InputRegister.RESULT], "RESULT"),
        fault=None if fault == 0 else _code(FaultCode, fault, "FAULT_CODE"),
        level=level,
        position=position,
        geometry=geometry,
        firmware=r[InputRegister.FW_VERSION],
        boot_id=r[InputRegister.BOOT_ID],
        heartbeat=r[InputRegister.HEARTBEAT],
        reject_seq=r[InputRegister.REJECT_SEQ],
        reject_code=_code(Result, r[InputRegister.REJECT_CODE], "REJECT_CODE"),
        cycles=r[InputRegister.CYCLES_LO] | r[InputRegister.CYCLES_HI] << 16,
        sensors=Sensors.from_bits(sensor_bits),
        lamps=Lamps.from_bits(lamp_bits),
    )


def encode_command(command: Command, arg1: int, arg2: int, seq: int) -> list[int]:
    """CMD, ARG1, ARG2, SEQ: the words of one function-16 write at address 0 (ValueError if off)."""
    if not SEQ_FIRST <= seq <= SEQ_LAST:
        raise ValueError(f"SEQ {seq} outside {SEQ_FIRST}..{SEQ_LAST}")
    return [int(Command(command)), _word(arg1, "ARG1", ValueError),
            _word(arg2, "ARG2", ValueError), seq]


def next_seq(seq: int, avoid: frozenset[int] = frozenset()) -> int:
    """The SEQ after `seq` (65535 wraps to 1), skipping the values in `avoid`."""
    candidate = seq
    for _ in range(len(avoid) + 1):
        candidate = SEQ_FIRST if candidate >= SEQ_LAST else max(candidate + 1, SEQ_FIRST)
        if candidate not in avoid:
            return candidate
    raise ValueError("no free SEQ")  # unreachable unless avoid covers all of 1..65535


def _geometry(r: dict[InputRegister, int]) -> Geometry:
    levels, positions = r[InputRegister.LEVELS], r[InputRegister.POSITIONS]
    pickup, ret = r[InputRegister.PICKUP_LEVEL], r[InputRegister.RETURN_LEVEL]
    if levels == 0 or positions == 0 or pickup >= levels or ret >= levels:
        raise RegisterMapError(f"impossible geometry {levels}x{positions}, ports {pickup}/{ret}")
    return Geometry(levels=levels, positions=positions, pickup_level=pickup, return_level=ret)


def _code(enum: type, value: int, name: str):
    try:
        return enum(value)
    except ValueError:
        raise RegisterMapError(f"{name} {value} is not a known code") from None


def _word(value: int, name: str, error: type[Exception] = RegisterMapError) -> int:
    """`value` if it is a 16-bit word; RegisterMapError for what the PLC sent, ValueError for ours."""
    if not isinstance(value, int) or not 0 <= value <= WORD_MAX:
        raise error(f"{name} {value!r} is not a 16-bit word")
    return value


def _take_bits(bits: Sequence[bool], count: int, what: str) -> list[bool]:
    if len(bits) < count:
        raise RegisterMapError(f"expected {count} {what}, got {len(bits)}")
    return [bool(b) for b in bits[:count]]
