"""The emulator's SIP2 ACS over a raw socket: login, resends, bad input, character sets."""

from __future__ import annotations

import socket
from datetime import datetime, timezone
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from library_fixtures import (  # noqa: F401 - fixtures
    BOOKS, MACHINE, BackgroundLoop, background_loop, library, make_connector, start_library,
)
from library_fixtures import item as item_id

from drivers.sip2 import (
    LAYOUTS, Message, Sip2Error, append_error_detection, build, decode, encode, format_date, parse_date,
    response_code,
)
from sim.collection import OWNER_ISIL
from sim.library.demo import DEMO_PATRONS
from kiosk.connectors import Patron
from sim.library import DEMO_TOKEN

LOGIN = build("93", {"uid_algorithm": "0", "pwd_algorithm": "0"},
              [("CN", MACHINE), ("CO", DEMO_TOKEN), ("CP", MACHINE)], sequence=0)
ITEM_INFO = build("17", {"transaction_date": " " * 18}, [("AO", "111001"), ("AB", "EM00000001")],
                  sequence=1)


class RawSc:
    """A bare SC: bytes out, one CR-terminated answer back."""

    def __init__(self, endpoint: dict) -> None:
        self.sock = socket.create_connection((endpoint["sip2_host"], endpoint["sip2_port"]), 5)
        self.buffer = b""

    def send(self, data: bytes) -> bytes | None:
        """Send bytes; the answer, or None when the ACS closed the connection."""
        self.sock.sendall(data)
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        answer, _, self.buffer = self.buffer.partition(b"\r")
        return answer + b"\r"

    def ask(self, message: Message) -> Message:
        return decode(self.send(encode(message)), require_checksum=True)


@pytest.fixture
def sc(library) -> Iterator[RawSc]:
    raw = RawSc(library.endpoint)
    yield raw
    raw.sock.close()


def test_login_with_the_wrong_password_is_refused(sc):
    wrong = build("93", {"uid_algorithm": "0", "pwd_algorithm": "0"},
                  [("CN", MACHINE), ("CO", "nope")], sequence=0)
    assert sc.ask(wrong).fixed["ok"] == "0"


def test_requests_before_login_close_the_connection(sc):
    assert sc.send(encode(ITEM_INFO)) is None


def test_bad_checksum_gets_a_resend_request(sc):
    corrupt = encode(LOGIN)[:-2] + b"0\r"
    assert sc.send(corrupt) == b"96AZFEF6\r"
    assert sc.ask(LOGIN).fixed["ok"] == "1"


def test_resend_request_repeats_the_last_answer(sc):
    sc.ask(LOGIN)
    answer = sc.send(encode(ITEM_INFO))
    assert sc.send(encode(build("97", {}))) == answer
    assert decode(answer).get("AB") == "EM00000001"


def test_garbage_gets_a_resend_request_and_the_session_goes_on(sc):
    sc.ask(LOGIN)
    assert sc.send(b"\x00\xffnot sip2 at all\r") == b"96AZFEF6\r"
    assert sc.ask(ITEM_INFO).code == "18"


@pytest.fixture(scope="module")
def shared_library(background_loop: BackgroundLoop, tmp_path_factory) -> Iterator:
    running = start_library(background_loop, tmp_path_factory.mktemp("sip2-fuzz"))
    yield running
    background_loop.run(running.sim.stop())


SC_STATUS = build("99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"},
                  sequence=5)
RESEND = b"96AZFEF6\r"
REQUESTS = ("99", "23", "63", "17", "35", "09", "11", "29", "15", "01")  # what an SC asks after login
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="|")
sip2_dates = st.one_of(
    st.just(" " * 18),
    st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1)).map(format_date),
    st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1), timezones=st.just(timezone.utc)).map(format_date))


@st.composite
def requests_(draw, codes: tuple[str, ...] = REQUESTS) -> Message:
    """A well-formed SC request: any fixed values that fit, known or unknown patrons and items."""
    code = draw(st.sampled_from(codes))
    fixed = {name: draw(sip2_dates if length == 18 else st.text(PRINTABLE, min_size=length, max_size=length))
             for name, length in LAYOUTS[code]}
    ident = st.one_of(st.sampled_from([p.member_number for p in DEMO_PATRONS] + [p.card_uid for p in DEMO_PATRONS]), st.text(PRINTABLE, max_size=12))
    item = st.one_of(st.integers(1, BOOKS).map(item_id), st.text(PRINTABLE, max_size=12))
    fields = [("AO", OWNER_ISIL), ("AA", draw(ident)), ("AB", draw(item))]
    return build(code, fixed, draw(st.permutations(fields)), sequence=draw(st.integers(0, 9)))


def reply_code(sc: RawSc, wire: bytes) -> str | None:
    """The code of the ACS's answer to `wire`, "resend" for the resend request, None if it hung up."""
    answer = sc.send(wire)
    if answer is None or answer == RESEND:
        return None if answer is None else "resend"
    return decode(answer, require_checksum=True).code


@pytest.fixture(scope="module")
def logged_in(shared_library) -> Iterator[RawSc]:
    raw = RawSc(shared_library.endpoint)
    assert raw.ask(LOGIN).fixed["ok"] == "1"
    yield raw
    raw.sock.close()


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(requests_())
def test_every_well_formed_request_gets_its_own_response_with_its_sequence(logged_in, request_):
    answer = decode(logged_in.send(encode(request_)), require_checksum=True)
    assert (answer.code, answer.sequence) == (response_code(request_.code), request_.sequence)


def checksum_changed(wire: bytes, draw) -> bytes:
    digit = draw(st.sampled_from(b"0123456789ABCDEF").filter(lambda d: d != wire[-2]))
    return wire[:-2] + bytes([digit]) + b"\r"


def fixed_part_cut(wire: bytes, draw) -> bytes:
    msg = decode(wire)
    cut = draw(st.integers(2, 1 + sum(n for _, n in LAYOUTS[msg.code])))
    return append_error_detection(wire[:cut], msg.sequence) + b"\r"


def code_unknown(wire: bytes, draw) -> bytes:
    code = draw(st.from_regex(r"\A[0-9]{2}\Z").filter(lambda c: c not in LAYOUTS))
    return append_error_detection(code.encode() + wire[2:-9], decode(wire).sequence) + b"\r"


def code_not_a_request(wire: bytes, draw) -> bytes:
    msg = decode(wire)
    code = draw(st.sampled_from(sorted(set(LAYOUTS) - set(REQUESTS) - {"93", "97"})))
    fixed = {name: draw(st.text(PRINTABLE, min_size=length, max_size=length)) for name, length in LAYOUTS[code]}
    return encode(build(code, fixed, msg.fields, msg.sequence))


DATE_READ_FIRST = {"09": "return_date", "11": "transaction_date", "29": "transaction_date",
                   "15": "transaction_date"}  # the requests whose dates the ACS reads


def date_malformed(wire: bytes, draw) -> bytes:
    msg = decode(wire)
    name = DATE_READ_FIRST[msg.code]
    bad = draw(st.text(PRINTABLE, min_size=18, max_size=18).filter(lambda t: t.strip() and not _date_ok(t)))
    fixed = {**msg.fixed, name: bad}
    return encode(Message(msg.code, fixed, msg.fields, msg.sequence))


def _date_ok(text: str) -> bool:
    try:
        parse_date(text, timezone.utc)
    except Sip2Error:
        return False
    return True


CORRUPTIONS = {  # how one part of a request is corrupted, and the requests it applies to
    "checksum": (checksum_changed, REQUESTS), "fixed part cut short": (fixed_part_cut, REQUESTS),
    "unknown code": (code_unknown, REQUESTS), "a response's code": (code_not_a_request, REQUESTS),
    "malformed date": (date_malformed, tuple(DATE_READ_FIRST)),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_request_with_one_part_corrupted_gets_the_resend_request_and_the_session_goes_on(
        logged_in, corruption, data):
    corrupt, codes = CORRUPTIONS[corruption]
    wire = corrupt(encode(data.draw(requests_(codes))), data.draw)
    assert reply_code(logged_in, wire) == "resend"
    assert reply_code(logged_in, encode(SC_STATUS)) == "98"


@pytest.mark.parametrize("charset", ["euc-kr", "utf-8"])
def test_names_travel_in_the_configured_character_set(background_loop, tmp_path, charset):
    running = start_library(background_loop, tmp_path, sip2_encoding=charset)
    try:
        member = running.admin.patron(name="김민지")
        conn = make_connector("sip2", running.endpoint, tmp_path, encoding=charset)
        found = conn.lookup_member(member)
        conn.close()
        assert isinstance(found, Patron) and found.name == "김민지"
    finally:
        background_loop.run(running.sim.stop())
