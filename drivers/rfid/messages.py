"""Request and response bodies of every reader command, shared by the driver and the simulator."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.rfid.errors import InvalidRequest, MessageError
from drivers.rfid.frames import MAX_BODY, Command, Frame, Status

UID_BYTES = 8
BLOCK_SIZE = 4
MAX_READ_BLOCKS = (MAX_BODY - 1) // BLOCK_SIZE  # the response body holds STATUS + blocks
MAX_WRITE_BLOCKS = (MAX_BODY - 3 - UID_BYTES) // BLOCK_SIZE
_TAG_ENTRY = struct.Struct(">8sBB")


@dataclass(frozen=True)
class TagInfo:
    """One tag found by INVENTORY."""

    uid: bytes
    dsfid: int
    afi: int


@dataclass(frozen=True)
class SystemInfo:
    """A tag's SYSTEM_INFO."""

    dsfid: int
    afi: int
    block_count: int
    block_size: int


@dataclass(frozen=True)
class ReaderInfo:
    """The reader's READER_INFO."""

    firmware_major: int
    firmware_minor: int
    antenna_count: int


@dataclass(frozen=True)
class Inventory:
    """INVENTORY request."""

    antenna: int


@dataclass(frozen=True)
class ReadBlocks:
    """READ_BLOCKS request."""

    antenna: int
    uid: bytes
    first: int
    count: int


@dataclass(frozen=True)
class WriteBlocks:
    """WRITE_BLOCKS request; the block count is len(data) / 4."""

    antenna: int
    uid: bytes
    first: int
    data: bytes


@dataclass(frozen=True)
class WriteAfi:
    """WRITE_AFI request."""

    antenna: int
    uid: bytes
    afi: int


@dataclass(frozen=True)
class GetSystemInfo:
    """SYSTEM_INFO request."""

    antenna: int
    uid: bytes


@dataclass(frozen=True)
class GetReaderInfo:
    """READER_INFO request."""


Request = Inventory | ReadBlocks | WriteBlocks | WriteAfi | GetSystemInfo | GetReaderInfo

COMMAND_OF: dict[type, Command] = {
    Inventory: Command.INVENTORY, ReadBlocks: Command.READ_BLOCKS,
    WriteBlocks: Command.WRITE_BLOCKS, WriteAfi: Command.WRITE_AFI,
    GetSystemInfo: Command.SYSTEM_INFO, GetReaderInfo: Command.READER_INFO,
}


def encode_request(request: Request) -> Frame:
    """The frame of a request; InvalidRequest if an argument is out of range."""
    _validate_request(request)
    match request:
        case Inventory(antenna):
            body = bytes([antenna])
        case ReadBlocks(antenna, uid, first, count):
            body = bytes([antenna]) + uid + bytes([first, count])
        case WriteBlocks(antenna, uid, first, data):
            body = bytes([antenna]) + uid + bytes([first, len(data) // BLOCK_SIZE]) + data
        case WriteAfi(antenna, uid, afi):
            body = bytes([antenna]) + uid + bytes([afi])
        case GetSystemInfo(antenna, uid):
            body = bytes([antenna]) + uid
        case _:
            body = b""
    return Frame(cmd=COMMAND_OF[type(request)], body=body)


def decode_request(frame: Frame) -> Request:
    """The request in a frame; MessageError for an unknown CMD or a body that does not fit."""
    try:
        cmd = Command(frame.cmd)
    except ValueError:
        raise MessageError(f"unknown command 0x{frame.cmd:02X}") from None
    body = frame.body
    if cmd is Command.INVENTORY and len(body) == 1:
        return Inventory(body[0])
    if cmd is Command.READ_BLOCKS and len(body) == 11 and 1 <= body[10] <= MAX_READ_BLOCKS:
        return ReadBlocks(body[0], body[1:9], body[9], body[10])
    if cmd is Command.WRITE_BLOCKS and len(body) > 11 and len(body) - 11 == body[10] * BLOCK_SIZE:
        return WriteBlocks(body[0], body[1:9], body[9], body[11:])
    if cmd is Command.WRITE_AFI and len(body) == 10:
        return WriteAfi(body[0], body[1:9], body[9])
    if cmd is Command.SYSTEM_INFO and len(body) == 9:
        return GetSystemInfo(body[0], body[1:9])
    if cmd is Command.READER_INFO and not body:
        return GetReaderInfo()
    raise MessageError(f"{cmd.name} body of {len(body)} bytes does not fit the command")


def encode_response(cmd: int, status: Status, payload: bytes = b"") -> Frame:
    """A response frame: the echoed CMD, STATUS, then the payload."""
    return Frame(cmd=cmd, body=bytes([status]) + payload)


def split_status(frame: Frame) -> tuple[Status, bytes]:
    """STATUS and the rest of a response body; MessageError if there is no known STATUS."""
    if not frame.body:
        raise MessageError(f"response to 0x{frame.cmd:02X} has no STATUS")
    try:
        return Status(frame.body[0]), frame.body[1:]
    except ValueError:
        raise MessageError(f"unknown STATUS 0x{frame.body[0]:02X}") from None


def encode_inventory(tags: list[TagInfo]) -> bytes:
    """INVENTORY payload: count, then UID, DSFID, AFI per tag."""
    return bytes([len(tags)]) + b"".join(_TAG_ENTRY.pack(t.uid, t.dsfid, t.afi) for t in tags)


def decode_inventory(payload: bytes) -> list[TagInfo]:
    """Tags of an INVENTORY payload; MessageError if the count and length disagree."""
    if not payload or len(payload) != 1 + payload[0] * _TAG_ENTRY.size:
        raise MessageError(f"INVENTORY payload of {len(payload)} bytes does not match its count")
    return [TagInfo(*entry) for entry in _TAG_ENTRY.iter_unpack(payload[1:])]


def decode_blocks(payload: bytes, count: int) -> bytes:
    """READ_BLOCKS payload; MessageError unless it holds exactly `count` blocks."""
    if len(payload) != count * BLOCK_SIZE:
        raise MessageError(f"READ_BLOCKS returned {len(payload)} bytes for {count} blocks")
    return bytes(payload)


def encode_system_info(info: SystemInfo) -> bytes:
    """SYSTEM_INFO payload."""
    return bytes([info.dsfid, info.afi, info.block_count, info.block_size])


def decode_system_info(payload: bytes) -> SystemInfo:
    """SYSTEM_INFO payload; MessageError unless it is 4 bytes."""
    if len(payload) != 4:
        raise MessageError(f"SYSTEM_INFO payload of {len(payload)} bytes, expected 4")
    return SystemInfo(*payload)


def encode_reader_info(info: ReaderInfo) -> bytes:
    """READER_INFO payload."""
    return bytes([info.firmware_major, info.firmware_minor, info.antenna_count])


def decode_reader_info(payload: bytes) -> ReaderInfo:
    """READER_INFO payload; MessageError unless it is 3 bytes."""
    if len(payload) != 3:
        raise MessageError(f"READER_INFO payload of {len(payload)} bytes, expected 3")
    return ReaderInfo(*payload)


def _validate_request(request: Request) -> None:
    """Raise InvalidRequest unless every field fits its byte(s)."""
    for name in ("antenna", "first", "afi"):
        value = getattr(request, name, 0)
        if not isinstance(value, int) or not 0 <= value <= 0xFF:
            raise InvalidRequest(f"{name} {value!r} is not a byte")
    uid = getattr(request, "uid", bytes(UID_BYTES))
    if not isinstance(uid, bytes) or len(uid) != UID_BYTES:
        raise InvalidRequest(f"UID {uid!r} is not {UID_BYTES} bytes")
    if isinstance(request, ReadBlocks) and not 1 <= request.count <= MAX_READ_BLOCKS:
        raise InvalidRequest(f"block count {request.count} is not 1..{MAX_READ_BLOCKS}")
    if isinstance(request, WriteBlocks):
        blocks, rest = divmod(len(request.data), BLOCK_SIZE)
        if rest or not 1 <= blocks <= MAX_WRITE_BLOCKS:
            raise InvalidRequest(f"{len(request.data)} bytes is not 1..{MAX_WRITE_BLOCKS} whole blocks")
