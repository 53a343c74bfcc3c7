"""The pure parts of sync: event mapping, settling a (partial) answer, backoff with jitter."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from uuid import UUID

import pytest

from kiosk.config import SyncConfig
from kiosk.connectors import EventKind, EventResult, JournalEvent, Outcome, Reason
from kiosk.journal import (
    Event, HoldCancelled, HoldEnd, HoldPlaced, Payload, Renewed, ReturnIdentified, VendFetched,
    VendTaken,
)
from kiosk.sync import backoff_delay, library_event, settle

AT = datetime(2030, 1, 1, 3, 0, tzinfo=timezone.utc)
DUE = date(2030, 1, 16)


def event(payload: Payload, seq: int = 1) -> Event:
    """A stored journal event with a fresh uuid."""
    return Event(seq, str(uuid.uuid4()), payload.kind, AT, payload)


MAPPING = [  # journal payload, connector kind, patron sent, due date sent
    (VendTaken("B1", "P1", DUE, offline=True), EventKind.CHECKOUT, "P1", DUE),
    (ReturnIdentified("I1", "B1", 2), EventKind.CHECKIN, None, None),
    (Renewed("B1", "P1", DUE), EventKind.RENEW, "P1", DUE),
    (HoldPlaced("B1", "P2"), EventKind.HOLD_PLACED, "P2", None),
    (HoldCancelled("B1", "P2", HoldEnd.EXPIRED), EventKind.HOLD_CANCELLED, "P2", None),
]


@pytest.mark.parametrize(("payload", "kind", "patron", "due"), MAPPING,
                         ids=[m[1].value for m in MAPPING])
@pytest.mark.parametrize("resend", [False, True])
def test_each_outbox_event_maps_to_its_library_event(payload, kind, patron, due, resend):
    stored = event(payload)
    offline = getattr(payload, "offline", False)  # the loan was made offline (it is)
    assert library_event(stored, "kiosk-7", resend) == JournalEvent(
        UUID(stored.uuid), kind, AT, "B1", patron, "kiosk-7", resend=resend, due_on=due,
        offline=offline)


def test_an_event_the_library_need_not_know_is_refused():
    with pytest.raises(ValueError):
        library_event(event(VendFetched("B1")), "kiosk-7")


def _batch(*items: str) -> list[Event]:
    return [event(Renewed(item_id, "P1", DUE), seq) for seq, item_id in enumerate(items, 1)]


def _answer(e: Event, outcome: Outcome = Outcome.APPLIED,
            reason: Reason | None = None) -> EventResult:
    return EventResult(UUID(e.uuid), outcome, reason)


def test_a_full_answer_is_settled_in_journal_order_by_conflict_runs():
    a1, b1, a2, c1 = batch = _batch("A", "B", "A", "C")
    results = [_answer(a1), _answer(b1, Outcome.DUPLICATE),
               _answer(a2, Outcome.CONFLICT, Reason.PATRON_BLOCKED), _answer(c1)]
    runs, unanswered = settle(batch, results)
    assert runs == [([a1.uuid, b1.uuid], (None, False)), ([a2.uuid], ("patron_blocked", False)),
                    ([c1.uuid], (None, False))]
    assert unanswered == []


def test_a_refused_event_is_settled_apart_from_a_conflict_of_the_same_reason():
    a1, b1, c1 = batch = _batch("A", "B", "C")
    results = [_answer(a1, Outcome.CONFLICT, Reason.OVERDUE),
               _answer(b1, Outcome.REFUSED, Reason.OVERDUE), _answer(c1)]
    runs, _ = settle(batch, results)
    assert runs == [([a1.uuid], ("overdue", False)), ([b1.uuid], ("overdue", True)),
                    ([c1.uuid], (None, False))]


def test_a_conflict_without_a_reason_is_recorded_as_unspecified():
    [a1] = batch = _batch("A")
    runs, _ = settle(batch, [_answer(a1, Outcome.CONFLICT)])
    assert runs == [([a1.uuid], ("unspecified", False))]


def test_an_unanswered_event_holds_back_the_later_events_of_its_item_only():
    a1, b1, a2, b2, c1 = batch = _batch("A", "B", "A", "B", "C")
    results = [_answer(a1), _answer(a2), _answer(b2), _answer(c1)]  # no answer for b1
    runs, unanswered = settle(batch, results)
    assert runs == [([a1.uuid, a2.uuid, c1.uuid], (None, False))]
    assert unanswered == [b1.uuid, b2.uuid]


CONFIG = SyncConfig(retry_initial=1.0, retry_max=60.0)


def test_backoff_doubles_from_retry_initial_up_to_retry_max():
    ceilings = [backoff_delay(n, CONFIG, 0.9999999) for n in range(1, 10)]
    assert [round(c) for c in ceilings] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_delay(10**6, CONFIG, 0.9999999) == pytest.approx(60.0)


@pytest.mark.parametrize("failures", [1, 3, 50])
def test_backoff_jitter_stays_between_half_and_the_whole_step(failures):
    step = min(CONFIG.retry_max, CONFIG.retry_initial * 2 ** (failures - 1))
    delays = [backoff_delay(failures, CONFIG, j / 10) for j in range(10)]
    assert delays[0] == step / 2 and all(step / 2 <= d < step for d in delays)
    assert len(set(delays)) == 10  # the jitter spreads machines that failed together


def test_a_return_is_sent_with_the_patron_whose_loan_it_closed():
    returned = event(ReturnIdentified("I1", "B1", 0))
    assert library_event(returned, "kiosk-7", returned_by="P1").patron == "P1"
    lent = event(VendTaken("B1", "P1", DUE))  # an event naming its patron keeps it
    assert library_event(lent, "kiosk-7", returned_by="P9").patron == "P1"
