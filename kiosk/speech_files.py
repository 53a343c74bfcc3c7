"""The WAV that espeak-ng streams, made whole; the numbering of speech files; speech errors."""

from __future__ import annotations

import re
import struct
from pathlib import Path

NUMBERED = re.compile(r"^(\d{6})\.(wav|json)$")


class SpeechError(Exception):
    """Speech could not be rendered, played or written (the message says what and why)."""


def whole_wav(data: bytes, engine: str = "the engine") -> bytes:
    """The WAV with its RIFF and data sizes filled in (espeak-ng --stdout streams placeholders)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError(f"{engine} did not write a WAV")
    offset = 12
    while offset + 8 <= len(data):
        chunk, size = data[offset:offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        if chunk == b"data":
            body = len(data) - offset - 8
            head = bytearray(data[:offset + 8])
            struct.pack_into("<I", head, 4, len(data) - 8)
            struct.pack_into("<I", head, offset + 4, body)
            return bytes(head) + data[offset + 8:]
        offset += 8 + size + (size & 1)
    raise SpeechError(f"{engine} wrote a WAV without audio data")


def playing_seconds(wav: bytes) -> float:
    """How long a whole WAV plays (its byte rate from the fmt chunk); 0 if it cannot tell."""
    fmt = wav.find(b"fmt ", 12, 64)
    data = wav.find(b"data", 12, 128)
    if fmt < 0 or data < 0 or len(wav) < fmt + 20:
        return 0.0
    byte_rate = struct.unpack_from("<I", wav, fmt + 16)[0]
    return (len(wav) - data - 8) / byte_rate if byte_rate else 0.0


def numbered_after(folder: Path) -> int:
    """The highest NNNNNN of NNNNNN.wav / NNNNNN.json in `folder` (0: none, or no folder)."""
    try:
        names = [entry.name for entry in folder.iterdir()]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    return max((int(match[1]) for name in names if (match := NUMBERED.match(name))), default=0)
