"""HTTP connector specifics: TLS verification, the token kept out of logs, answer checks."""

from __future__ import annotations

import logging
import ssl
import uuid

import pytest
from aiohttp import web
from library_fixtures import (  # noqa: F401 - fixtures
    MACHINE, TEST_CERT, TEST_KEY, background_loop, library, make_connector,
)

from kiosk.connectors import (
    HttpConnector, HttpConnectorConfig, LibraryConnector, LibraryProtocolError,
    LibraryUnavailable, Reason, Sip2Connector,
)
from kiosk.connectors import wire
from sim.library import DEMO_TOKEN


@pytest.fixture
def https_url(library, background_loop, tmp_path):
    """The emulator's API served over HTTPS with a self-signed certificate."""
    (tmp_path / "cert.pem").write_text(TEST_CERT)
    (tmp_path / "key.pem").write_text(TEST_KEY)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    runner = web.AppRunner(library.sim.web_app())

    async def start() -> str:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
        return f"https://127.0.0.1:{runner.addresses[0][1]}"
    yield background_loop.run(start())
    background_loop.run(runner.cleanup())


def https_connector(url: str, tmp_path, **options) -> HttpConnector:
    token = tmp_path / "token"
    token.write_text(DEMO_TOKEN)
    return HttpConnector(HttpConnectorConfig(url, MACHINE, str(token), retries=0, **options))


def test_tls_certificates_are_verified_by_default(https_url, tmp_path):
    with pytest.raises(LibraryUnavailable):
        https_connector(https_url, tmp_path).info()


def test_a_configured_ca_file_is_trusted(https_url, tmp_path):
    conn = https_connector(https_url, tmp_path, ca_file=str(tmp_path / "cert.pem"))
    assert conn.info().library == "111001"


def test_token_never_appears_in_logs_or_errors(library, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    conn = make_connector("http", library.endpoint, tmp_path, retries=0)
    conn.lookup_member("111001000001")
    library.admin.fault("http", "status")
    with pytest.raises(LibraryUnavailable) as failure:
        conn.info()
    assert caplog.records  # the calls were logged ...
    assert DEMO_TOKEN not in caplog.text and DEMO_TOKEN not in str(failure.value)  # ... not it
    assert DEMO_TOKEN not in repr(conn.config)


@pytest.mark.parametrize("kind", ["http", "sip2"])
def test_connectors_implement_the_interface(library, tmp_path, kind):
    conn = make_connector(kind, library.endpoint, tmp_path)
    assert isinstance(conn, LibraryConnector)
    assert isinstance(conn, HttpConnector if kind == "http" else Sip2Connector)


STATUS = {"patron": {"member_number": "1", "name": "A", "home_library": "111001",
                     "expires_on": "2030-01-01"},
          "may_borrow": True, "reason": None, "blocked_until": None, "loan_limit": 2,
          "loans": [], "holds_ready": []}


@pytest.mark.parametrize("change", [
    {"may_borrow": True, "reason": "overdue"},
    {"may_borrow": "yes"},
    {"loan_limit": -1},
    {"loans": [{"item_id": "EM1", "title": "T", "due_at": "tomorrow", "overdue": False,
                "home_machine": None}]},
    {"loans": [{"item_id": "EM1", "title": "T", "due_at": "2030-01-01T00:00:00",
                "overdue": False, "home_machine": None}]},
    {"patron": None},
])
def test_nonsense_status_is_a_protocol_error(change):
    with pytest.raises(LibraryProtocolError):
        wire.patron_status({**STATUS, **change}, MACHINE)


@pytest.mark.parametrize("name", ["A\x00", "\ud800", "\udcff이름"])
def test_text_with_a_nul_or_a_lone_surrogate_is_a_protocol_error(name):
    """Found by the fuzz campaign: such text parsed, and would fail where the journal wrote
    it (SQLite takes UTF-8 only)."""
    with pytest.raises(LibraryProtocolError, match="not text"):
        wire.patron_status({**STATUS, "patron": {**STATUS["patron"], "name": name}}, MACHINE)
    assert wire.patron_status({**STATUS, "patron": {**STATUS["patron"], "name": "김이름"}},
                              MACHINE).patron.name == "김이름"


def test_a_loan_answer_about_another_transaction_is_a_protocol_error():
    t = uuid.uuid4()
    answer = {"transaction_id": str(uuid.uuid4()), "item_id": "EM1", "patron": "1",
              "due_at": "2030-01-01T23:59:59+09:00", "conflict": None, "duplicate": False}
    with pytest.raises(LibraryProtocolError):
        wire.loan_result(answer, t, "EM1")
    assert wire.loan_result({**answer, "transaction_id": str(t)}, t, "EM1").patron == "1"


def test_unknown_reason_codes_are_unspecified_refusals():
    assert wire.refusal({"refused": "some_new_rule"}).reason == Reason.UNSPECIFIED
    with pytest.raises(LibraryProtocolError):
        wire.refusal(["refused"])


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_time_past_the_end_of_the_calendar_in_utc_is_a_protocol_error(moment):
    """Found by the fuzz campaign: such a time parsed, and failed later wherever the kiosk
    turned it into another zone (OverflowError)."""
    with pytest.raises(LibraryProtocolError, match="out of range"):
        wire.library_info({"library": "111001", "name": "Mapo", "now": moment})
