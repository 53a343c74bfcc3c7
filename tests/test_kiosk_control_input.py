"""The control socket refuses bad text with an error answer, over the real Unix socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk import control
from kiosk.access import TechnicianAccess
from kiosk.config import ControlConfig
from kiosk.control import ask
from kiosk.journal import Journal
from kiosk.technician_pin import hash_pin
from tests.conftest import SimLoop


class StubController:
    """Records what reached the controller; keeps a real technician log (in memory)."""

    def __init__(self) -> None:
        self.reached: list[Any] = []
        self.technician_access = TechnicianAccess(ControlConfig(technician_pin_hash=PIN_HASH))
        self.journal: Journal | None = None  # opened on the loop's thread, as SQLite wants

    async def request(self, event: Any, payload: Any = None, handler: Any = None) -> Any:
        """Record the event instead of sending it."""
        self.reached.append((str(event), payload))
        return {}

    async def query(self, read: Any, *args: Any) -> Any:
        """Record the read instead of running it (the technician log's writes run)."""
        if read.__name__ == "<lambda>" and read.__module__ == "kiosk.access":
            self.journal = self.journal or Journal.open(":memory:", slot_count=10)
            return read(self, *args)
        self.reached.append((read.__name__, args))
        return {}


PIN = "135790"
PIN_HASH = hash_pin(PIN)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, StubController]]:
    loop = SimLoop()
    ctl = StubController()
    path = tmp_path / "control.sock"
    server = asyncio.run_coroutine_threadsafe(control.serve(ctl, path), loop.loop).result(10)
    yield path, ctl
    loop.call(server.close)
    loop.close()


def raw_ask(path: Path, line: bytes) -> bytes:
    """Send one raw line, read the answer line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(15)
        sock.connect(str(path))
        sock.sendall(line + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


@pytest.mark.parametrize("line", [
    b'{"request": "clear-flag", "args": {"flag_id": "\\ud800", "by": "kim"}}',
    b'{"request": "clear-flag", "args": {"flag_id": "f", "by": "k\\u0000im"}}',
    b'{"request": "stock", "args": {"items": [{"item_id": "\\udfff", "uid": "E004015000000001"}]}}',
    b'{"request": "status", "args": {"\\ud800": 1}}',
])
def test_text_that_is_not_printable_gets_an_error_answer(served, line):
    path, ctl = served
    answer = raw_ask(path, line)
    assert b'"ok": false' in answer and b"malformed" in answer
    assert ctl.reached == []


def test_a_surrogate_in_the_request_name_is_an_unknown_request(served):
    path, ctl = served
    assert b'"ok": false' in raw_ask(path, b'{"request": "\\ud800"}')
    assert ctl.reached == []


def test_printable_requests_reach_the_controller(served):
    path, ctl = served
    assert ask(path, "clear-flag", {"flag_id": "f-1", "by": "Kim Minji"}, pin=PIN)["ok"] is True
    [(name, (cleared,))] = ctl.reached
    assert name == "_clear" and (cleared.flag_id, cleared.cleared_by) == ("f-1", "Kim Minji")


def test_a_loading_list_row_with_an_overlong_item_id_is_refused():
    row = {"item_id": "x" * 65, "uid": "E004015000000001", "title": "A", "slot": "0"}
    with pytest.raises(ValueError, match="row 1: item_id"):
        control._stocked(1, row)


ROW = {"item_id": "EM00000001", "uid": "E004015000000001", "title": "채식주의자", "slot": "0",
       "authors": "한강"}


def test_a_loading_list_row_may_give_its_catalogue_facts():
    stocked = control._stocked(1, {**ROW, "year": "2007", "subject": "800", "popularity": "0.95"})
    assert (stocked.year, stocked.subject, stocked.popularity) == (2007, "800", 0.95)
    bare = control._stocked(1, {**ROW, "year": "", "subject": " ", "popularity": ""})
    assert (bare.year, bare.subject, bare.popularity) == (None, None, None)
    assert control._stocked(1, {**ROW, "year": -750, "popularity": 0}).year == -750


@pytest.mark.parametrize(("fact", "value"), [
    ("year", "2101"), ("year", "-3001"), ("year", "2007.0"), ("year", "MMVII"), ("year", "²"),
    ("subject", "x" * 17), ("subject", "8\t00"),
    ("popularity", "1.5"), ("popularity", "-0.1"), ("popularity", "nan"), ("popularity", "high"),
])
def test_a_bad_catalogue_fact_refuses_the_row(fact, value):
    with pytest.raises(ValueError, match=f"row 2: {fact}"):
        control._stocked(2, {**ROW, fact: value})


def test_a_bad_catalogue_fact_refuses_the_whole_loading_list(served):
    path, ctl = served
    rows = [{**ROW, "year": "2007"},
            {**ROW, "item_id": "EM00000002", "uid": "E004015000000002", "slot": "1",
             "popularity": "2"}]
    answer = ask(path, "stock", {"items": rows}, pin=PIN)
    assert answer["ok"] is False
    assert "row 2: popularity" in answer["error"] and "nothing recorded" in answer["error"]
    assert ctl.reached == []


@pytest.mark.parametrize(("read", "args"), [
    ("stats", {"until": "0001-01-01"}), ("stats", {"since": "9999-12-31"}),
    ("journal.export", {"since": "0001-01-01"}), ("log", {"since": "999999d"}),
    ("log", {"since": "0001-01-01"}), ("log", {"since": "9999-12-31T23:59:59-05:00"}),
])
def test_a_date_beyond_the_calendar_s_ends_is_refused_with_its_reason(read, args):
    """Found by the fuzz campaign: these raised OverflowError or ValueError ("year 0 is out of
    range") out of the requests' date checks, answered as a crash and logged as one."""
    from kiosk import control_access, control_records, control_usage
    from kiosk.control_api import ControlError
    from kiosk.policy import PolicyConfig
    ctl = SimpleNamespace(config=SimpleNamespace(policy=PolicyConfig()))
    check = {"stats": lambda: control_usage._period(ctl, args),
             "journal.export": lambda: control_records._since(ctl, args["since"]),
             "log": lambda: control_access.parse_since(args["since"])}[read]
    with pytest.raises(ControlError, match="years 1900..2999|too long ago"):
        check()
