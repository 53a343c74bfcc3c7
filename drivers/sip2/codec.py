"""Build, encode and parse SIP2 messages: fixed fields, variable fields, dates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo

from drivers.sip2.checksum import append_error_detection, split_error_detection
from drivers.sip2.errors import Sip2Error
from drivers.sip2.layouts import DATE_LENGTH, LAYOUTS

_FIELD_ID = re.compile(r"[A-Za-z0-9]{2}\Z")
_FORBIDDEN = ("|", "\r", "\n")
_UTC_ZONE = "   Z"
_LOCAL_ZONE = "    "
# A time the kiosk can show in any zone: a day away from datetime's own limits.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1)


@dataclass(frozen=True)
class Message:
    """One SIP2 message: its code, fixed fields by name, variable fields in order."""

    code: str
    fixed: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[tuple[str, str], ...] = ()
    sequence: int | None = None

    def get(self, field_id: str) -> str | None:
        """Value of the first variable field `field_id`, or None when absent."""
        return next((v for k, v in self.fields if k == field_id), None)

    def all(self, field_id: str) -> list[str]:
        """Values of every variable field `field_id` (repeatable fields such as AU)."""
        return [v for k, v in self.fields if k == field_id]

    def flag(self, name: str) -> bool:
        """Whether fixed field `name` holds Y or 1."""
        return self.fixed[name] in ("Y", "1")


def build(
    code: str,
    fixed: Mapping[str, str],
    fields: Iterable[tuple[str, str | None]] = (),
    sequence: int | None = None,
) -> Message:
    """A checked Message; variable fields whose value is None are left out."""
    layout = _layout(code)
    names = [name for name, _ in layout]
    if sorted(fixed) != sorted(names):
        raise Sip2Error(f"message {code} needs fixed fields {names}, got {sorted(fixed)}")
    for name, length in layout:
        if len(fixed[name]) != length:
            raise Sip2Error(f"{code} field {name} must be {length} characters: {fixed[name]!r}")
    kept = tuple((k, v) for k, v in fields if v is not None)
    for field_id, value in kept:
        _check_field(field_id, value)
    return Message(code, dict(fixed), kept, sequence)


def encode(message: Message, *, encoding: str = "utf-8", errors: str = "strict",
           error_detection: bool = True) -> bytes:
    """Wire bytes of `message`, with AY/AZ when error detection is on, ending in CR."""
    layout = _layout(message.code)
    text = message.code + "".join(message.fixed[name] for name, _ in layout)
    text += "".join(f"{k}{v}|" for k, v in message.fields)
    try:
        body = text.encode(encoding, errors)
    except (UnicodeEncodeError, LookupError) as exc:
        raise Sip2Error(f"cannot encode message {message.code} as {encoding}: {exc}") from None
    if error_detection:
        body = append_error_detection(body, message.sequence)
    return body + b"\r"


def decode(data: bytes, *, encoding: str = "utf-8", require_checksum: bool = False) -> Message:
    """Parse one message (a trailing CR or CRLF is allowed); Sip2Error when malformed."""
    body, sequence = split_error_detection(data.strip(b"\r\n"), required=require_checksum)
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Sip2Error(f"message is not valid {encoding}: {exc}") from None
    code = text[:2]
    layout = _layout(code)
    fixed, pos = {}, 2
    for name, length in layout:
        value = text[pos : pos + length]
        if len(value) != length:
            raise Sip2Error(f"message {code} is too short for fixed field {name}")
        fixed[name] = value
        pos += length
    return Message(code, fixed, _variable_fields(text[pos:]), sequence)


def _variable_fields(text: str) -> tuple[tuple[str, str], ...]:
    """Split 'AOinst|AAid|' into (id, value) pairs; empty segments are skipped."""
    pairs = []
    for segment in text.split("|"):
        if not segment:
            continue
        if not _FIELD_ID.match(segment[:2]):
            raise Sip2Error(f"bad variable field {segment[:10]!r}")
        pairs.append((segment[:2], segment[2:]))
    return tuple(pairs)


def _layout(code: str) -> tuple[tuple[str, int], ...]:
    try:
        return LAYOUTS[code]
    except KeyError:
        raise Sip2Error(f"unknown message code {code!r}") from None


def _check_field(field_id: str, value: str) -> None:
    if not _FIELD_ID.match(field_id):
        raise Sip2Error(f"bad field identifier {field_id!r}")
    if any(c in value for c in _FORBIDDEN):
        raise Sip2Error(f"field {field_id} contains a separator or line break")


def format_date(when: datetime | None) -> str:
    """YYYYMMDDZZZZHHMMSS: aware times in UTC ('   Z'), naive ones as local, None blank."""
    if when is None:
        return " " * DATE_LENGTH
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
        return when.strftime("%Y%m%d") + _UTC_ZONE + when.strftime("%H%M%S")
    return when.strftime("%Y%m%d") + _LOCAL_ZONE + when.strftime("%H%M%S")


def parse_date(text: str, local: tzinfo) -> datetime | None:
    """An aware datetime from YYYYMMDDZZZZHHMMSS (blank zone = `local`); None if blank."""
    if not text.strip():
        return None
    if len(text) != DATE_LENGTH or not (text[:8] + text[12:]).isdigit():
        raise Sip2Error(f"bad SIP2 date {text!r}")
    try:
        naive = datetime.strptime(text[:8] + text[12:], "%Y%m%d%H%M%S")
    except ValueError:
        raise Sip2Error(f"bad SIP2 date {text!r}") from None
    return in_range(naive.replace(tzinfo=timezone.utc if text[8:12] == _UTC_ZONE else local),
                    text)


def in_range(moment: datetime, text: str) -> datetime:
    """`moment` (aware), if it can be shown in any zone; Sip2Error for a year 1 or 9999 edge."""
    try:
        if _EARLIEST <= moment <= _LATEST:
            return moment
    except OverflowError:  # its UTC offset takes it past datetime's limits
        pass
    raise Sip2Error(f"SIP2 date {text!r} is out of range")


def format_day(day: date | None) -> str | None:
    """YYYYMMDD, or None (field left out)."""
    return None if day is None else day.strftime("%Y%m%d")


def parse_day(text: str | None) -> date | None:
    """A date from YYYYMMDD; None when absent or empty; Sip2Error when malformed."""
    if not text:
        return None
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise Sip2Error(f"bad SIP2 day {text!r}") from None
