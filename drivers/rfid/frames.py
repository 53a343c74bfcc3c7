"""Reader frames (SOF, LEN, CMD, body, CRC): encoding and an incremental, resyncing decoder."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

from drivers.rfid.crc import crc16_ccitt_false
from drivers.rfid.errors import FrameError

SOF = 0xAA
MAX_LEN = 0xFF  # LEN is one byte: CMD + body
MAX_BODY = MAX_LEN - 1
_HEAD = 2  # SOF, LEN
_TAIL = 2  # CRC


class Command(IntEnum):
    """Request commands; a response echoes the CMD."""

    INVENTORY = 0x01
    READ_BLOCKS = 0x02
    WRITE_BLOCKS = 0x03
    WRITE_AFI = 0x04
    SYSTEM_INFO = 0x05
    READER_INFO = 0x10


class Status(IntEnum):
    """The STATUS byte that begins every response body."""

    OK = 0x00
    NO_TAG = 0x01
    COLLISION = 0x02
    TAG_ERROR = 0x03
    BAD_FRAME = 0x04
    UNKNOWN_COMMAND = 0x05
    BAD_ANTENNA = 0x06


class Antenna(IntEnum):
    """The reader's antennas."""

    PICKUP = 0
    RETURN = 1
    PICKER = 2


class FrameFault(Enum):
    """Why the decoder dropped a candidate frame."""

    BAD_LENGTH = "bad_length"
    BAD_CRC = "bad_crc"
    TRUNCATED = "truncated"  # a later complete frame arrived before this one was whole


@dataclass(frozen=True)
class Frame:
    """One well-formed frame; `cmd` stays an int so unknown commands can be answered."""

    cmd: int
    body: bytes = b""


@dataclass(frozen=True)
class DamagedFrame:
    """A dropped candidate; `cmd` is set when its CMD byte names a known command."""

    fault: FrameFault
    cmd: Command | None


def encode_frame(cmd: int, body: bytes = b"") -> bytes:
    """The bytes of one frame; FrameError if `cmd` or `body` cannot fit."""
    if not 0 <= cmd <= 0xFF:
        raise FrameError(f"CMD {cmd!r} is not a byte")
    if len(body) > MAX_BODY:
        raise FrameError(f"body of {len(body)} bytes exceeds {MAX_BODY}")
    payload = bytes([len(body) + 1, cmd]) + bytes(body)
    return bytes([SOF]) + payload + crc16_ccitt_false(payload).to_bytes(2, "big")


def decode_frame(data: bytes) -> Frame:
    """Decode exactly one frame; FrameError for anything else."""
    data = bytes(data)
    if len(data) < _HEAD + 1 + _TAIL or data[0] != SOF:
        raise FrameError(f"not a frame: {data[:8].hex()}")
    fault = _check(data, 0)
    if isinstance(fault, FrameFault) or fault != len(data):
        raise FrameError(f"bad frame ({fault}): {data[:8].hex()}")
    return Frame(cmd=data[2], body=data[3:-_TAIL])


class FrameDecoder:
    """Feed bytes as they arrive; get back frames and dropped candidates, in order."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0  # bytes discarded while hunting for SOF

    def reset(self) -> None:
        """Forget any partial frame."""
        self._buf.clear()

    def feed(self, data: bytes) -> list[Frame | DamagedFrame]:
        """Add `data`; return what became complete. Never raises for any input."""
        self._buf += data
        out: list[Frame | DamagedFrame] = []
        while self._hunt():
            result = _check(self._buf, 0)
            if result is None:
                later = self._complete_frame_after(0)
                if later is None:
                    break
                out.append(DamagedFrame(FrameFault.TRUNCATED, _known(self._buf)))
                self._drop(later)
            elif isinstance(result, FrameFault):
                cmd = _known(self._buf) if result is FrameFault.BAD_CRC else None
                out.append(DamagedFrame(result, cmd))
                self._drop(1)  # a real frame may begin inside the damaged one
            else:
                out.append(Frame(cmd=self._buf[2], body=bytes(self._buf[3:result - _TAIL])))
                del self._buf[:result]
        return out

    def _hunt(self) -> bool:
        """Drop bytes before the next SOF; whether one is there."""
        start = self._buf.find(SOF)
        if start < 0:
            self._drop(len(self._buf))
            return False
        self._drop(start)
        return True

    def _drop(self, count: int) -> None:
        self.skipped += count
        del self._buf[:count]

    def _complete_frame_after(self, start: int) -> int | None:
        """Offset of the first whole, valid frame starting after `start`, if any."""
        at = self._buf.find(SOF, start + 1)
        while at >= 0:
            if isinstance(_check(self._buf, at), int):
                return at
            at = self._buf.find(SOF, at + 1)
        return None


def _check(buf: bytes | bytearray, at: int) -> int | FrameFault | None:
    """End offset of the valid frame at `at`, a fault, or None if it is still incomplete."""
    if len(buf) - at < _HEAD:
        return None
    length = buf[at + 1]
    if length == 0:
        return FrameFault.BAD_LENGTH
    end = at + _HEAD + length + _TAIL
    if len(buf) < end:
        return None
    payload = bytes(buf[at + 1:end - _TAIL])
    if crc16_ccitt_false(payload) != int.from_bytes(buf[end - _TAIL:end], "big"):
        return FrameFault.BAD_CRC
    return end


def _known(buf: bytes | bytearray) -> Command | None:
    """The candidate's CMD if it names a known command (a damaged request can be answered)."""
    if len(buf) < 3:
        return None
    try:
        return Command(buf[2])
    except ValueError:
        return None
