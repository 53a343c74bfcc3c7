"""Pure parts of sync: status and conflict records, event mapping, settling results, backoff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from kiosk.config import SyncConfig
from kiosk.connectors import (
    EventKind, EventResult, JournalEvent, LibraryAuthError,
    LibraryTimeout, LibraryUnavailable, Outcome, Reason,
)
from kiosk.journal import Event
from kiosk.journal import EventKind as JournalKind

KINDS: dict[JournalKind, EventKind] = {
    JournalKind.VEND_TAKEN: EventKind.CHECKOUT,
    JournalKind.RETURN_IDENTIFIED: EventKind.CHECKIN,
    JournalKind.RENEWED: EventKind.RENEW,
    JournalKind.HOLD_PLACED: EventKind.HOLD_PLACED,
    JournalKind.HOLD_CANCELLED: EventKind.HOLD_CANCELLED,
}
MAX_DOUBLINGS = 40  # 2**40 times retry_initial is past any retry_max


class SyncError(StrEnum):
    """Why the last attempt to reach the library failed (the UI translates)."""

    UNAVAILABLE = "unavailable"  # refused, dropped, 5xx
    TIMEOUT = "timeout"
    PROTOCOL = "protocol"  # an answer that is not a valid answer (or a partial one)
    AUTH = "auth"  # the library refused this machine's credentials
    JOURNAL = "journal"  # the journal refused an acknowledgement (a bug: out of order)


@dataclass(frozen=True)
class SyncStatus:
    """What the technician and the controller see of sync."""

    online: bool
    backlog: int
    oldest_pending_age: float  # seconds; 0 when nothing is pending
    last_error: SyncError | None  # of the current run of failures; None after a success
    consecutive_failures: int
    conflicts: int  # open: recorded with an objection, or refused; each needs a look
    last_delivery_at: datetime | None
    refused: int = 0  # of the conflicts, those the library did not record at all
    offline_lending: bool = True  # the library allows lending while it cannot be reached


@dataclass(frozen=True)
class SyncConflict:
    """An event the library recorded but objected to (e.g. an offline loan to a blocked patron)."""

    event_id: str
    kind: EventKind
    item_id: str
    patron: str | None
    occurred_at: datetime
    reason: Reason
    refused: bool = False  # the library did not record it: a technician must act
    resolved_by: str | None = None  # the technician who settled it at the library
    resolved_at: datetime | None = None
    note: str | None = None

    @property
    def todo(self) -> str:
        """What the technician does: record it at the library by hand (refused), or review
        the patron's account there (recorded with an objection)."""
        return "record_at_library" if self.refused else "review_at_library"


def library_event(event: Event, machine_id: str, resend: bool = False,
                  due_before: date | None = None, returned_by: str | None = None) -> JournalEvent:
    """The connector's form of one outbox event; `resend` when it may have been sent before,
    `due_before` a renewal's previous due date, `returned_by` the patron whose loan a return
    closed (the check-in is sent with its patron)."""
    try:
        kind = KINDS[event.kind]
    except KeyError:
        raise ValueError(f"{event.kind.value} is not an outbox event") from None
    payload = event.payload
    patron = getattr(payload, "patron_id", returned_by)  # a return's is its loan's
    due_on = getattr(payload, "due", None)
    return JournalEvent(UUID(event.uuid), kind, event.at, payload.item_id, patron, machine_id,
                        resend=resend, due_on=due_on, due_before=due_before,
                        offline=bool(getattr(payload, "offline", False)))


Verdict = tuple[str | None, bool]  # (conflict code, refused)

# Answers that mean the library no longer needs the event: settled quietly (and logged),
# never shown to a technician as a conflict.
NEEDLESS: frozenset[tuple[EventKind, Reason]] = frozenset({
    (EventKind.HOLD_CANCELLED, Reason.HOLD_NOT_FOUND),  # it had expired or ended there already
    (EventKind.HOLD_PLACED, Reason.HOLD_EXISTS),  # it was placed there already
})


def needless(kind: JournalKind, result: EventResult) -> bool:
    """Whether the library's objection only says the event was not needed any more."""
    library_kind = KINDS.get(kind)
    return result.reason is not None and (library_kind, result.reason) in NEEDLESS


def conflict_code(result: EventResult) -> str | None:
    """The conflict to record with a delivered event (None: applied or duplicate)."""
    if result.outcome not in (Outcome.CONFLICT, Outcome.REFUSED):
        return None
    return (result.reason or Reason.UNSPECIFIED).value


def settle(batch: Sequence[Event],
           results: Sequence[EventResult]) -> tuple[list[tuple[list[str], Verdict]], list[str]]:
    """(runs of uuids to mark delivered in journal order with their verdict, unanswered uuids).

    An event the library did not answer holds back every later event of its item.
    """
    answers = {str(r.event_id): r for r in results}
    runs: list[tuple[list[str], Verdict]] = []
    held_items: set[str] = set()
    unanswered: list[str] = []
    for event in batch:
        item_id = event.payload.item_id
        result = answers.get(event.uuid)
        if result is None or item_id in held_items:
            held_items.add(item_id)
            unanswered.append(event.uuid)
            continue
        if needless(event.kind, result):
            verdict: Verdict = (None, False)
        else:
            verdict = (conflict_code(result), result.outcome is Outcome.REFUSED)
        if runs and runs[-1][1] == verdict:
            runs[-1][0].append(event.uuid)
        else:
            runs.append(([event.uuid], verdict))
    return runs, unanswered


def backoff_delay(failures: int, config: SyncConfig, jitter: float) -> float:
    """Seconds before the next attempt: retry_initial doubling to retry_max, jitter in [0, 1)."""
    doublings = min(max(failures - 1, 0), MAX_DOUBLINGS)
    base = min(config.retry_max, config.retry_initial * 2 ** doublings)
    return base * (0.5 + jitter / 2)  # "equal jitter": half fixed, half random


def error_kind(exc: BaseException) -> SyncError:
    """The status code of a connector error."""
    if isinstance(exc, LibraryTimeout):
        return SyncError.TIMEOUT
    if isinstance(exc, LibraryUnavailable):
        return SyncError.UNAVAILABLE
    if isinstance(exc, LibraryAuthError):
        return SyncError.AUTH
    return SyncError.PROTOCOL
