"""ISO 28560-3 (the fixed-length "Danish" data model): the one module that knows tag content."""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import IntEnum

from drivers.rfid.crc import crc16_ccitt_false
from drivers.rfid.errors import TagDecodeError, TagEncodeError

TAG_BYTES = 32  # the basic block: tag blocks 0-7
TAG_BLOCKS = 8
DATA_MODEL_VERSION = 1
ITEM_ID_BYTES = 16
ISIL_BYTES = 9
_CRC_AT = slice(19, 21)
_PRINTABLE = frozenset(string.printable.encode()) - frozenset(b"\t\n\r\x0b\x0c")
_COUNTRY_LETTERS = frozenset(string.ascii_uppercase.encode())


class Usage(IntEnum):
    """Type of usage (low nibble of byte 0)."""

    ACQUISITION = 0
    CIRCULATING = 1
    NOT_FOR_LOAN = 2
    DISCARDED = 7
    PATRON_CARD = 8


@dataclass(frozen=True)
class TagData:
    """The content of an ISO 28560-3 basic block."""

    usage: Usage
    parts: int
    part: int
    item_id: str
    country: str
    isil: str
    version: int = DATA_MODEL_VERSION


def encode_tag(tag: TagData) -> bytes:
    """The 32-byte basic block for `tag`; TagEncodeError if a field does not fit."""
    _validate(tag, TagEncodeError)
    head = bytes([(tag.version << 4) | tag.usage, tag.parts, tag.part])
    head += tag.item_id.encode("ascii").ljust(ITEM_ID_BYTES, b"\0")
    tail = tag.country.encode("ascii") + tag.isil.encode("ascii").ljust(ISIL_BYTES, b"\0")
    crc = tag_crc(head + b"\0\0" + tail)
    return head + crc.to_bytes(2, "little") + tail


def decode_tag(block: bytes) -> TagData:
    """Decode a basic block; TagDecodeError on a wrong length, CRC, version or field."""
    block = bytes(block)
    if len(block) != TAG_BYTES:
        raise TagDecodeError(f"basic block is {len(block)} bytes, expected {TAG_BYTES}")
    stored = int.from_bytes(block[_CRC_AT], "little")
    if stored != tag_crc(block):
        raise TagDecodeError(f"tag CRC 0x{stored:04X} does not match its content")
    version, usage = _version_and_usage(block[0])
    tag = TagData(
        usage=usage,
        parts=block[1],
        part=block[2],
        item_id=_text(block[3:19], "item id"),
        country=_text(block[21:23], "country"),
        isil=_text(block[23:32], "ISIL"),
        version=version,
    )
    _validate(tag, TagDecodeError)
    return tag


def tag_crc(block: bytes) -> int:
    """The ISO 28560-3 CRC of a 32-byte block: bytes 0-18 and 21-31, then two zero bytes."""
    return crc16_ccitt_false(block[:19] + block[21:32] + b"\0\0")


def _version_and_usage(first: int) -> tuple[int, Usage]:
    high, low = first >> 4, first & 0x0F
    if high != DATA_MODEL_VERSION and low == DATA_MODEL_VERSION:
        high, low = low, high  # some vendors swap the nibbles of byte 0
    if high != DATA_MODEL_VERSION:
        raise TagDecodeError(f"unknown data model version {high} (byte 0 = 0x{first:02X})")
    try:
        return high, Usage(low)
    except ValueError:
        raise TagDecodeError(f"unknown type of usage {low}") from None


def _text(field: bytes, name: str) -> str:
    value = field.rstrip(b"\0")
    if not set(value) <= _PRINTABLE:
        raise TagDecodeError(f"{name} is not printable ASCII: {field!r}")
    return value.decode("ascii")


def _validate(tag: TagData, error: type[Exception]) -> None:
    """Raise `error` unless every field of `tag` fits the basic block."""
    if tag.version != DATA_MODEL_VERSION:
        raise error(f"unsupported data model version {tag.version!r}")
    if not isinstance(tag.usage, int) or tag.usage not in set(Usage):
        raise error(f"unknown type of usage {tag.usage!r}")
    if not (isinstance(tag.parts, int) and isinstance(tag.part, int) and 1 <= tag.part <= tag.parts <= 255):
        raise error(f"part {tag.part!r} of {tag.parts!r} is not 1 <= part <= parts <= 255")
    _check_text(tag.item_id, ITEM_ID_BYTES, "item id", error, _PRINTABLE)
    _check_text(tag.isil, ISIL_BYTES, "ISIL", error, _PRINTABLE)
    _check_text(tag.country, 2, "country", error, _COUNTRY_LETTERS, exact=True)


def _check_text(value: object, size: int, name: str, error: type[Exception],
                allowed: frozenset[int], exact: bool = False) -> None:
    if not isinstance(value, str) or not value.isascii() or not set(value.encode()) <= allowed:
        raise error(f"{name} {value!r} must be printable ASCII")
    if not (len(value) == size if exact else 1 <= len(value) <= size):
        raise error(f"{name} {value!r} must be {size if exact else f'1 to {size}'} characters")
