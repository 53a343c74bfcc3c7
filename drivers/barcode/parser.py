"""Barcode scanner lines: optional AIM symbology identifier, data, CR or CR LF."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

CR, LF = 0x0D, 0x0A
AIM_PREFIX_LENGTH = 3
DEFAULT_MAX_LENGTH = 64
_PRINTABLE = frozenset(range(0x20, 0x7F))


class Symbology(StrEnum):
    """The AIM symbology identifiers the scanner sends."""

    CODE128 = "]C0"
    CODE39 = "]A0"
    EAN13 = "]E0"
    QR = "]Q1"


class MisreadReason(Enum):
    """Why a line is not a scan."""

    EMPTY = "empty"
    NON_PRINTABLE = "non_printable"
    TOO_LONG = "too_long"
    UNKNOWN_SYMBOLOGY = "unknown_symbology"


@dataclass(frozen=True)
class Scanned:
    """A good scan: printable ASCII data and its symbology (None without an AIM prefix)."""

    data: str
    symbology: Symbology | None


@dataclass(frozen=True)
class Misread:
    """A line that is not a good scan; `raw` is the line (its first max_length bytes if too long)."""

    raw: bytes
    reason: MisreadReason


def parse_line(line: bytes, max_length: int = DEFAULT_MAX_LENGTH) -> Scanned | Misread:
    """One line without its terminator."""
    line = bytes(line)
    if len(line) > max_length:
        return Misread(line[:max_length], MisreadReason.TOO_LONG)
    if not set(line) <= _PRINTABLE:
        return Misread(line, MisreadReason.NON_PRINTABLE)
    text = line.decode("ascii")
    symbology = None
    if text.startswith("]"):
        try:
            symbology = Symbology(text[:AIM_PREFIX_LENGTH])
        except ValueError:
            return Misread(line, MisreadReason.UNKNOWN_SYMBOLOGY)
        text = text[AIM_PREFIX_LENGTH:]
    if not text:
        return Misread(line, MisreadReason.EMPTY)
    return Scanned(text, symbology)


class LineParser:
    """Feed bytes as they arrive; get back a Scanned or Misread per line, in order."""

    def __init__(self, max_length: int = DEFAULT_MAX_LENGTH):
        self.max_length = max_length
        self._buf = bytearray()
        self._discarding = False  # after an over-long line: skip to the next CR

    def reset(self) -> None:
        """Forget any partial line."""
        self._buf.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[Scanned | Misread]:
        """Add `data`; return the lines it completed. Never raises for any input."""
        self._buf += data
        out: list[Scanned | Misread] = []
        while self._buf:
            if self._discarding:
                if not self._skip_to_line_end():
                    break
                continue
            while self._buf[:1] == b"\n":  # the LF of a CR LF
                del self._buf[0]
            end = self._buf.find(CR)
            if (end if end >= 0 else len(self._buf)) > self.max_length:
                out.append(Misread(bytes(self._buf[:self.max_length]), MisreadReason.TOO_LONG))
                self._discarding = True
                continue
            if end < 0:
                break
            out.append(parse_line(self._buf[:end], self.max_length))
            del self._buf[:end + 1]
        return out

    def _skip_to_line_end(self) -> bool:
        """Drop bytes through the next CR; whether one was found."""
        end = self._buf.find(CR)
        if end < 0:
            self._buf.clear()
            return False
        del self._buf[:end + 1]
        self._discarding = False
        return True
