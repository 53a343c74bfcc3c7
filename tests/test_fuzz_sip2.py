"""Fuzz campaign, SIP2: the codec's messages and dates, and the library's SIP2 answers as the
connector reads them (its real client, over an in-process socket whose ACS end answers each
request with a hypothesis answer: near-valid ones with odd values, broken ones, garbage)."""

from __future__ import annotations

import dataclasses
import re
import socket
import typing
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st

from drivers.sip2 import (LAYOUTS, Message, Sip2Error, build, decode, encode, format_date,
                          parse_acs_date, parse_acs_day, parse_date, parse_day, response_code)
from drivers.sip2 import layouts as f
from kiosk.connectors import (ConnectorError, EventKind, EventResult, HoldResult, ItemInfo,
                              JournalEvent, LibraryInfo, LoanResult, Patron, PatronStatus,
                              PickupHold, Reason, Refusal, ReturnResult, Sip2Connector,
                              Sip2ConnectorConfig)
from kiosk.connectors import sip2_client
from tests.fuzzing import Tally, edited, edits, fuzz, mutated, sizes, with_odd_characters

SEOUL = ZoneInfo("Asia/Seoul")
ENCODINGS = ("utf-8", "euc-kr", "cp949", "latin-1")
FIELD_ID = re.compile(r"[A-Za-z0-9]{2}")
KNOWN_IDS = sorted({v for k, v in vars(f).items()
                    if k.isupper() and isinstance(v, str) and len(v) == 2 and v.isalpha()})
DATE_FIELDS = {f.DUE_DATE, f.X_HOLD_EXPIRES, f.HOLD_PICKUP_DATE, f.EXPIRATION_DATE}
DAY_FIELDS = {f.X_EXPIRES, f.PATRON_EXPIRES, f.X_BLOCKED_UNTIL}
HERE, PATRONS, ITEMS = "kiosk-1", ("P0001", "P0002"), ("EM0001", "EM0002")

# -- values as ACSs write them, and as they should not ---------------------------------------
# Hypothesis's cost is per draw: a message is one drawn number that picks each of its values
# from pools (a mixed-radix number over them), small numbers picking the plainest.

ODD = "²٣\x00\x7f\t\u2028\u200b\ufeff\U0001f600채é $\\"  # no '|', CR, LF: build() refuses them




def odd_variants(pool: list[str]) -> list[str]:
    """The pool, then its values with odd characters SIP2 can carry."""
    return with_odd_characters(pool, ODD)


WORDS = odd_variants(["", "P0001", "EM0001", "kiosk-1", "111001", "채식주의자", "a b", "²",
                      "한강 (Han Kang)", "-1", "1.5", "0", "999", "x" * 70, "AY1AZ0000"])
EDGE_TIMES = [datetime(1900, 1, 1), datetime(1970, 1, 1),
              datetime(2026, 3, 1, 12, 30), datetime(2026, 12, 31, 23, 59, 59),
              datetime(2100, 2, 28), datetime(9999, 12, 31, 23, 59, 59)]
FIXED_DATES = odd_variants([
    *(format_date(t.replace(tzinfo=timezone.utc)) for t in EDGE_TIMES),
    *(format_date(t) for t in EDGE_TIMES), " " * 18, "20261301    000000",
    "20260230    120000", "2026010²    000000", "٢٠٢٦٠١٠١    000000", "20260101   X120000",
    "20260101    246000", "00000000    000000", "Y" * 18])
DATES = FIXED_DATES + odd_variants([
    "2026-03-01 12:00:00", "2026-03-01T12:00:00", "9999-12-31 23:59:59", "20260301",
    "2026-03-01", "2026-02-30", "00010101", "2026-3-1", "١٢٣٤-٠١-٠١"]) + WORDS
DAYS = odd_variants(["20260301", "2026-03-01", "99991231", "00000000", "2026023", "20260230",
                     "0001-01-01", "9999-12-31"]) + WORDS
NUMBERS = odd_variants(["0", "1", "2", "10", "9999", "-1", "1.5", "", "٣"])
FIELD_VALUES: dict[str, list[str]] = {
    f.PATRON_ID: [*PATRONS, *WORDS], f.ITEM_ID: [*ITEMS, *WORDS],
    f.VALID_PATRON: ["Y", "N", "", "y"], f.VALID_PATRON_PASSWORD: ["Y", "N", "", "?"],
    f.X_DUPLICATE: ["Y", "N"], f.X_REASON: [r.value for r in Reason] + WORDS,
    f.X_LATE_DAYS: NUMBERS, f.HOLD_QUEUE_LENGTH: NUMBERS, f.CHARGED_ITEMS_LIMIT: NUMBERS,
    f.FEE_AMOUNT: NUMBERS, f.ALERT_TYPE: [f.ALERT_HOLD_HERE, f.ALERT_HOLD_ELSEWHERE, "99", *WORDS],
    f.PERMANENT_LOCATION: [HERE, *WORDS], f.CHARGED_ITEMS: [*ITEMS, *WORDS],
    f.HOLD_ITEMS: [*ITEMS, *WORDS], f.UNAVAILABLE_HOLD_ITEMS: list(ITEMS),
    f.INSTITUTION: ["111001", *WORDS], **{field: DATES for field in DATE_FIELDS},
    **{field: DAYS for field in DAY_FIELDS},
}
FIELD_IDS = sorted({*FIELD_VALUES, *KNOWN_IDS, "a1", "ZZ"})


def fixed_pool(code: str, name: str, length: int) -> list[str]:
    """Values of a fixed field: a date, flags, counts, codes, and odd ones, all of its length."""
    if length == 18:
        return FIXED_DATES
    if (code, name) == ("94", "ok"):
        return ["1", "1", "1", "0", "Y"]  # most 93s (tests of login) go through
    if name == "circulation_status":
        return odd_variants([f"{n:02d}" for n in range(15)] + ["YY"])
    chars = "YN 09²채\x00" if length > 1 else "YN10 ²y채\x00?"
    pool = [c * length for c in chars] + [n.rjust(length, "0")[-length:] for n in ("1", "9999")]
    return odd_variants(pool + [flags.ljust(length)[:length] for flags in ("Y", "    Y")])


FIXED_VALUES = {(code, name): fixed_pool(code, name, length)
                for code, layout in LAYOUTS.items() for name, length in layout}
picks = st.integers(0, 2**96)  # what a message's number is drawn from


def pick(pool: list, n: int) -> tuple[Any, int]:
    """The value `n` picks from `pool`, and the rest of `n` for the next pick."""
    return pool[n % len(pool)], n // len(pool)


def message_from(code: str, n: int, first: list[tuple[str, str]] = ()) -> Message:
    """The message `code` that number `n` picks: fixed values, up to 5 fields after `first`,
    a sequence number or none."""
    fixed = {}
    for name, _ in LAYOUTS[code]:
        fixed[name], n = pick(FIXED_VALUES[code, name], n)
    fields = list(first)
    count, n = pick(range(6), n)
    for _ in range(count):
        field_id, n = pick(FIELD_IDS, n)
        value, n = pick(FIELD_VALUES.get(field_id, WORDS), n)
        fields.append((field_id, value))
    sequence, n = pick([None, *range(10)], n)
    return build(code, fixed, fields, sequence)


CODES = sorted(LAYOUTS)
any_message = st.builds(lambda code, n: message_from(code, n), st.sampled_from(CODES), picks)


def wire(message: Message, encoding: str, detection: bool) -> bytes:
    """The message's bytes in `encoding` (UTF-8 when it cannot carry them)."""
    try:
        return encode(message, encoding=encoding, error_detection=detection)
    except Sip2Error:
        return encode(message, error_detection=detection)


# -- SIP2 messages ------------------------------------------------------------------------------

valid_wire = st.builds(wire, any_message, st.sampled_from(ENCODINGS), st.booleans())
sip2_inputs = st.tuples(
    st.one_of(valid_wire, mutated(valid_wire), st.binary(max_size=80)),
    st.sampled_from(ENCODINGS), st.booleans())


def assert_usable(moment: datetime | None) -> None:
    """A time the kiosk can use: aware, and within range in any zone (UTC here)."""
    if moment is not None:
        assert moment.tzinfo is not None
        moment.astimezone(timezone.utc)


def dates_parsed(message: Message) -> None:
    """Every date of a message: an aware time, a day, None, or a Sip2Error."""
    for text in (v for k, v in message.fixed.items() if len(v) == 18 and "date" in k):
        for parse in (lambda t: parse_date(t, SEOUL), lambda t: parse_acs_date(t, SEOUL)):
            try:
                assert_usable(parse(text))
            except Sip2Error:
                pass
    for field_id, value in message.fields:
        try:
            if field_id in DATE_FIELDS:
                assert_usable(parse_acs_date(value, SEOUL))
            elif field_id in DAY_FIELDS:
                assert isinstance(parse_acs_day(value, SEOUL), date | None)
                assert isinstance(parse_day(value), date | None)
        except Sip2Error:
            pass


def sip2_parsed(given: tuple[bytes, str, bool]) -> bool:
    """A message whose fixed fields have their lengths and whose fields their ids, or a
    Sip2Error."""
    data, encoding, required = given
    try:
        message = decode(data, encoding=encoding, require_checksum=required)
    except Sip2Error:
        return False
    assert [len(message.fixed[name]) for name, _ in LAYOUTS[message.code]] == [
        n for _, n in LAYOUTS[message.code]]
    assert all(FIELD_ID.fullmatch(k) and "|" not in v for k, v in message.fields)
    dates_parsed(message)
    return True


@pytest.mark.parametrize("inputs", sizes())
def test_sip2_messages_give_messages_or_sip2_errors(inputs, campaign_facts):
    tally = fuzz(sip2_inputs, sip2_parsed, inputs)
    campaign_facts.update(tally.facts("SIP2 messages"))


# -- the library's SIP2 answers, as the connector reads them ----------------------------------

broken_answers = st.one_of(
    st.tuples(st.just("edited"), edits), st.tuples(st.just("other"), any_message),
    st.tuples(st.just("resend"), st.none()), st.tuples(st.just("garbage"), st.binary(max_size=40)),
    st.tuples(st.just("closed"), st.none()))
answer_kinds = st.integers(0, 9)  # 0-7: a proper answer with odd values, 8-9: a broken one


def answer(data: st.DataObject, request: Message, config: Sip2ConnectorConfig) -> bytes:
    """What an ACS answers `request`: mostly a proper answer with odd values (the request's
    patron and item echoed first); else a broken one, an answer to another request, a 96,
    garbage, or nothing (the connection closed)."""
    encoding, detection = config.encoding, config.error_detection
    echo = [(k, v) for k, v in request.fields if k in (f.PATRON_ID, f.ITEM_ID)]
    message = message_from(response_code(request.code), data.draw(picks), echo)
    proper = wire(dataclasses.replace(message, sequence=request.sequence), encoding, detection)
    if data.draw(answer_kinds) < 8:
        return proper
    kind, value = data.draw(broken_answers)
    if kind == "edited":
        return edited(proper, value)
    if kind == "other":
        return wire(value, encoding, True)
    if kind == "resend":
        return encode(build("96", {}), error_detection=detection)
    return value + b"\r" if kind == "garbage" else b""


LOGIN = {"93": build("94", {"ok": "1"}),
         "99": build("98", {"online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y",
                            "renewal_policy": "Y", "status_update_ok": "N", "offline_ok": "Y",
                            "timeout_period": "999", "retries_allowed": "999",
                            "date_time_sync": "20260301    120000", "protocol_version": "2.00"},
                     [("AO", "111001")])}


class FuzzedAcs:
    """The ACS end of the connector's socket, in-process: hypothesis answers each request."""

    def __init__(self, data: st.DataObject, config: Sip2ConnectorConfig, idle: socket.socket):
        self._data = data
        self._config = config
        self._idle = idle  # select() on its fileno finds nothing to read
        self._pending = b""
        self._last: Message | None = None
        self._logged_in = False
        self.answers = 0

    def fileno(self) -> int:
        return self._idle.fileno()

    def settimeout(self, seconds: float | None) -> None:
        """Nothing blocks here."""

    def close(self) -> None:
        """The next connection starts afresh (with a login)."""
        self._pending = b""
        self._logged_in = False

    def sendall(self, data: bytes) -> None:
        """Read the connector's request and queue the answer drawn for it (a 97 asks again);
        the login (93, then 99) goes through as a real ACS's would: `info` fuzzes the 98."""
        request = decode(data, encoding=self._config.encoding)
        if request.code in LOGIN and not self._logged_in:
            self._logged_in = request.code == "99"
            login = dataclasses.replace(LOGIN[request.code], sequence=request.sequence)
            self._pending += wire(login, self._config.encoding, self._config.error_detection)
            return
        if request.code != "97" or self._last is None:
            self._last = request
        self._pending += answer(self._data, self._last, self._config)
        self.answers += 1

    def recv(self, size: int) -> bytes:
        """The queued answer; b"" when none is left (the ACS closed the connection)."""
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk


aware = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.just(timezone.utc))
words = st.sampled_from(WORDS)
ids = st.one_of(st.sampled_from(PATRONS), words, st.just("a|b"))
item_ids = st.one_of(st.sampled_from(ITEMS), words)
tx = st.uuids()
sane_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
events = st.builds(JournalEvent, id=tx, kind=st.sampled_from(EventKind), occurred_at=aware,
                   item_id=item_ids, patron=st.none() | ids, machine_id=st.just(HERE),
                   resend=st.booleans(), offline=st.booleans(), due_on=st.none() | sane_days,
                   due_before=st.none() | sane_days)
WHEN = st.none() | aware
CALLS: dict[str, tuple[st.SearchStrategy, Any]] = {  # the call's arguments, its result's type
    "info": (st.tuples(), LibraryInfo),
    "lookup_card": (st.tuples(ids, st.none() | words), Patron),
    "lookup_member": (st.tuples(ids, st.none() | words), Patron),
    "patron_status": (st.tuples(ids), PatronStatus),
    "item_info": (st.tuples(item_ids), ItemInfo),
    "checkout": (st.tuples(ids, item_ids, tx, WHEN, st.booleans()), LoanResult),
    "renew": (st.tuples(ids, item_ids, tx, WHEN, st.booleans()), LoanResult),
    "checkin": (st.tuples(item_ids, tx, WHEN, st.booleans()), ReturnResult),
    "place_hold": (st.tuples(ids, item_ids, tx), HoldResult),
    "cancel_hold": (st.tuples(ids, item_ids, tx), HoldResult),
    "holds_for_pickup": (st.tuples(st.lists(item_ids, max_size=3)), tuple[PickupHold]),
    "catalogue": (st.tuples(st.lists(item_ids, max_size=3)), tuple[ItemInfo]),
    "deliver_events": (st.tuples(st.lists(events, min_size=1, max_size=3)), tuple[EventResult]),
    "end_session": (st.tuples(ids), bool),
    "block_patron": (st.tuples(ids, words, st.booleans()), bool),
}
calls = st.one_of([st.tuples(st.just(name), args) for name, (args, _) in sorted(CALLS.items())])
options = st.fixed_dictionaries({"encoding": st.sampled_from(("utf-8", "euc-kr")),
                                 "error_detection": st.booleans(),
                                 "resend_attempts": st.integers(0, 2)})


def aware_times(value: Any) -> Iterator[datetime]:
    """Every datetime in a result (dataclasses and tuples of them)."""
    if isinstance(value, datetime):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from aware_times(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from aware_times(item)


def typed(name: str, args: tuple, result: Any) -> None:
    """The result has the call's type, its times are aware, and it is about what was asked."""
    expected = CALLS[name][1]
    if typing.get_origin(expected) is tuple:
        [kind] = typing.get_args(expected)
        assert isinstance(result, tuple) and all(isinstance(r, kind) for r in result)
    else:
        assert isinstance(result, expected | Refusal)
    for moment in aware_times(result):
        assert_usable(moment)
    if isinstance(result, LoanResult | ReturnResult | HoldResult):
        assert result.item_id == args[1 if name in ("checkout", "renew") or "hold" in name else 0]
    if name == "deliver_events":
        sent = [e.id for e in args[0]]
        assert [r.event_id for r in result] == [i for i in sent if i in {
            r.event_id for r in result}]


class ConnectorFuzz:
    """Each input: a fresh connector, one call, the ACS's answers drawn as it asks."""

    def __init__(self, login: Path) -> None:
        self.login = login
        self.idle, self._other_end = socket.socketpair()
        self.acs: FuzzedAcs | None = None
        self.answers = 0

    def connect(self, address: tuple[str, int], timeout: float) -> FuzzedAcs:
        assert self.acs is not None
        return self.acs

    def __call__(self, given: tuple[tuple[str, tuple], dict, st.DataObject]) -> bool:
        (name, args), option, data = given
        config = Sip2ConnectorConfig(host="127.0.0.1", port=6001, machine_id=HERE,
                                     institution_id="111001", credentials_file=str(self.login),
                                     timezone="Asia/Seoul", **option)
        self.acs = FuzzedAcs(data, config, self.idle)
        connector = Sip2Connector(config)
        try:
            result = getattr(connector, name)(*args)
        except ConnectorError:
            return False
        finally:
            connector.close()
            self.answers += self.acs.answers
        typed(name, args, result)
        return True

    def close(self) -> None:
        self.idle.close()
        self._other_end.close()


# A connector call is a conversation (a login, then one answer or many); the answers it reads
# are counted in the facts.
@pytest.mark.parametrize("inputs", sizes(fast=100))
def test_sip2_answers_give_results_refusals_or_connector_errors(inputs, campaign_facts,
                                                                tmp_path):
    (tmp_path / "sip2-login").write_text("kiosk:secret\n")
    check = ConnectorFuzz(tmp_path / "sip2-login")
    try:
        with mock.patch.object(sip2_client, "socket",
                               SimpleNamespace(create_connection=check.connect)):
            tally: Tally = fuzz(st.tuples(calls, options, st.data()), check, inputs,
                                shrink=False)
    finally:
        check.close()
    campaign_facts.update(tally.facts("SIP2 answers", answers=check.answers))
