"""Errors of the SIP2 codec."""

from drivers.errors import ProtocolError


class Sip2Error(ProtocolError):
    """A SIP2 message is malformed: unknown code, short fixed part, bad field or date."""


class ChecksumError(Sip2Error):
    """A SIP2 message's AZ checksum is missing or does not match its bytes."""
