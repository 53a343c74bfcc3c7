"""Fault cases: timeouts, 5xx, drops, garbage, bad checksums each end in a defined error."""

from __future__ import annotations

import socket
import time
from datetime import date

import pytest
from library_fixtures import (  # noqa: F401 - fixtures
    admin, background_loop, item, library, make_connector, tx,
)

from drivers.errors import DriverConfigError
from drivers.sip2 import encode
from kiosk.connectors import (
    HttpConnector, HttpConnectorConfig, LibraryAuthError, LibraryProtocolError, LibraryTimeout,
    LibraryUnavailable, LoanResult, Patron, Sip2Connector, Sip2ConnectorConfig,
)
from kiosk.connectors.sip2_client import sc_status_request
from sim.library import DEMO_PATRONS

KIM = DEMO_PATRONS[0]

FAULTS = [  # transport, fault, its parameters, the error, whether the library applied it
    ("http", "status", {}, LibraryUnavailable, False),
    ("http", "drop", {}, LibraryUnavailable, False),
    ("http", "latency", {"seconds": 1.0}, LibraryTimeout, None),
    ("http", "garbage", {}, LibraryProtocolError, False),
    ("http", "nonsense", {}, LibraryProtocolError, False),
    ("http", "reset", {}, LibraryUnavailable, False),
    ("http", "reset_after", {}, LibraryUnavailable, True),
    ("http", "slow", {"seconds": 1.0}, LibraryTimeout, True),
    ("http", "reorder", {"seconds": 1.0}, LibraryTimeout, True),
    ("sip2", "drop", {}, LibraryUnavailable, False),
    ("sip2", "latency", {"seconds": 1.0}, LibraryTimeout, None),
    ("sip2", "garbage", {}, LibraryProtocolError, False),
    ("sip2", "nonsense", {}, LibraryProtocolError, False),
    ("sip2", "bad_checksum", {}, LibraryProtocolError, True),
    ("sip2", "reset", {}, LibraryUnavailable, False),
    ("sip2", "reset_after", {}, LibraryUnavailable, True),
    ("sip2", "slow", {"seconds": 1.0}, LibraryTimeout, True),
    ("sip2", "reorder", {"seconds": 1.0}, LibraryTimeout, True),
]
FAST = {"http": {"read_timeout": 0.2, "retries": 1}, "sip2": {"timeout": 0.2}}


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("transport", "kind", "params", "error", "applied"), FAULTS,
                         ids=[f"{case[0]}-{case[1]}" for case in FAULTS])
def test_fault_ends_in_a_defined_connector_error(library, tmp_path, transport, kind, params,
                                                 error, applied):
    conn = make_connector(transport, library.endpoint, tmp_path, **FAST[transport])
    t = tx()
    try:
        assert isinstance(conn.lookup_card(KIM.card_uid), Patron)  # connected and logged in
        # SIP2: the checkout itself (the connector first asks whether the patron has the copy)
        library.admin.fault(transport, kind, **params, **(
            {"message": "11"} if transport == "sip2" else {}))
        with pytest.raises(error):
            conn.checkout(KIM.member_number, item(1), t)
        if applied is False:
            assert library.admin.item(item(1))["loans"] == []  # nothing invented
        library.admin.call("DELETE", "/admin/faults")
        again = answered(lambda: conn.checkout(KIM.member_number, item(1), t))  # applied once
        assert isinstance(again, LoanResult)
        assert again.duplicate is bool(applied) or applied is None
        assert len(library.admin.item(item(1))["loans"]) == 1
    finally:
        conn.close()


def answered(call, tries: int = 50):
    """The call's result, asked again while a late answer keeps it waiting (SIP2: the ACS
    answers on the connection in order, so the question waits behind the late answer)."""
    for _ in range(tries - 1):
        try:
            return call()
        except LibraryTimeout:
            continue
    return call()


LATE = 1.0  # s the ACS takes to carry out the transaction: past the connector's 0.2 s wait


@pytest.mark.parametrize("acs", ["sip2", "sip2-strict", "sip2-koha", "sip2-evergreen"])
@pytest.mark.parametrize("code", ["11", "09", "29"])
def test_sip2_a_transaction_the_acs_carries_out_late_takes_effect_once(library, tmp_path, acs,
                                                                       code):
    conn = make_connector(acs, library.endpoint, tmp_path, timeout=0.2)
    first = tx()
    try:
        if code != "11":
            conn.checkout(KIM.member_number, item(1), first, no_block=True)
        due = library.admin.item(item(1))["due_at"]
        library.admin.fault("sip2", "latency", count=1, seconds=LATE, message=code)
        t = tx()
        send = {  # as sync delivers them: no-block, at their own time
            "11": lambda: conn.checkout(KIM.member_number, item(1), t, no_block=True),
            "09": lambda: conn.checkin(item(1), t, no_block=True),
            "29": lambda: conn.renew(KIM.member_number, item(1), t, no_block=True,
                                     due_before=due and date.fromisoformat(due[:10])),
        }[code]
        with pytest.raises(LibraryTimeout):
            send()
        answered(send)  # asked again: it took effect, or it is made now
        # What the machine did next; a transaction carried out after it would undo it:
        # lend the book again after its return, return it again, renew it twice.
        if code == "11":
            conn.checkin(item(1), tx(), no_block=True)
        elif code == "09":
            conn.checkout(KIM.member_number, item(1), tx(), no_block=True)
        time.sleep(LATE)  # the ACS's slow transaction has been carried out by now, in any case
        loans = [(x["renewals"], x["returned_at"] is not None)
                 for x in library.admin.item(item(1))["loans"]]
        assert loans == {"11": [(0, True)], "09": [(0, True), (0, False)],
                         "29": [(1, False)]}[code]
    finally:
        conn.close()


def test_http_retries_a_passing_5xx(library, tmp_path):
    conn = make_connector("http", library.endpoint, tmp_path, retries=2)
    library.admin.fault("http", "status", count=1, status=503)
    assert isinstance(conn.lookup_card(KIM.card_uid), Patron)
    assert library.admin.call("GET", "/admin/faults") == {}  # the 503 was answered once


def test_http_retry_after_a_lost_answer_is_applied_once(library, tmp_path):
    conn = make_connector("http", library.endpoint, tmp_path, retries=2)
    library.admin.fault("http", "drop_after", count=1)
    result = conn.checkout(KIM.member_number, item(1), tx())
    assert isinstance(result, LoanResult) and result.duplicate
    assert len(library.admin.item(item(1))["loans"]) == 1


def test_sip2_resends_after_a_bad_checksum(library, tmp_path):
    conn = make_connector("sip2", library.endpoint, tmp_path)
    assert isinstance(conn.lookup_card(KIM.card_uid), Patron)
    library.admin.fault("sip2", "bad_checksum", count=1)
    assert isinstance(conn.checkout(KIM.member_number, item(1), tx()), LoanResult)
    assert library.admin.call("GET", "/admin/faults") == {}
    conn.close()


def test_sip2_lost_answer_is_a_duplicate_when_replayed(library, tmp_path):
    conn = make_connector("sip2", library.endpoint, tmp_path)
    conn.lookup_card(KIM.card_uid)
    library.admin.fault("sip2", "drop_after", count=1, message="11")
    t = tx()
    with pytest.raises(LibraryUnavailable):
        conn.checkout(KIM.member_number, item(1), t)
    again = conn.checkout(KIM.member_number, item(1), t)
    assert again.duplicate and len(library.admin.item(item(1))["loans"]) == 1
    conn.close()


@pytest.mark.parametrize("transport", ["http", "sip2"])
def test_nobody_listening_is_unavailable(tmp_path, transport):
    port = free_port()
    endpoint = {"url": f"http://127.0.0.1:{port}", "sip2_host": "127.0.0.1", "sip2_port": port}
    conn = make_connector(transport, endpoint, tmp_path, **({"retries": 0}
                                                             if transport == "http" else {}))
    with pytest.raises(LibraryUnavailable):
        conn.info()


@pytest.mark.parametrize("transport", ["http", "sip2"])
def test_wrong_credentials_are_an_auth_error(library, tmp_path, transport):
    secret = tmp_path / "secret"
    secret.write_text("wrong-token" if transport == "http" else "kiosk-1:wrong")
    endpoint = library.endpoint
    if transport == "http":
        conn = HttpConnector(HttpConnectorConfig(endpoint["url"], "kiosk-1", str(secret)))
    else:
        conn = Sip2Connector(Sip2ConnectorConfig(endpoint["sip2_host"], endpoint["sip2_port"],
                                                 "kiosk-1", "111001", str(secret)))
    with pytest.raises(LibraryAuthError):
        conn.info()


def test_unknown_config_key_and_missing_credentials_are_config_errors(tmp_path):
    with pytest.raises(DriverConfigError, match="unknown key"):
        HttpConnectorConfig.from_mapping({"base_url": "http://x", "machine_id": "k",
                                          "credentials_file": "f", "timeout": 1})
    with pytest.raises(DriverConfigError, match="credentials"):
        HttpConnector(HttpConnectorConfig("http://127.0.0.1:1", "k", str(tmp_path / "none")))


RAW_REQUESTS = {  # a request each transport's fault applies to, as raw bytes
    "http": (b"GET /api/v1/machines/kiosk-1 HTTP/1.1\r\nHost: x\r\n"
             b"Authorization: Bearer demo-library-token\r\n\r\n"),
    "sip2": encode(sc_status_request()),
}


@pytest.mark.parametrize("transport", ["http", "sip2"])
def test_a_reset_is_a_tcp_reset_not_an_orderly_close(library, transport):
    library.admin.fault(transport, "reset", count=1)
    port = int(library.endpoint["url"].rsplit(":", 1)[1]) if transport == "http" else \
        library.endpoint["sip2_port"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(RAW_REQUESTS[transport])
        with pytest.raises(ConnectionResetError):
            while sock.recv(4096):  # an orderly close would end this loop with b""
                pass


def test_http_a_stale_answer_replayed_for_the_next_request_is_refused(library, tmp_path):
    conn = make_connector("http", library.endpoint, tmp_path, retries=0)
    t = tx()
    try:
        library.admin.fault("http", "duplicate", count=1)
        assert isinstance(conn.lookup_card(KIM.card_uid), Patron)  # answered, and kept
        with pytest.raises(LibraryProtocolError):  # the lookup's answer again, from a cache
            conn.checkout(KIM.member_number, item(1), t)
        assert library.admin.item(item(1))["loans"] == []  # it never reached the library
        again = conn.checkout(KIM.member_number, item(1), t)
        assert isinstance(again, LoanResult) and not again.duplicate
        assert len(library.admin.item(item(1))["loans"]) == 1
    finally:
        conn.close()


def test_sip2_a_duplicated_answer_ahead_of_the_next_is_refused(library, tmp_path):
    conn = make_connector("sip2", library.endpoint, tmp_path)
    t = tx()
    try:
        conn.lookup_card(KIM.card_uid)
        # The checkout's 63 (does the patron have the copy?) is answered twice: the second
        # copy arrives ahead of the 11's answer.
        library.admin.fault("sip2", "duplicate", count=1, message="63")
        with pytest.raises(LibraryProtocolError):
            conn.checkout(KIM.member_number, item(1), t)
        assert len(library.admin.item(item(1))["loans"]) == 1  # the 11 was applied
        again = conn.checkout(KIM.member_number, item(1), t)
        assert isinstance(again, LoanResult) and again.duplicate
        assert len(library.admin.item(item(1))["loans"]) == 1
    finally:
        conn.close()


def test_http_a_late_answer_to_a_resent_request_is_its_answer(library, tmp_path):
    conn = make_connector("http", library.endpoint, tmp_path, read_timeout=0.2, retries=1)
    try:
        library.admin.fault("http", "reorder", count=1, seconds=1.0)
        result = conn.checkout(KIM.member_number, item(1), tx())  # timed out, then resent
        assert isinstance(result, LoanResult) and not result.duplicate  # the first answer
        assert library.admin.call("GET", "/admin/faults") == {}
        assert len(library.admin.item(item(1))["loans"]) == 1
    finally:
        conn.close()


def test_clearing_faults_forgets_an_answer_held_back(library, tmp_path):
    conn = make_connector("http", library.endpoint, tmp_path, retries=0)
    try:
        library.admin.fault("http", "duplicate", count=1)
        conn.lookup_card(KIM.card_uid)
        library.admin.call("DELETE", "/admin/faults")
        assert isinstance(conn.checkout(KIM.member_number, item(1), tx()), LoanResult)
    finally:
        conn.close()
