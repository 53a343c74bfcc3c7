"""Dates as real ACSs write them: SIP2's 18 characters, Evergreen's ISO-like form, bare days."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

from drivers.sip2.codec import format_date, in_range, parse_date
from drivers.sip2.errors import Sip2Error

_ISO_LIKE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})\Z")
_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})\Z")
END_OF_DAY = time(23, 59, 59)


def parse_acs_date(text: str | None, local: tzinfo) -> datetime | None:
    """An aware datetime from any date form an ACS sends; a bare day is its last second.

    Forms: YYYYMMDDZZZZHHMMSS (a blank zone is `local`), YYYY-MM-DD HH:MM:SS (Evergreen's
    due dates, local), YYYYMMDD or YYYY-MM-DD. None when absent or blank; Sip2Error otherwise.
    """
    if text is None or not text.strip():
        return None
    if len(text) == 18:
        return parse_date(text, local)
    text = text.strip()
    if match := _ISO_LIKE.match(text):
        return in_range(_local(local, *map(int, match.groups())), text)
    if match := _DAY.match(text):
        return in_range(datetime.combine(_day(match), END_OF_DAY, tzinfo=local), text)
    raise Sip2Error(f"bad SIP2 date {text!r}")


def parse_acs_day(text: str | None, local: tzinfo) -> date | None:
    """A calendar day (in `local`) from any date form an ACS sends; None when absent."""
    moment = parse_acs_date(text, local)
    return None if moment is None else moment.astimezone(local).date()


def format_local(when: datetime | None, local: tzinfo) -> str:
    """YYYYMMDD    HHMMSS in the ACS's zone, the zone left blank, as ACSs expect; None blank."""
    if when is None:
        return format_date(None)
    return format_date(when.astimezone(local).replace(tzinfo=None))


def _local(zone: tzinfo, *parts: int) -> datetime:
    try:
        return datetime(*parts, tzinfo=zone)
    except ValueError:
        raise Sip2Error(f"bad SIP2 date {parts!r}") from None


def _day(match: re.Match) -> date:
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        raise Sip2Error(f"bad SIP2 day {match.group(0)!r}") from None
