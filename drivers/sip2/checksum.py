"""SIP2 error detection: the AY sequence number and the AZ checksum."""

from __future__ import annotations

import re

from drivers.sip2.errors import ChecksumError

# The error-detection tail: AY and one digit (optional, as in "96AZFEF6"), AZ, 4 hex digits.
_TAIL = re.compile(rb"(?:AY([0-9]))?AZ([0-9A-Fa-f]{4})\Z")


def checksum(data: bytes) -> str:
    """Two's complement of the 16-bit sum of `data`, as 4 upper-case hex digits."""
    return f"{-sum(data) & 0xFFFF:04X}"


def append_error_detection(body: bytes, sequence: int | None) -> bytes:
    """`body` followed by AY<sequence> (when given) and AZ<checksum of all up to AZ>."""
    if sequence is not None and not 0 <= sequence <= 9:
        raise ValueError(f"sequence {sequence} outside 0..9")
    head = body + (b"" if sequence is None else b"AY%d" % sequence) + b"AZ"
    return head + checksum(head).encode("ascii")


def split_error_detection(message: bytes, *, required: bool) -> tuple[bytes, int | None]:
    """Strip and verify the AY/AZ tail; return (body, sequence or None when absent)."""
    match = _TAIL.search(message)
    if match is None:
        if required:
            raise ChecksumError("message has no AY/AZ error-detection tail")
        return message, None
    head_end = match.start(2)  # everything up to and including "AZ" is summed
    expected = checksum(message[:head_end])
    if match.group(2).upper() != expected.encode("ascii"):
        raise ChecksumError(f"checksum {match.group(2).decode()} does not match {expected}")
    sequence = None if match.group(1) is None else int(match.group(1))
    return message[: match.start()], sequence
