"""Fuzz campaign, the library's HTTP/JSON answers: every parser of kiosk/connectors/wire.py on
decoded JSON (near-valid answers with a field dropped, retyped, added or made odd; any JSON)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import strategies as st

from kiosk.connectors import (EventKind, HoldResult, ItemInfo, JournalEvent, LibraryHold,
                              LibraryInfo, LibraryProtocolError, LoanResult, Patron,
                              PatronStatus, PickupHold, Reason, Refusal, ReturnResult, wire)
from kiosk.connectors.base import EventResult
from tests.fuzzing import (ABSENT, Just, Many, edited_json, fill, fuzz, odd_json, picks,
                           sizes)

TX = UUID("12345678-1234-5678-1234-567812345678")
ITEM, HERE = "EM0001", "kiosk-1"
EVENTS = (JournalEvent(UUID(int=1), EventKind.CHECKOUT, datetime(2026, 3, 1, tzinfo=timezone.utc),
                       ITEM, "P0001", HERE),
          JournalEvent(UUID(int=2), EventKind.CHECKIN, datetime(2026, 3, 2, tzinfo=timezone.utc),
                       ITEM, None, HERE))

# -- answers as the API writes them (docs/library-api.yaml), with odd values in them ----------
# Templates (tests.fuzzing.fill): a list is a pool of choices, ABSENT leaves a key out; one
# drawn number fills a whole answer.

WORDS = ["P0001", ITEM, HERE, "채식주의자", "", "²", "\x00", "\ud800", "x" * 300, " ",
         "\u2028"]
TIMES = ["2026-03-01T12:00:00+09:00", "2026-03-01T03:00:00Z", "2026-03-01T12:00:00",
         "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-02-30T00:00:00Z",
         "9999-12-30T00:00:00Z", "2026-03-01", "２０２６-03-01T00:00:00Z",
         "2026-03-01T12:00:00+24:00", "", 20260301, None]
DAYS = ["2026-03-01", "2026-3-1", "20260301", "9999-12-31", "0000-01-01", "2026-03-01T00:00",
        "", 1, None]
COUNTS = [0, 1, 3, -1, 2**63, True, 1.5, float("nan"), "2", None]
REASONS = [r.value for r in Reason] + ["some_new_rule", "", 7, None, ["x"]]
BOOLEANS = [True, False, 0, 1, "true", None]
maybe = [ABSENT, None]  # an optional key: left out, null, or one of the pools after it

patron = {"member_number": WORDS, "name": WORDS, "home_library": maybe + WORDS,
          "expires_on": maybe + DAYS}
loan = {"item_id": WORDS, "title": WORDS, "due_at": TIMES, "overdue": BOOLEANS,
        "home_machine": maybe + [HERE, "kiosk-2"]}
pickup = {"item_id": WORDS, "title": WORDS, "patron": maybe + WORDS, "expires_at": maybe + TIMES}
status = {"patron": [patron, None, "P0001"], "may_borrow": BOOLEANS, "reason": maybe + REASONS,
          "loan_limit": COUNTS, "loans": [Many(loan, 2), None, Just({})],
          "holds_ready": [Many(pickup, 2), "none"], "blocked_until": maybe + DAYS}
item = {"item_id": WORDS, "title": WORDS,
        "status": ["available", "on_loan", "on_hold_shelf", "lost", ["x"], None],
        "hold_queue": COUNTS, "authors": maybe + WORDS, "isbn13": maybe + WORDS,
        "owner": maybe + WORDS, "home_machine": maybe + WORDS, "due_at": maybe + TIMES}
echo = {"transaction_id": [str(TX), str(TX).upper(), "x", None], "item_id": [ITEM, "EM0002"]}
loan_result = {**echo, "patron": WORDS, "due_at": TIMES, "duplicate": BOOLEANS,
               "conflict": maybe + REASONS}
hold = {"patron": WORDS, "expires_at": maybe + TIMES}
return_result = {**echo, "late_days": COUNTS, "hold_waiting": BOOLEANS, "duplicate": BOOLEANS,
                 "patron": maybe + WORDS, "conflict": maybe + REASONS, "hold": maybe + [hold]}
hold_result = {**echo, "patron": WORDS, "duplicate": BOOLEANS,
               "state": ["waiting", "ready", "cancelled", "gone"], "expires_at": maybe + TIMES}
library_hold = {"item_id": [ITEM, "EM0002"], "patron": WORDS,
                "state": ["waiting", "ready", "lost"], "expires_at": maybe + TIMES}
event_result = {"id": [str(e.id) for e in EVENTS] + ["x"],
                "status": ["applied", "duplicate", "conflict", "refused", "lost"],
                "reason": maybe + REASONS, "hold": maybe + [hold]}

# parser name: (its answer's template, the parser, the type it returns)
PARSERS: dict[str, tuple[Any, Callable[[Any], Any], Any]] = {
    "patron": (patron, wire.patron, Patron),
    "patron_status": (status, lambda d: wire.patron_status(d, HERE), PatronStatus),
    "item": (item, wire.item, ItemInfo),
    "loan_result": (loan_result, lambda d: wire.loan_result(d, TX, ITEM), LoanResult),
    "return_result": (return_result, lambda d: wire.return_result(d, TX, ITEM), ReturnResult),
    "hold_result": (hold_result, lambda d: wire.hold_result(d, TX, ITEM), HoldResult),
    "library_info": ({"library": WORDS, "name": WORDS, "now": TIMES}, wire.library_info,
                     LibraryInfo),
    "items": ({"items": Many(item, 3)}, wire.items, tuple[ItemInfo]),
    "pickup_holds": ({"holds": Many(pickup, 3)}, wire.pickup_holds, tuple[PickupHold]),
    "library_holds": ({"holds": Many(library_hold, 3)}, wire.library_holds,
                      tuple[LibraryHold]),
    "event_results": ({"results": [Many(event_result, 3)]},
                      lambda d: wire.event_results(d, EVENTS), tuple[EventResult]),
    "refusal": ({"refused": REASONS}, wire.refusal, Refusal),
    "blocked": ({"blocked": BOOLEANS}, wire.blocked, bool),
}
NAMES = sorted(PARSERS)
answers = st.builds(lambda name, n: (name, fill(PARSERS[name][0], n)[0]),
                    st.sampled_from(NAMES), picks)
wire_inputs = st.one_of(
    answers, st.builds(lambda answer, changes: (answer[0], edited_json(answer[1], changes)),
                       answers, st.lists(picks, min_size=1, max_size=2)),
    st.tuples(st.sampled_from(NAMES), odd_json))


def times_in(value: Any) -> Iterator[datetime | date]:
    """Every date and time in a parsed answer."""
    if isinstance(value, date):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from times_in(getattr(value, field.name))
    elif isinstance(value, tuple):
        for inner in value:
            yield from times_in(inner)


def wire_parsed(given: tuple[str, Any]) -> bool:
    """The parser's type (its times aware and usable in any zone) or LibraryProtocolError."""
    name, data = given
    _, parse, expected = PARSERS[name]
    try:
        result = parse(data)
    except LibraryProtocolError:
        return False
    if getattr(expected, "__origin__", None) is tuple:
        assert isinstance(result, tuple) and all(isinstance(r, expected.__args__[0])
                                                 for r in result)
    else:
        assert isinstance(result, expected)
    for moment in times_in(result):
        if isinstance(moment, datetime):
            assert moment.tzinfo is not None
            moment.astimezone(timezone.utc)
    return True


@pytest.mark.parametrize("inputs", sizes())
def test_library_json_answers_give_models_or_protocol_errors(inputs, campaign_facts):
    tally = fuzz(wire_inputs, wire_parsed, inputs)
    campaign_facts.update(tally.facts("library HTTP answers"))
