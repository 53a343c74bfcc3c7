"""The patron API's boundary over real HTTP on loopback: bad text, malformed and slow requests."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk import patron_api
from tests.conftest import SimLoop, wait_for

SAFETY = 15.0  # seconds a socket read may block before the test fails (never an assertion)


class StubController:
    """Stands in for the controller: records what reached it, answers every request."""

    def __init__(self) -> None:
        self.reached: list[Any] = []

    async def request(self, event: Any, payload: Any = None, handler: Any = None) -> Any:
        """Record the request's event instead of sending it."""
        self.reached.append((event, payload))
        return {"stub": True}

    async def query(self, read: Any, *args: Any) -> Any:
        """Record the read instead of running it."""
        self.reached.append((read, args))
        return []

    def snapshot(self) -> dict:
        """What /api/state shows."""
        return {"state": "ready"}


class Api:
    """The real patron API served on loopback from a background loop."""

    def __init__(self, loop: SimLoop, timeout: float, max_connections: int) -> None:
        self.ctl = StubController()
        self._loop = loop
        future = asyncio.run_coroutine_threadsafe(
            patron_api.start(self.ctl, "127.0.0.1", 0, timeout=timeout,
                             max_connections=max_connections), loop.loop)
        self.runner, url = future.result(timeout=10)
        self.port = int(url.rsplit(":", 1)[1])

    def connect(self) -> socket.socket:
        """A raw TCP connection to the API."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=SAFETY)
        return sock

    def exchange(self, data: bytes) -> bytes:
        """Send raw bytes, read until the server closes the connection."""
        with self.connect() as sock:
            sock.sendall(data)
            return read_all(sock)

    def post(self, path: str, body: bytes) -> tuple[int, dict]:
        """A complete POST with a raw JSON body; the status and the answer."""
        head = (f"POST {path} HTTP/1.1\r\nHost: kiosk\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        return parse(self.exchange(head + body))

    def close(self) -> None:
        """Stop serving."""
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self._loop.loop).result(timeout=30)


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (or resets) the connection."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def parse(raw: bytes) -> tuple[int, dict]:
    """Status and JSON body of one HTTP answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, json.loads(body) if body.startswith(b"{") else {}


@pytest.fixture
def api() -> Iterator[Api]:
    loop = SimLoop()
    server = Api(loop, timeout=0.3, max_connections=32)
    yield server
    server.close()
    loop.close()


LONE_SURROGATE = b'"\\ud800"'  # JSON's escape for a lone surrogate: valid JSON, invalid text


@pytest.mark.parametrize("path", ["/api/renew", "/api/hold", "/api/cart/add", "/api/cart/remove"])
def test_a_lone_surrogate_in_an_item_id_is_refused_with_400(api, path):
    status, answer = api.post(path, b'{"item_id": ' + LONE_SURROGATE + b"}")
    assert status == 400 and answer["ok"] is False and "item_id" in answer["error"]
    assert api.ctl.reached == []  # refused before the controller saw it


@pytest.mark.parametrize("body", [
    b'{"pin": ' + LONE_SURROGATE + b"}",
    b'{"pin": "12\\u000034"}',
    b'{"pin": "' + b"1" * 17 + b'"}',
    b'{"pin": 1234}',
])
def test_a_pin_that_is_not_short_printable_text_is_refused_with_400(api, body):
    status, answer = api.post("/api/pin", body)
    assert status == 400 and "pin" in answer["error"]
    assert api.ctl.reached == []


@pytest.mark.parametrize("item_id", ["x" * 65, "", "a\tb", "a\u2028b"])
def test_item_ids_beyond_the_rule_are_refused(api, item_id):
    status, _ = api.post("/api/renew", json.dumps({"item_id": item_id}).encode())
    assert status == 400 and api.ctl.reached == []


def test_valid_text_reaches_the_controller(api):
    status, answer = api.post("/api/renew", json.dumps({"item_id": "Ü-123 4"}).encode())
    assert (status, answer) == (200, {"ok": True, "result": {"stub": True}})
    assert len(api.ctl.reached) == 1


def test_the_screens_state_is_read_on_the_loop_between_two_events(api):
    raw = api.exchange(b"GET /api/state HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n")
    assert parse(raw)[0] == 200 and raw.endswith(b"[]")  # the query's answer, not a direct read
    [(read, args)] = api.ctl.reached
    assert read(api.ctl, *args) == {"state": "ready"}


@pytest.mark.parametrize(("query", "expected"), [("%ED%A0%80", None), ("%01", 400),
                                                   ("%F0%9F%93%9A%20rain", 200)])
def test_the_books_query_is_checked(api, query, expected):
    raw = api.exchange(f"GET /api/books?q={query} HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n"
                       .encode())
    status, _ = parse(raw)
    if expected is None:  # invalid UTF-8: whatever the URL decoder makes of it, never a 500
        assert status in (200, 400)
    else:
        assert status == expected
    assert status != 400 or api.ctl.reached == []


MALFORMED = [
    b"GET /api/state HTTP/1.1 trailing junk\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
    b"POST /api/renew HTTP/1.1\r\nHost: k\r\nContent-Length: abc\r\n\r\n",
    b"POST /api/renew HTTP/1.1\r\nHost: k\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
]


def server_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("aiohttp")]


def assert_one_line_below_error(records: list[logging.LogRecord]) -> None:
    assert records, "the client's error should still be logged"
    for record in records:
        assert record.levelno < logging.ERROR, record.getMessage()
        assert record.exc_info is None and "\n" not in record.getMessage()


@pytest.mark.parametrize("request_bytes", MALFORMED,
                         ids=["request-line", "tls", "length", "two-lengths"])
def test_a_malformed_request_is_a_400_and_one_log_line(api, caplog, request_bytes):
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    raw = api.exchange(request_bytes)
    assert raw.startswith(b"HTTP/1.") and parse(raw)[0] == 400
    assert_one_line_below_error(server_records(caplog))


def test_a_client_dropping_mid_body_is_one_log_line(api, caplog):
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    with api.connect() as sock:
        sock.sendall(b"POST /api/renew HTTP/1.1\r\nHost: k\r\nContent-Length: 100\r\n\r\n{\"item")
    wait_for(lambda: server_records(caplog), message="the dropped request to be logged")
    assert_one_line_below_error(server_records(caplog))
    assert api.ctl.reached == []


def test_a_request_head_that_never_ends_is_closed(api):
    with api.connect() as sock:
        sock.sendall(b"GET /api/state HTTP/1.1\r\nHost: k\r\n")  # no blank line, ever
        assert read_all(sock) == b""  # the server hung up


def test_a_connection_that_never_sends_is_closed(api):
    with api.connect() as sock:
        assert read_all(sock) == b""


def test_a_body_that_never_ends_is_answered_408_and_closed(api):
    with api.connect() as sock:
        sock.sendall(b"POST /api/renew HTTP/1.1\r\nHost: k\r\nContent-Length: 100\r\n\r\n{")
        status, answer = parse(read_all(sock))
    assert status == 408 and answer["ok"] is False
    assert api.ctl.reached == []


def test_connections_beyond_the_cap_are_refused_until_one_closes():
    loop = SimLoop()
    api = Api(loop, timeout=60.0, max_connections=2)
    held = []
    try:
        for _ in range(2):  # two touchscreens, served and kept alive
            sock = api.connect()
            sock.sendall(b"GET /api/state HTTP/1.1\r\nHost: k\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            held.append(sock)
        raw = api.exchange(b"GET /api/state HTTP/1.1\r\nHost: k\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 503")
        held.pop().close()
        state = b"GET /api/state HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n"
        wait_for(lambda: api.exchange(state).startswith(b"HTTP/1.1 200"),
                 message="a freed place to be served")
    finally:
        for sock in held:
            sock.close()
        api.close()
        loop.close()
