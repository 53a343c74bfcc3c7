"""Control-socket requests (records): the journal's events, and the library link's sync."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from kiosk import text_input
from kiosk.control_api import Caller, ControlError, RequestSpec, in_years
from kiosk.journal import ConflictResolved, Event, JournalError, PayloadError
from kiosk.journal.codec import encode
from kiosk.journal.events import NOTE_MAX

if TYPE_CHECKING:
    from kiosk.controller import Controller
    from kiosk.sync import SyncConflict

TAIL_DEFAULT, TAIL_MAX = 20, 1000  # events of one `journal tail` answer
EXPORT_PAGE_MAX = 5000  # events of one `journal export` page
NOTE = text_input.TextRule("note", NOTE_MAX)
EVENT_ID = text_input.TextRule("event_id", 64)


def event_row(event: Event) -> dict[str, Any]:
    """One journal event as the technician sees it: patron ids as the journal keeps them
    (member numbers while open, `h:` pseudonyms once closed); the journal holds no card UID."""
    payload = encode(event.payload)
    return {"seq": event.seq, "event_id": event.uuid, "at": event.at.isoformat(),
            "kind": event.kind.value, "item_id": payload.get("item_id"),
            "patron_id": payload.get("patron_id"), "payload": payload}


async def journal_tail(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """The latest events (`lines`), or those after seq `after` (for --follow)."""
    lines = _whole(args, "lines", TAIL_DEFAULT, 1, TAIL_MAX)
    after = _whole(args, "after", None, 0, None)

    def read(c: "Controller") -> dict:
        events = (c.journal.last_events(lines) if after is None
                  else c.journal.events(after_seq=after, limit=TAIL_MAX))
        last = events[-1].seq if events else (after if after is not None else 0)
        return {"events": [event_row(e) for e in events], "last_seq": last}
    return await ctl.query(read)


async def journal_export(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """One page of events since a date (the machine's day, [policy] timezone) or a moment."""
    since = _since(ctl, args.get("since"))
    after = _whole(args, "after", 0, 0, None)
    limit = _whole(args, "limit", EXPORT_PAGE_MAX, 1, EXPORT_PAGE_MAX)

    def read(c: "Controller") -> dict:
        events = c.journal.events_since(since, after_seq=after, limit=limit + 1)
        return {"events": [event_row(e) for e in events[:limit]], "more": len(events) > limit}
    return await ctl.query(read)


async def sync_status(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Online, backlog, lag, last delivery, last error, open conflicts."""
    return await ctl.query(_sync_status)


def _sync_status(ctl: "Controller") -> dict:
    if ctl.sync is None:
        raise ControlError("the sync worker is not running")
    s = ctl.sync.status
    return {"online": s.online, "backlog": s.backlog, "lag_seconds": round(s.oldest_pending_age, 1),
            "last_delivery_at": s.last_delivery_at.isoformat() if s.last_delivery_at else None,
            "last_error": s.last_error.value if s.last_error else None,
            "consecutive_failures": s.consecutive_failures, "open_conflicts": s.conflicts,
            "open_refused": s.refused, "offline_lending": s.offline_lending}


async def sync_conflicts(ctl: "Controller", args: dict, caller: Caller) -> list[dict]:
    """The events the library objected to, with its reason: open ones (all: resolved too)."""
    everything = args.get("all", False)
    if not isinstance(everything, bool):
        raise ControlError("'all' must be true or false")

    def read(c: "Controller") -> list[dict]:
        if c.sync is None:
            raise ControlError("the sync worker is not running")
        return [conflict_row(x) for x in c.sync.conflicts(open_only=not everything)]
    return await ctl.query(read)


def conflict_row(conflict: "SyncConflict") -> dict[str, Any]:
    """One conflict for the technician: what was sent, the library's reason, what to do."""
    return {"event_id": conflict.event_id, "kind": conflict.kind.value,
            "item_id": conflict.item_id, "patron_id": conflict.patron,
            "occurred_at": conflict.occurred_at.isoformat(), "reason": conflict.reason.value,
            "refused": conflict.refused, "todo": conflict.todo,
            "resolved_by": conflict.resolved_by,
            "resolved_at": conflict.resolved_at.isoformat() if conflict.resolved_at else None,
            "note": conflict.note}


async def sync_resolve(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Mark a conflict resolved by a technician (journaled): it no longer counts as open."""
    try:
        by = text_input.TECHNICIAN.check(args.get("by"))
        note = None if args.get("note") in (None, "") else NOTE.check(args["note"])
        resolved = ConflictResolved(event_id=EVENT_ID.check(args.get("event_id")),
                                    resolved_by=by, note=note)
    except (text_input.InvalidText, PayloadError) as exc:
        raise ControlError(f"cannot resolve: {exc}") from None

    def write(c: "Controller") -> dict:
        try:
            event = c.journal.append(resolved)
        except JournalError as exc:
            raise ControlError(f"cannot resolve: {exc}") from None
        c.publish()  # status shows the open conflicts
        return {"event_id": resolved.event_id, "resolved_by": by,
                "resolved_at": event.at.isoformat()}
    return await ctl.query(write)


def _whole(args: dict, key: str, default: int | None, low: int, high: int | None) -> Any:
    """args[key] as a whole number in low..high (default when absent)."""
    value = args.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (
            high is not None and value > high):
        raise ControlError(f"'{key}' must be a whole number in {low}..{high or 'any'}")
    return value


def _since(ctl: "Controller", text: object) -> datetime:
    """A date (midnight of the machine's day) or an ISO date-time (naive: the machine's time)."""
    zone = ctl.config.policy.zone
    if text in (None, ""):
        return datetime(1970, 1, 1, tzinfo=zone)
    if not isinstance(text, str):
        raise ControlError("'since' must be a date (YYYY-MM-DD) or a date-time")
    try:
        if len(text) == 10:
            return in_years(datetime.combine(date.fromisoformat(text), time(), tzinfo=zone),
                            "'since'")
        moment = in_years(datetime.fromisoformat(text), "'since'")
    except ValueError:
        raise ControlError(f"'since' {text!r} is not a date (YYYY-MM-DD) or an ISO "
                           "date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


REQUESTS: dict[str, RequestSpec] = {
    "journal.tail": RequestSpec(journal_tail),
    "journal.export": RequestSpec(journal_export),
    "sync.status": RequestSpec(sync_status),
    "sync.conflicts": RequestSpec(sync_conflicts),
    "sync.resolve": RequestSpec(sync_resolve, changes=True),
}
