"""SIP2 (3M Standard Interchange Protocol 2.00): a pure codec shared by kiosk and simulator."""

from drivers.sip2.checksum import append_error_detection, checksum, split_error_detection
from drivers.sip2.codec import (
    Message,
    build,
    decode,
    encode,
    format_date,
    format_day,
    parse_date,
    parse_day,
)
from drivers.sip2.dates import format_local, parse_acs_date, parse_acs_day
from drivers.sip2.errors import ChecksumError, Sip2Error
from drivers.sip2.layouts import LAYOUTS, response_code

__all__ = [
    "LAYOUTS",
    "ChecksumError",
    "Message",
    "Sip2Error",
    "append_error_detection",
    "build",
    "checksum",
    "decode",
    "encode",
    "format_date",
    "format_day",
    "format_local",
    "parse_acs_date",
    "parse_acs_day",
    "parse_date",
    "parse_day",
    "response_code",
    "split_error_detection",
]
