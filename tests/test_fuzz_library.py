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
from tests.fuzzing import edited_json, fuzz, json_values, sizes, spiked

TX = UUID("12345678-1234-5678-1234-567812345678")
ITEM, HERE = "EM0001", "kiosk-1"
EVENTS = (JournalEvent(UUID(int=1), EventKind.CHECKOUT, datetime(2026, 3, 1, tzinfo=timezone.utc),
                       ITEM, "P0001", HERE),
          JournalEvent(UUID(int=2), EventKind.CHECKIN, datetime(2026, 3, 2, tzinfo=timezone.utc),
                       ITEM, None, HERE))

# -- answers as the API writes them (docs/library-api.yaml), with odd values in them ----------

ODD = st.characters(codec="utf-8")
WORDS = ["P0001", ITEM, HERE, "채식주의자", "", "²", "\x00", "\ud800", "x" * 300, " "]
strings = spiked(WORDS, ODD)
TIMES = ["2026-03-01T12:00:00+09:00", "2026-03-01T03:00:00Z", "2026-03-01T12:00:00",
         "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2026-02-30T00:00:00Z",
         "2026-03-01", "２０２６-03-01T00:00:00Z", "2026-03-01T12:00:00+24:00", ""]
DAYS = ["2026-03-01", "2026-3-1", "20260301", "9999-12-31", "0000-01-01", "2026-03-01T00:00"]
times, days = spiked(TIMES, ODD), spiked(DAYS, ODD)
counts = st.one_of(st.integers(0, 100), st.integers(-2**70, 2**70), st.booleans(), st.floats())
reasons = st.one_of(st.sampled_from([r.value for r in Reason]), strings, st.integers())
optional = st.none()


def obj(required: dict[str, st.SearchStrategy], extra: dict | None = None) -> st.SearchStrategy:
    """A JSON object with the required keys and some of the optional ones."""
    return st.fixed_dictionaries(required, optional=extra or {})


patron = obj({"member_number": strings, "name": strings},
             {"home_library": optional | strings, "expires_on": optional | days})
loan = obj({"item_id": strings, "title": strings, "due_at": times, "overdue": st.booleans()},
           {"home_machine": optional | st.sampled_from([HERE, "kiosk-2"])})
pickup = obj({"item_id": strings, "title": strings},
             {"patron": optional | strings, "expires_at": optional | times})
status = obj({"patron": patron, "may_borrow": st.booleans(), "reason": optional | reasons,
              "loan_limit": counts, "loans": st.lists(loan, max_size=2),
              "holds_ready": st.lists(pickup, max_size=2)}, {"blocked_until": optional | days})
item = obj({"item_id": strings, "title": strings,
            "status": st.sampled_from(["available", "on_loan", "on_hold_shelf", "lost"]),
            "hold_queue": counts},
           {"authors": optional | strings, "isbn13": optional | strings,
            "owner": optional | strings, "home_machine": optional | strings,
            "due_at": optional | times})
echo = {"transaction_id": st.sampled_from([str(TX), str(TX).upper(), "x"]),
        "item_id": st.sampled_from([ITEM, "EM0002"])}
loan_result = obj({**echo, "patron": strings, "due_at": times, "duplicate": st.booleans()},
                  {"conflict": optional | reasons})
return_result = obj({**echo, "late_days": counts, "hold_waiting": st.booleans(),
                     "duplicate": st.booleans()},
                    {"patron": optional | strings, "conflict": optional | reasons,
                     "hold": optional | obj({"patron": strings},
                                            {"expires_at": optional | times})})
hold_result = obj({**echo, "patron": strings, "duplicate": st.booleans(),
                   "state": st.sampled_from(["waiting", "ready", "cancelled", "gone"])},
                  {"expires_at": optional | times})
library_hold = obj({"item_id": st.sampled_from([ITEM, "EM0002"]), "patron": strings,
                    "state": st.sampled_from(["waiting", "ready", "lost"])},
                   {"expires_at": optional | times})
event_result = obj({"id": st.sampled_from([str(e.id) for e in EVENTS]),
                    "status": st.sampled_from(["applied", "duplicate", "conflict", "refused",
                                               "lost"])},
                   {"reason": optional | reasons,
                    "hold": optional | obj({"patron": strings}, {"expires_at": optional | times})})

# parser name: (its answer, the parser, the type it returns)
PARSERS: dict[str, tuple[st.SearchStrategy, Callable[[Any], Any], Any]] = {
    "patron": (patron, wire.patron, Patron),
    "patron_status": (status, lambda d: wire.patron_status(d, HERE), PatronStatus),
    "item": (item, wire.item, ItemInfo),
    "loan_result": (loan_result, lambda d: wire.loan_result(d, TX, ITEM), LoanResult),
    "return_result": (return_result, lambda d: wire.return_result(d, TX, ITEM), ReturnResult),
    "hold_result": (hold_result, lambda d: wire.hold_result(d, TX, ITEM), HoldResult),
    "library_info": (obj({"library": strings, "name": strings, "now": times}),
                     wire.library_info, LibraryInfo),
    "items": (obj({"items": st.lists(item, max_size=3)}), wire.items, tuple[ItemInfo]),
    "pickup_holds": (obj({"holds": st.lists(pickup, max_size=3)}), wire.pickup_holds,
                     tuple[PickupHold]),
    "library_holds": (obj({"holds": st.lists(library_hold, max_size=3)}), wire.library_holds,
                      tuple[LibraryHold]),
    "event_results": (obj({"results": st.lists(event_result, min_size=2, max_size=2)}),
                      lambda d: wire.event_results(d, EVENTS), tuple[EventResult]),
    "refusal": (obj({"refused": reasons}), wire.refusal, Refusal),
    "blocked": (obj({"blocked": st.one_of(st.booleans(), strings)}), wire.blocked, bool),
}


wire_inputs = st.one_of([st.tuples(st.just(name), st.one_of(answer, edited_json(answer), json_values))
                         for name, (answer, _, _) in sorted(PARSERS.items())])


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
