"""Control-socket requests (usage): `stats` and `collection.suggest`, read off the loop.

A report over months reads tens of thousands of events: it runs in a worker thread on a
read-only connection of its own, so a patron's vend never waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kiosk.collection_advice import parse_catalogue
from kiosk.control_api import Caller, ControlError, RequestSpec, in_years
from kiosk.journal.reads import JournalReader, open_reader
from kiosk.usage import IDLE_DAYS, Period, collection_suggestions, usage_report

if TYPE_CHECKING:
    from kiosk.controller import Controller

DEFAULT_DAYS = 30  # without --since: the last 30 days, today included
MAX_SUGGESTIONS = 1000


async def stats(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Usage statistics of a period (default: the last 30 days) from the journal."""
    period = _period(ctl, args)
    idle_days = _whole(args, "idle_days", IDLE_DAYS, 1, 3650)
    zone = ctl.config.policy.zone
    return await _off_the_loop(ctl, lambda reader: usage_report(reader, period, zone, idle_days))


async def collection_suggest(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Titles to add and copies to withdraw, from the machine's use and a catalogue."""
    count = _whole(args, "count", None, 1, MAX_SUGGESTIONS)
    rows = args.get("catalogue", [])
    if not isinstance(rows, list):
        raise ControlError("'catalogue' must be a list of rows")
    try:
        catalogue = parse_catalogue(rows)
    except ValueError as exc:
        raise ControlError(f"catalogue refused: {exc}") from None
    period = _period(ctl, args)
    idle_days = _whole(args, "idle_days", IDLE_DAYS, 1, 3650)
    return await _off_the_loop(
        ctl, lambda reader: collection_suggestions(reader, period, catalogue, count, idle_days))


async def _off_the_loop(ctl: "Controller", report: Callable[[JournalReader], Any]) -> Any:
    """Run `report` in a worker thread over its own read-only snapshot of the journal."""
    def run() -> Any:
        reader = open_reader(ctl.config.journal_path, ctl.journal.slot_count)
        try:
            return report(reader)
        finally:
            reader.db.conn.close()
    return await asyncio.to_thread(run)


def _period(ctl: "Controller", args: dict) -> Period:
    """Local days `since` .. `until` (ISO dates, both included); default the last 30 days."""
    zone = ctl.config.policy.zone
    until = _date(args, "until") or datetime.now(zone).date()
    since = _date(args, "since") or until - timedelta(days=DEFAULT_DAYS - 1)
    try:
        return Period.of_days(since, until, zone)
    except ValueError as exc:
        raise ControlError(str(exc)) from None


def _date(args: dict, key: str) -> date | None:
    value = args.get(key)
    if value is None:
        return None
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise ControlError(f"--{key} {value!r} is not a date (YYYY-MM-DD)") from None
    return in_years(day, f"--{key}")


def _whole(args: dict, key: str, default: int | None, low: int, high: int) -> int:
    value: Any = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ControlError(f"'{key}' must be a whole number in {low}..{high}, not {value!r}")
    return value


REQUESTS: dict[str, RequestSpec] = {
    "stats": RequestSpec(stats),
    "collection.suggest": RequestSpec(collection_suggest),
}
