"""Errors of the RFID reader driver and of its codecs."""

from __future__ import annotations

from typing import ClassVar

from drivers.errors import CommandRejected, DriverError, ProtocolError


class FrameError(ProtocolError):
    """Bytes that are not one well-formed reader frame (bad SOF, length or CRC)."""


class MessageError(ProtocolError):
    """A well-formed frame whose body does not fit its command."""


class TagDecodeError(ProtocolError):
    """Tag memory that is not a valid ISO 28560-3 basic block."""


class TagEncodeError(DriverError, ValueError):
    """Tag data that cannot be written as an ISO 28560-3 basic block."""


class ReaderStatusError(DriverError):
    """The reader answered with a STATUS other than OK."""

    retryable: ClassVar[bool] = False


class NoTag(ReaderStatusError, CommandRejected):
    """No tag with that UID is in the antenna's field."""


class Collision(ReaderStatusError, CommandRejected):
    """Several tags answered at once."""


class TagError(ReaderStatusError):
    """The tag read or write failed; a retry may succeed."""

    retryable = True


class BadFrame(ReaderStatusError, ProtocolError):
    """The reader received our request damaged; a retry may succeed."""

    retryable = True


class UnknownCommand(ReaderStatusError, CommandRejected):
    """The reader does not know the command."""


class BadAntenna(ReaderStatusError, CommandRejected):
    """The reader has no such antenna."""


class AfiNotSet(DriverError):
    """The AFI read back after a write is not the one written."""

    def __init__(self, expected: int, actual: int):
        super().__init__(f"AFI read back as 0x{actual:02X}, expected 0x{expected:02X}")
        self.expected = expected
        self.actual = actual



class InvalidRequest(DriverError, ValueError):
    """A request the driver refuses to send: an argument is out of range."""
