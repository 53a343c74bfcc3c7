"""Control-socket requests (access): the technician log."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from kiosk.control_api import Caller, ControlError, RequestSpec, in_years
from kiosk.journal import TechnicianLogEntry, utc_now

if TYPE_CHECKING:
    from kiosk.controller import Controller

LOG_LIMIT = (1, 10000)
RELATIVE = re.compile(r"(\d{1,6})([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


async def technician_log(ctl: "Controller", args: dict, caller: Caller) -> list[dict]:
    """The technician log's latest entries: who changed what, when, and how it ended."""
    since = parse_since(args.get("since"))
    limit = args.get("limit", 50)
    low, high = LOG_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not low <= limit <= high:
        raise ControlError(f"limit must be a whole number {low}..{high}, not {limit!r}")
    entries = await ctl.query(lambda c: c.journal.technician_log(since, limit))
    return [_entry(entry) for entry in entries]


def parse_since(text: object, now: datetime | None = None) -> datetime | None:
    """`--since`: an ISO date or date-time (local time unless it says), or an age: 30m, 12h, 7d."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ControlError(f"since must be text, not {text!r}")
    if match := RELATIVE.fullmatch(text.strip()):
        age = timedelta(**{UNITS[match[2]]: int(match[1])})
        try:
            return in_years((now or utc_now()) - age, "since")
        except OverflowError:  # 999999d
            raise ControlError(f"since {text!r} is too long ago") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ControlError(f"since {text!r} is not a date (2025-03-01), a date and time "
                           "(2025-03-01T18:00) or an age (30m, 12h, 7d)") from None
    in_years(moment, "since")
    return moment if moment.tzinfo else moment.astimezone()  # naive: this machine's time


def _entry(entry: TechnicianLogEntry) -> dict:
    return {"id": entry.entry_id, "at": entry.at.isoformat(), "user": entry.user,
            "uid": entry.uid, "request": entry.request, "args": entry.args,
            "outcome": entry.outcome.value if entry.outcome else "unfinished",
            "detail": entry.detail,
            "ended_at": entry.ended_at.isoformat() if entry.ended_at else None}


REQUESTS: dict[str, RequestSpec] = {"log": RequestSpec(technician_log)}
