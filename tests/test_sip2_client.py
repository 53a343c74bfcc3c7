"""The SIP2 client's connection handling against a scripted ACS on loopback: idle closes,
97 resends under the ACS's own sequence number, the 98's timeout and retries, keep-alive,
late answers set aside on the same connection, and Hangul in the ACS's charset."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from drivers.sip2 import Message, build, decode, encode
from kiosk.connectors import (
    LibraryProtocolError, LibraryTimeout, Patron, Sip2Connector, Sip2ConnectorConfig,
)

KIM = "111001000001"
LEE = "111001000002"
WAIT = 0.5  # s the kiosk waits for an answer in the late-answer tests
NAME = "김민지"


def sc_status(timeout: str = "999", retries: str = "999", offline: str = "Y") -> Message:
    return build("98", {
        "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "renewal_policy": "Y",
        "status_update_ok": "N", "offline_ok": offline, "timeout_period": timeout,
        "retries_allowed": retries, "date_time_sync": "20261206    120000",
        "protocol_version": "2.00"}, [("AO", "111001"), ("BX", "YYYYYYYYYYYYYYYY")])


def patron_status(request: Message) -> Message:
    return build("24", {"patron_status": " " * 14, "language": "000",
                        "transaction_date": "20261206    120000"},
                 [("AO", "111001"), ("AA", request.get("AA")), ("AE", NAME), ("BL", "Y"),
                  ("CQ", "Y")])


class ScriptedAcs:
    """A loopback ACS: accepts every connection, answers by request code, records requests."""

    def __init__(self, encoding: str = "utf-8", **answers: Callable[[Message], Message]) -> None:
        self.encoding = encoding
        self.answers = {"93": lambda r: build("94", {"ok": "1"}), "99": lambda r: sc_status(),
                        "23": patron_status, **answers}
        self.requests: list[Message] = []
        self.connections = 0
        self.close_after: int | None = None  # close the connection after this many answers
        self.corrupt_next = 0  # answers to send with a wrong checksum
        self.silent: set[str] = set()  # request codes never answered
        self.late: dict[str, float] = {}  # request code: seconds its next answer is held back
        self.sent = 0  # answers sent
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._last: Message | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._answer_all(conn)
        except OSError:
            pass  # the kiosk hung up

    def _answer_all(self, conn: socket.socket) -> None:
        answered = 0
        with conn, conn.makefile("rb") as stream:
            while line := _read_cr(stream):
                request = decode(line, encoding=self.encoding)
                self.requests.append(request)
                reply = self._reply(request)
                if reply is None:
                    continue
                time.sleep(self.late.pop(request.code, 0))  # carried out late, as a busy ACS
                conn.sendall(reply)
                self.sent += 1
                answered += 1
                if self.close_after is not None and answered >= self.close_after:
                    self.close_after = None
                    return

    def _reply(self, request: Message) -> bytes | None:
        if request.code in self.silent:
            return None
        if request.code == "97":  # as Koha and Evergreen: rebuilt under the 97's number (0)
            answer = Message(self._last.code, self._last.fixed, self._last.fields, 0)
        else:
            answer = self.answers[request.code](request)
            answer = Message(answer.code, answer.fixed, answer.fields, request.sequence)
            self._last = answer
        data = encode(answer, encoding=self.encoding)
        if self.corrupt_next:
            self.corrupt_next -= 1
            data = data[:-2] + (b"0" if data[-2:-1] != b"0" else b"1") + b"\r"
        return data

    def codes(self) -> list[str]:
        return [r.code for r in self.requests]

    def close(self) -> None:
        self.server.close()


def _read_cr(stream) -> bytes:
    data = b""
    while (byte := stream.read(1)) and byte != b"\r":
        data += byte
    return data


@pytest.fixture
def acs():
    scripted = ScriptedAcs()
    yield scripted
    scripted.close()


def connect(acs: ScriptedAcs, tmp_path, **options) -> Sip2Connector:
    login = tmp_path / "login"
    login.write_text("kiosk-1:secret\n")
    return Sip2Connector(Sip2ConnectorConfig.from_mapping({
        "host": "127.0.0.1", "port": acs.port, "machine_id": "kiosk-1",
        "institution_id": "111001", "credentials_file": str(login), **options}))


def wait_for(condition: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"no {what}"
        time.sleep(0.02)


def test_login_is_followed_by_an_sc_status(acs, tmp_path):
    conn = connect(acs, tmp_path)
    assert isinstance(conn.lookup_member(KIM), Patron)
    assert acs.codes() == ["93", "99", "23"]
    conn.close()


def test_a_connection_the_acs_closed_while_idle_is_reopened_before_the_lookup(acs, tmp_path):
    conn = connect(acs, tmp_path)
    acs.close_after = 3  # 94, 98, 24: then the ACS's idle timeout closes it
    assert isinstance(conn.lookup_member(KIM), Patron)
    wait_for(lambda: acs.connections == 1 and acs.close_after is None, "close")
    time.sleep(0.05)  # let the FIN reach the kiosk's socket
    patron = conn.lookup_member(KIM)
    assert isinstance(patron, Patron) and patron.name == NAME
    assert acs.connections == 2 and acs.codes()[3:] == ["93", "99", "23"]
    conn.close()


def test_a_corrupt_answer_is_asked_again_and_taken_under_the_acs_sequence_number(acs, tmp_path):
    conn = connect(acs, tmp_path)
    conn.info()
    acs.corrupt_next = 1
    sequence_sent = None

    def answer(request: Message) -> Message:
        nonlocal sequence_sent
        sequence_sent = request.sequence
        return patron_status(request)
    acs.answers["23"] = answer
    assert isinstance(conn.lookup_member(KIM), Patron)
    assert acs.codes()[-2:] == ["23", "97"] and sequence_sent != 0  # answered as AY0
    conn.close()


def test_the_98_timeout_shortens_the_wait_for_an_answer(acs, tmp_path):
    acs.answers["99"] = lambda r: sc_status(timeout="025")  # 2.5 s, in tenths
    conn = connect(acs, tmp_path, timeout=30)
    conn.info()
    assert conn._client.answer_timeout == 2.5
    conn.close()


def test_no_resend_is_asked_when_the_98_allows_no_retries(acs, tmp_path):
    acs.answers["99"] = lambda r: sc_status(retries="000")
    conn = connect(acs, tmp_path)
    conn.info()
    acs.corrupt_next = 1
    with pytest.raises(LibraryProtocolError):
        conn.lookup_member(KIM)
    assert "97" not in acs.codes()
    conn.close()


def test_keep_alive_sends_sc_status_while_idle(acs, tmp_path):
    conn = connect(acs, tmp_path, keepalive=0.2)
    conn.info()
    before = acs.codes().count("99")
    wait_for(lambda: acs.codes().count("99") > before + 1, "keep-alive")
    assert acs.connections == 1
    conn.close()


def asked_until_answered(call: Callable[[], object], tries: int = 50) -> object:
    """The call's result, asked again while the answer is late (as sync asks again)."""
    for _ in range(tries):
        try:
            return call()
        except LibraryTimeout:
            continue
    pytest.fail("never answered")


@pytest.mark.parametrize("error_detection", [True, False])
def test_the_next_question_waits_behind_a_late_answer_on_the_same_connection(
        acs, tmp_path, error_detection):
    conn = connect(acs, tmp_path, timeout=WAIT, error_detection=error_detection)
    conn.info()
    acs.late["23"] = 3 * WAIT  # the ACS is busy with the first lookup past the kiosk's wait
    with pytest.raises(LibraryTimeout):
        conn.lookup_member(KIM)
    patron = asked_until_answered(lambda: conn.lookup_member(LEE))
    assert patron.member_number == LEE  # KIM's late answer was set aside, not taken for it
    assert acs.connections == 1  # asked behind the late one, not on a new connection
    conn.close()


def test_a_late_answer_that_came_while_idle_is_read_and_the_connection_kept(acs, tmp_path):
    conn = connect(acs, tmp_path, timeout=WAIT)
    conn.info()
    answers = acs.sent
    acs.late["23"] = 2 * WAIT
    with pytest.raises(LibraryTimeout):
        conn.lookup_member(KIM)
    wait_for(lambda: acs.sent > answers, "the late answer")
    assert asked_until_answered(lambda: conn.lookup_member(LEE)).member_number == LEE
    assert acs.connections == 1
    conn.close()


@pytest.mark.parametrize("encoding", ["utf-8", "euc-kr"])
def test_a_hangul_name_survives_the_acs_charset(tmp_path, encoding):
    acs = ScriptedAcs(encoding=encoding)
    try:
        conn = connect(acs, tmp_path, encoding=encoding)
        assert conn.lookup_member(KIM).name == NAME
        conn.close()
    finally:
        acs.close()


def test_counts_in_other_digits_are_no_counts(tmp_path):
    """Found by the fuzz campaign: int() takes '²' for a digit only to fail on it; a 98 with
    '²²²' as its timeout made every request a protocol error, a 10 with XL '²' a ValueError."""
    def checked_in(request: Message) -> Message:
        return build("10", {"ok": "1", "resensitize": "Y", "magnetic_media": "N", "alert": "N",
                            "transaction_date": "20261206    120000"},
                     [("AO", "111001"), ("AB", request.get("AB")), ("XL", "²")])

    def item(request: Message) -> Message:
        return build("18", {"circulation_status": "04", "security_marker": "00",
                            "fee_type": "01", "transaction_date": "20261206    120000"},
                     [("AB", request.get("AB")), ("AJ", "채식주의자"), ("CF", "٣")])
    acs = ScriptedAcs(**{"99": lambda r: sc_status(timeout="²²²", retries="٣٣٣"),
                         "17": item, "09": checked_in})
    try:
        conn = connect(acs, tmp_path)
        assert conn.lookup_member(KIM).name == NAME  # the 98's odd numbers: no limit said
        assert conn.item_info("EM1").hold_queue == 0
        with pytest.raises(LibraryProtocolError, match="late days"):
            conn.checkin("EM1", uuid.uuid4())
        conn.close()
    finally:
        acs.close()


def test_an_id_sip2_cannot_carry_is_a_protocol_error_and_is_not_sent(acs, tmp_path):
    """Found by the fuzz campaign: a '|' in an id raised the codec's Sip2Error out of the
    connector, past the sync worker's ConnectorError handling."""
    conn = connect(acs, tmp_path)
    with pytest.raises(LibraryProtocolError, match="separator"):
        conn.checkout("1110|01", "EM1", uuid.uuid4())
    with pytest.raises(LibraryProtocolError, match="separator"):
        conn.end_session("1110\r01")
    assert not {"11", "35"} & set(acs.codes())
    conn.close()


def test_a_98_whose_clock_is_past_the_calendar_is_a_protocol_error(tmp_path):
    """Found by the fuzz campaign: 9999-12-31 23:59:59 UTC raised OverflowError in info()."""
    late = build("98", {**sc_status().fixed, "date_time_sync": "99991231   Z235959"},
                 sc_status().fields)
    acs = ScriptedAcs(**{"99": lambda r: late})
    try:
        conn = connect(acs, tmp_path)
        with pytest.raises(LibraryProtocolError, match="out of range"):
            conn.info()
        conn.close()
    finally:
        acs.close()
