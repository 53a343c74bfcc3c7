"""The emulator's SIP2 ACS over a raw socket: login, resends, bad input, character sets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from library_fixtures import (  # noqa: F401 - fixtures
    MACHINE, BackgroundLoop, background_loop, library, make_connector, start_library,
)

from drivers.sip2 import Message, build, decode, encode
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=120).filter(lambda b: b"\r" not in b))
def test_any_line_gets_a_well_formed_answer(shared_library, line):
    raw = RawSc(shared_library.endpoint)
    try:
        raw.ask(LOGIN)
        answer = raw.send(line + b"\r")
        assert answer is not None and decode(answer, require_checksum=True).code
        assert raw.ask(build("99", {"status_code": "0", "max_print_width": "080",
                                    "protocol_version": "2.00"}, sequence=5)).code == "98"
    finally:
        raw.sock.close()


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
