"""JSON answers of the HTTP API turned into typed models; anything else is a protocol error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from uuid import UUID

from kiosk.connectors.base import (
    EventKind, EventResult, HoldResult, ItemInfo, ItemStatus, JournalEvent, LibraryHold,
    LibraryInfo, LibraryProtocolError, Loan, LoanResult, Outcome, Patron, PatronStatus,
    PickupHold, Reason, Refusal, ReturnResult,
)

T = TypeVar("T")
Obj = dict[str, Any]
# A time the kiosk can show in any zone: a day away from datetime's own limits.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1)


def reason(value: Any) -> Reason:
    """A reason code; a code this kiosk does not know yet is UNSPECIFIED."""
    if not isinstance(value, str):
        raise LibraryProtocolError(f"reason must be a string, not {type(value).__name__}")
    try:
        return Reason(value)
    except ValueError:
        return Reason.UNSPECIFIED


def refusal(data: Any) -> Refusal:
    """A refusal answer: {"refused": code}."""
    return Refusal(reason(_obj(data).get("refused")))


def patron(data: Any) -> Patron:
    """A patron."""
    d = _obj(data)
    return Patron(member_number=_str(d, "member_number"), name=_str(d, "name"),
                  home_library=_opt(d, "home_library", _str),
                  expires_on=_opt(d, "expires_on", _date))


def patron_status(data: Any, machine_id: str) -> PatronStatus:
    """A patron's status at this machine."""
    d = _obj(data)
    may_borrow = _bool(d, "may_borrow")
    why = None if d.get("reason") is None else reason(d["reason"])
    if may_borrow == (why is not None):
        raise LibraryProtocolError("may_borrow and reason contradict each other")
    return PatronStatus(
        patron=patron(d.get("patron")), may_borrow=may_borrow, reason=why,
        blocked_until=_opt(d, "blocked_until", _date), loan_limit=_int(d, "loan_limit"),
        loans=tuple(_loan(x, machine_id) for x in _list(d, "loans")),
        holds_ready=tuple(pickup_hold(x) for x in _list(d, "holds_ready")))


def _loan(data: Any, machine_id: str) -> Loan:
    d = _obj(data)
    return Loan(item_id=_str(d, "item_id"), title=_str(d, "title"), due_at=_time(d, "due_at"),
                overdue=_bool(d, "overdue"),
                here=_opt(d, "home_machine", _str) == machine_id)


def pickup_hold(data: Any) -> PickupHold:
    """A hold ready for pickup."""
    d = _obj(data)
    return PickupHold(item_id=_str(d, "item_id"), title=_str(d, "title"),
                      patron=_opt(d, "patron", _str), expires_at=_opt(d, "expires_at", _time))


def item(data: Any) -> ItemInfo:
    """One copy."""
    d = _obj(data)
    try:
        status = ItemStatus(d.get("status"))
    except ValueError:
        status = ItemStatus.OTHER
    return ItemInfo(
        item_id=_str(d, "item_id"), title=_str(d, "title"), authors=_opt(d, "authors", _str),
        isbn13=_opt(d, "isbn13", _str), owner=_opt(d, "owner", _str),
        home_machine=_opt(d, "home_machine", _str), status=status,
        due_at=_opt(d, "due_at", _time), hold_queue=_int(d, "hold_queue"))


def loan_result(data: Any, transaction_id: UUID, item_id: str) -> LoanResult:
    """A checkout or renewal answer, checked against the request."""
    d = _echo(data, transaction_id, item_id)
    return LoanResult(item_id=item_id, patron=_str(d, "patron"), due_at=_time(d, "due_at"),
                      duplicate=_bool(d, "duplicate"), conflict=_conflict(d))


def return_result(data: Any, transaction_id: UUID, item_id: str) -> ReturnResult:
    """A checkin answer, checked against the request."""
    d = _echo(data, transaction_id, item_id)
    waiting, hold = _bool(d, "hold_waiting"), returned_hold(d, item_id)
    if hold is not None and not waiting:
        raise LibraryProtocolError("a return names a hold but says none is waiting")
    return ReturnResult(item_id=item_id, patron=_opt(d, "patron", _str),
                        late_days=_int(d, "late_days"), hold_waiting=waiting,
                        duplicate=_bool(d, "duplicate"), conflict=_conflict(d),
                        hold_patron=hold.patron if hold else None,
                        hold_expires_at=hold.expires_at if hold else None)


def returned_hold(d: Obj, item_id: str) -> LibraryHold | None:
    """The hold a return made ready: its `hold` {"patron", "expires_at"}, or None."""
    if d.get("hold") is None:
        return None
    h = _obj(d["hold"])
    return LibraryHold(item_id=item_id, patron=_str(h, "patron"), ready=True,
                       expires_at=_opt(h, "expires_at", _time))


def library_hold(data: Any) -> LibraryHold:
    """One hold on a copy of this machine: ready (with expires_at) or waiting (without)."""
    d = _obj(data)
    state = _str(d, "state")
    if state not in ("waiting", "ready"):
        raise LibraryProtocolError(f"unknown hold state {state!r}")
    expires = _opt(d, "expires_at", _time)
    if (state == "ready") != (expires is not None):
        raise LibraryProtocolError("a hold's state and expires_at contradict each other")
    return LibraryHold(item_id=_str(d, "item_id"), patron=_str(d, "patron"),
                       ready=state == "ready", expires_at=expires)


def library_holds(data: Any) -> tuple[LibraryHold, ...]:
    """The holds-here answer: the first in line per copy, one per copy."""
    holds = tuple(library_hold(x) for x in _list(_obj(data), "holds"))
    if len({h.item_id for h in holds}) != len(holds):
        raise LibraryProtocolError("more than one hold listed first in line for a copy")
    return holds


def hold_result(data: Any, transaction_id: UUID, item_id: str) -> HoldResult:
    """A hold answer, checked against the request."""
    d = _echo(data, transaction_id, item_id)
    state = _str(d, "state")
    if state not in ("waiting", "ready", "cancelled"):
        raise LibraryProtocolError(f"unknown hold state {state!r}")
    return HoldResult(item_id=item_id, patron=_str(d, "patron"), state=state,
                      expires_at=_opt(d, "expires_at", _time), duplicate=_bool(d, "duplicate"))


def library_info(data: Any) -> LibraryInfo:
    """The library's identity and clock."""
    d = _obj(data)
    return LibraryInfo(library=_str(d, "library"), name=_str(d, "name"), now=_time(d, "now"))


def items(data: Any) -> tuple[ItemInfo, ...]:
    """The catalogue answer."""
    return tuple(item(x) for x in _list(_obj(data), "items"))


def pickup_holds(data: Any) -> tuple[PickupHold, ...]:
    """The holds-for-pickup answer."""
    return tuple(pickup_hold(x) for x in _list(_obj(data), "holds"))


def event_json(event: JournalEvent) -> Obj:
    """One journal event as the batch endpoint takes it."""
    if event.occurred_at.tzinfo is None:
        raise ValueError("journal event times must carry a UTC offset")
    return {"id": str(event.id), "kind": str(event.kind),
            "occurred_at": event.occurred_at.isoformat(), "item_id": event.item_id,
            "patron": event.patron, "machine_id": event.machine_id, "offline": event.offline}


def event_results(data: Any, events: Sequence[JournalEvent]) -> tuple[EventResult, ...]:
    """Per-event results, one per event sent, in the same order."""
    raw = _list(_obj(data), "results")
    if len(raw) != len(events):
        raise LibraryProtocolError(f"{len(raw)} results for {len(events)} events")
    return tuple(_event_result(entry, event) for entry, event in zip(raw, events))


def _event_result(entry: Any, event: JournalEvent) -> EventResult:
    """One event's result; a return's carries the hold it made ready, if any."""
    d = _obj(entry)
    if _str(d, "id") != str(event.id):
        raise LibraryProtocolError("event results are not in the order sent")
    try:
        outcome = Outcome(d.get("status"))
    except ValueError:
        raise LibraryProtocolError(f"unknown event status {d.get('status')!r}") from None
    why = None if d.get("reason") is None else reason(d["reason"])
    if outcome is Outcome.CONFLICT and why is None:
        why = Reason.UNSPECIFIED
    recorded = event.kind is EventKind.CHECKIN and outcome is not Outcome.REFUSED
    hold = returned_hold(d, event.item_id) if recorded else None
    return EventResult(event.id, outcome, why, hold)


def _echo(data: Any, transaction_id: UUID, item_id: str) -> Obj:
    d = _obj(data)
    if _str(d, "transaction_id") != str(transaction_id) or _str(d, "item_id") != item_id:
        raise LibraryProtocolError("answer is not about the transaction sent")
    return d


def _conflict(d: Obj) -> Reason | None:
    return None if d.get("conflict") is None else reason(d["conflict"])


def _obj(data: Any) -> Obj:
    if not isinstance(data, dict):
        raise LibraryProtocolError(f"expected a JSON object, got {type(data).__name__}")
    return data


def _typed(d: Obj, key: str, kind: type[T]) -> T:
    value = d.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LibraryProtocolError(f"{key} must be {kind.__name__}, got {value!r:.40}")
    return value


def _str(d: Obj, key: str) -> str:
    value = _typed(d, key, str)
    if "\x00" in value or not value.isascii() and not _utf8(value):
        # the journal (SQLite, UTF-8) and the screen could not take it later
        raise LibraryProtocolError(f"{key} is not text: a NUL or a lone surrogate")
    return value


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bool(d: Obj, key: str) -> bool:
    return _typed(d, key, bool)


def _int(d: Obj, key: str) -> int:
    value = _typed(d, key, int)
    if value < 0:
        raise LibraryProtocolError(f"{key} must not be negative")
    return value


def _list(d: Obj, key: str) -> list[Any]:
    return _typed(d, key, list)


def _time(d: Obj, key: str) -> datetime:
    try:
        value = datetime.fromisoformat(_str(d, key))
    except ValueError:
        raise LibraryProtocolError(f"{key} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise LibraryProtocolError(f"{key} has no UTC offset")
    if not _EARLIEST <= value <= _LATEST:  # 9999-12-31T23:00-05:00 is past year 9999 in UTC
        raise LibraryProtocolError(f"{key} is out of range")
    return value


def _date(d: Obj, key: str) -> date:
    try:
        return date.fromisoformat(_str(d, key))
    except ValueError:
        raise LibraryProtocolError(f"{key} is not an ISO 8601 date") from None


def _opt(d: Obj, key: str, parse: Callable[[Obj, str], T]) -> T | None:
    return None if d.get(key) is None else parse(d, key)


def blocked(data: Any) -> bool:
    """Whether the library blocked the patron's card."""
    d = _obj(data)
    value = d.get("blocked")
    if not isinstance(value, bool):
        raise LibraryProtocolError("block answer without a boolean 'blocked'")
    return value
