"""Fuzz campaign, requests: patron API bodies and control-socket lines, through their checks
(pure, with a stand-in controller that records what reaches it) and through the real servers
(the patron API on 127.0.0.1, the control socket on a Unix socket): garbage gets a structured
error, what gets through is printable text, and the server keeps answering."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import strategies as st

from kiosk import control, patron_api, speech_api, text_input
from kiosk.access import PinGuard, TechnicianAccess
from kiosk.config import ControlConfig
from kiosk.control_api import Caller, ControlError, ErrorCode
from kiosk.journal import Journal
from kiosk.policy import PolicyConfig
from kiosk.speech_config import SpeechConfig
from tests.conftest import SimLoop
from tests.fuzzing import (ABSENT, Just, Many, edited_json, fill, fuzz, mutated, odd_json, pick,
                           picks, sizes, texts, with_odd_characters)

SAFETY = 15.0  # seconds a socket read may block before the case fails (never an assertion)
PIN = "135790"
ITEM_IDS = ["EM0001", "EM 0001", "", "x" * 65, "\x00", "\ud800", "한강", "²", "EM0001\n"]


def finished(step: Coroutine) -> Any:
    """The value of a coroutine that never waits (a stand-in controller answers at once)."""
    try:
        step.send(None)
    except StopIteration as done:
        return done.value
    step.close()
    raise AssertionError("the handler waited for something")


def json_bytes(values: st.SearchStrategy) -> st.SearchStrategy[bytes]:
    """Bodies: the values as JSON, edited, mangled as bytes, or any JSON and bytes."""
    as_json = st.one_of(values, st.builds(edited_json, values, st.lists(picks, min_size=1,
                                                                         max_size=2))).map(
        lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return st.one_of(as_json, mutated(as_json), odd_json.map(lambda v: json.dumps(v).encode()),
                     st.binary(max_size=40))


# -- the patron API ---------------------------------------------------------------------------

class Screen:
    """Stands in for the controller behind the patron API: records every request and read."""

    def __init__(self) -> None:
        self.reached: list[Any] = []
        self.config = SimpleNamespace(speech=SpeechConfig(),
                                      ui=SimpleNamespace(keypad_events_url=""))
        self.speaker = self

    async def request(self, event: Any, payload: Any = None, handler: Any = None) -> Any:
        self.reached.append(payload or {})
        return {"stub": True}

    async def query(self, read: Any, *args: Any) -> Any:
        """The read of the screens' state gets the stub's snapshot; any other read no books."""
        self.reached.append(list(args))
        if not args and _reads_the_snapshot(read):
            return self.snapshot()
        return {"books": []}

    def snapshot(self) -> dict:
        return {"state": "ready"}

    def say(self, text: str, lang: str, rate: int, volume: int) -> int:
        self.reached.append({"text": text, "lang": lang, "rate": rate, "volume": volume})
        return 1

    def stop(self) -> None:
        self.reached.append("stop")


COMMANDS = {**patron_api.POSTS, **speech_api.POSTS}
TEXTS = with_odd_characters(ITEM_IDS + ["1234", "12 34", "안녕하세요", "Hello", "x" * 601])
INDICES = [-1, 0, 1, 2, 3, True, 1.0, "1", None]
BODIES = [{"item_id": [ABSENT] + TEXTS, "pin": [ABSENT] + TEXTS, "member": [ABSENT] + TEXTS,
           "voice": [ABSENT, True, False, 1, "yes"]},
          {"text": TEXTS, "lang": ["ko", "en", "fr", "", None], "rate": INDICES,
           "volume": INDICES}]
patron_bodies = json_bytes(picks.map(lambda n: fill(BODIES, n)[0]))
patron_inputs = st.tuples(st.sampled_from(sorted(COMMANDS) + ["/api/books?q="]), patron_bodies)


def patron_parsed(given: tuple[str, bytes]) -> bool:
    """A command's body: its checks refuse it (400) or what reaches the controller is text."""
    route, data = given
    screen = Screen()
    try:
        if route == "/api/books?q=":
            text_input.QUERY.check(data.decode("utf-8", "replace")[:text_input.QUERY.max_length])
        else:
            finished(COMMANDS[route](screen, patron_api.parse_body(data)))
    except (patron_api.BadRequest, speech_api.BadSpeech, text_input.InvalidText):
        return False
    for reached in screen.reached:
        text_input.check_tree(reached)
    return True


@pytest.mark.parametrize("inputs", sizes())
def test_patron_api_bodies_are_refused_or_reach_the_controller_as_text(inputs, campaign_facts):
    tally = fuzz(patron_inputs, patron_parsed, inputs)
    campaign_facts.update(tally.facts("patron API bodies"))


METHODS = ["GET", "POST", "POST", "POST", "PUT", "HEAD", "OPTIONS", "BREW", "G T", "\x00"]
PATHS = sorted(COMMANDS) + ["/api/state", "/api/books?q=%ED%95%9C", "/api/books?q=%ff%00",
                            "/api/books?q=" + "a" * 200, "/api/loans", "/api/holds", "/api/info",
                            "/api/catalogue", "/api/receipt", "/", "/api", "/api/x", "//",
                            "/ui/../../etc/passwd", "/%00", "*", "/i18n/ko.json"]
HEADERS = ["", "Content-Type: text/plain\r\n", "Content-Type: application/json; charset=x\r\n",
           "Transfer-Encoding: chunked\r\n", "Expect: 100-continue\r\n", "X-A: \x01\r\n",
           "Content-Length: -1\r\n", "Content-Length: abc\r\n", "Cookie: " + "c" * 9000 + "\r\n",
           ": empty\r\n", "Host: other\r\n"]
http_requests = st.one_of(
    st.builds(lambda method, path, header, body: (
        f"{method} {path} HTTP/1.1\r\nHost: kiosk\r\n{header}Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n").encode("utf-8", "surrogatepass") + body,
        st.sampled_from(METHODS), st.one_of(st.sampled_from(PATHS), texts.map(
            lambda t: "/" + t.replace(" ", "").replace("\r", "").replace("\n", ""))),
        st.sampled_from(HEADERS), patron_bodies),
    st.binary(max_size=60).map(lambda b: b + b"\r\n\r\n"))


def read_answer(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (or resets it)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def _reads_the_snapshot(read: Any) -> bool:
    """Whether `read(controller)` is the controller's snapshot (tried on a probe)."""
    mark = object()
    try:
        return read(SimpleNamespace(snapshot=lambda: mark)) is mark
    except Exception:  # a read of other parts of the real controller
        return False


class PatronServer:
    """The real patron API on 127.0.0.1 (a stand-in controller behind it), sent raw requests."""

    def __init__(self, loop: SimLoop) -> None:
        self.screen = Screen()
        self.runner, url = asyncio.run_coroutine_threadsafe(patron_api.start(
            self.screen, "127.0.0.1", 0, timeout=0.1, max_connections=32), loop.loop).result(10)
        self.port = int(url.rsplit(":", 1)[1])
        self.statuses: dict[int, int] = {}

    def __call__(self, request: bytes) -> bool:
        """An answer with a status below 500; a refused command says why, as JSON."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=SAFETY) as sock:
            sock.sendall(request)
            answer = read_answer(sock)
        if not answer:  # blank lines are no request: the server waits for one, then closes
            assert not request.strip(), request[:300]
            return False
        head, _, body = answer.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n").partition(
            b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        self.statuses[status] = self.statuses.get(status, 0) + 1
        assert status < 500, answer[:300]
        if status == 400 and request.startswith(b"POST /api/") and body.startswith(b"{"):
            refusal = json.loads(body)
            assert refusal["ok"] is False and refusal["error"], refusal
        return status < 400

    def still_answers(self) -> bool:
        """GET /api/state after it all: 200 and the state."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=SAFETY) as sock:
            sock.sendall(b"GET /api/state HTTP/1.1\r\nHost: kiosk\r\nConnection: close\r\n\r\n")
            answer = read_answer(sock)
        return answer.startswith(b"HTTP/1.1 200") and b'"ready"' in answer


@pytest.mark.parametrize("inputs", sizes(full=3000, fast=100))
def test_the_patron_api_answers_garbage_requests_and_keeps_answering(inputs, campaign_facts):
    loop = SimLoop()
    server = PatronServer(loop)
    try:
        tally = fuzz(http_requests, server, inputs)
        assert server.still_answers()
    finally:
        asyncio.run_coroutine_threadsafe(server.runner.cleanup(), loop.loop).result(30)
        loop.close()
    campaign_facts.update(tally.facts("patron API server (127.0.0.1)"))


# -- the control socket -------------------------------------------------------------------------

class Reached(ControlError):
    """The request passed every check before the controller and reached it."""

    def __init__(self, what: str) -> None:
        super().__init__(f"reached the controller ({what})")


class Boundary:
    """What a control request's checks may read before the controller: the slot count, the
    policy's zone, the technician log; touching anything else is reaching the controller."""

    def __init__(self, **known: Any) -> None:
        vars(self).update(known)

    def __getattr__(self, name: str) -> Any:
        raise Reached(name)


class Technicians:
    """The stand-in controller of the control socket: a real technician log (in memory) and a
    PIN check without scrypt's cost; any request or read is where the checks end."""

    def __init__(self) -> None:
        journal = Journal.open(":memory:", slot_count=10)
        self.log = SimpleNamespace(journal=journal)
        self.journal = Boundary(slot_count=10)
        self.config = Boundary(policy=PolicyConfig())
        self.technician_access = TechnicianAccess(ControlConfig())
        self.technician_access.pin_hash = SimpleNamespace(matches=lambda pin: pin == PIN)

    def __getattr__(self, name: str) -> Any:
        raise Reached(name)

    async def request(self, event: Any, payload: Any = None, handler: Any = None) -> Any:
        raise Reached(str(event))

    async def query(self, read: Any, *args: Any) -> Any:
        if read.__module__ == "kiosk.access":  # the technician log's writes
            return read(self.log, *args)
        raise Reached(getattr(read, "__name__", "a read"))


REQUEST_NAMES = sorted(control.REQUESTS) + ["", "unknown", "STATUS", "status ", "\ud800"]
ROW = {"item_id": TEXTS, "uid": ["E004015000000001", "e0040150", "zz" * 8, 3],
       "title": TEXTS, "slot": ["0", "9", "10", "-1", "²", 3, None],
       "year": [ABSENT, "2007", "-750", "2101", "MMVII", "²", 1e9, ""],
       "popularity": [ABSENT, "0.5", "nan", "inf", "-0", "1e-400", 2, None],
       "subject": [ABSENT] + TEXTS, "authors": [ABSENT] + TEXTS}
ARGS = {"items": [Many(ROW, 3), Just([]), "x"], "slot": INDICES, "slots": [Many(INDICES, 3)],
        "count": INDICES, "wait": [1, 3600, 0.5, 1e308, "60", None],
        "since": ["2026-03-01", "30m", "7d", "99999d", "999999d", "2026-02-30", "0001-01-01",
                  "9999-12-31T23:59:59-05:00", "x", 5],
        "until": ["2026-03-01", "0001-01-01", "9999-12-31", "", "2026-13-01"],
        "lines": INDICES, "after": INDICES, "limit": INDICES, "idle_days": INDICES,
        "max_moves": INDICES, "by": TEXTS, "flag_id": TEXTS, "event_id": TEXTS, "note": TEXTS,
        "action": ["open", "close", "x"], "door": ["pickup", "return", "x"],
        "all": [True, False, 1], "on": [True, False, "off"], "dry_run": [True, False],
        "resume": [True, False], "run_id": TEXTS,
        "catalogue": [Just([]), Just([{"title": "x"}]), Many({"title": TEXTS, "isbn": TEXTS}, 2)]}
ARG_NAMES = sorted(ARGS)


def request_from(n: int) -> dict:
    """The control request number `n` picks: a name, up to four arguments, a PIN or none."""
    name, n = pick(REQUEST_NAMES, n)
    count, n = pick(range(5), n)
    args = {}
    for _ in range(count):
        key, n = pick(ARG_NAMES, n)
        args[key], n = fill(ARGS[key], n)
    pin, n = pick([ABSENT, PIN, "000000", "", 135790, None], n)
    shape, n = pick(("args", "args", "no args", "args not an object"), n)
    request = {"request": name, "args": args if shape == "args" else [args]}
    if shape == "no args":
        del request["args"]
    return request if pin is ABSENT else {**request, "pin": pin}


control_lines = st.one_of(json_bytes(picks.map(request_from)), st.binary(max_size=60)).map(
    lambda line: line.replace(b"\n", b" "))


class ControlFuzz:
    """Each line through control's answer with the stand-in: an answer with ok and, when not
    ok, a known code and a message; nothing logged as a failure of the request itself."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.controller = Technicians()
        self.failures: list[logging.LogRecord] = []
        self.handler = logging.Handler(logging.ERROR)
        self.handler.emit = self.failures.append

    def __call__(self, line: bytes) -> bool:
        self.controller.technician_access.guard = PinGuard(100, 1.0)  # no lock-out between lines
        answer = self.loop.run_until_complete(control._answer(
            self.controller, line, Caller(uid=1000, user="kim")))
        failed, self.failures[:] = list(self.failures), []
        assert not failed, failed[0].getMessage() + str(failed[0].exc_info)
        if answer["ok"]:
            return True
        assert answer["code"] in {c.value for c in ErrorCode} and answer["error"], answer
        return "reached the controller" in answer["error"]

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """The control and access modules' errors caught while the fuzz runs."""
        loggers = [logging.getLogger("kiosk.control"), logging.getLogger("kiosk.access")]
        for logger in loggers:
            logger.addHandler(self.handler)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeHandler(self.handler)
            self.loop.close()


@pytest.mark.parametrize("inputs", sizes())
def test_control_requests_are_refused_or_reach_the_controller_checked(inputs, campaign_facts):
    check = ControlFuzz()
    with check.watching():
        tally = fuzz(control_lines, check, inputs)
    campaign_facts.update(tally.facts("control-socket requests"))


class ControlServer:
    """The real control socket (a stand-in controller that records and answers {}), sent
    garbage lines on one connection after another."""

    def __init__(self, loop: SimLoop, path: Path) -> None:
        self.reached: list[Any] = []
        outer = self

        class Recorder:
            technician_access = TechnicianAccess(ControlConfig())

            async def request(self, event: Any, payload: Any = None, handler: Any = None) -> Any:
                outer.reached.append(payload)
                return {}

            async def query(self, read: Any, *args: Any) -> Any:
                outer.reached.append(args)
                return {}

        self.path = path
        self.server = asyncio.run_coroutine_threadsafe(control.serve(Recorder(), path),
                                                       loop.loop).result(10)

    def __call__(self, line: bytes) -> bool:
        """One line, one JSON answer line: ok, or a known code and a message."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(SAFETY)
            sock.connect(str(self.path))
            sock.sendall(line + b"\n")
            answer = json.loads(sock.makefile("rb").readline())
        if answer["ok"]:
            return True
        assert answer["code"] in {c.value for c in ErrorCode} and answer["error"], answer
        return False

    def still_answers(self) -> bool:
        """A well-formed read afterwards."""
        return control.ask(self.path, "faults", timeout=SAFETY)["ok"] is True


@pytest.mark.parametrize("inputs", sizes(full=3000, fast=100))
def test_the_control_socket_answers_garbage_lines_and_keeps_answering(inputs, campaign_facts,
                                                                       tmp_path):
    loop = SimLoop()
    server = ControlServer(loop, tmp_path / "control.sock")
    try:
        tally = fuzz(control_lines, server, inputs)
        assert server.still_answers()
    finally:
        loop.call(server.server.close)
        loop.close()
    campaign_facts.update(tally.facts("control socket server (Unix socket)"))
