"""The simulator's accessibility keypad and headphone jack: the world API, its key stream, the panel."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading

import pytest
import requests

from conftest import wait_for
from sim.keypad import KEYS
from test_sim_panel import answer, open_panel
from ui_browser import axe_violations, chromium, new_page  # noqa: F401

KEY_WAIT = 10.0  # s: a bound on waiting for a key, not a timing requirement


class KeyListener:
    """A client of GET /keypad/events, read in a thread: the keys it got, in order."""

    def __init__(self, world_url: str):
        self.response = requests.get(f"{world_url}/keypad/events", stream=True, timeout=(5, 60))
        self.response.raise_for_status()
        self.keys: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.connected.wait(KEY_WAIT), "the key stream never said it was connected"

    def _read(self) -> None:
        event = None
        try:
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith(": keypad connected"):
                    self.connected.set()
                elif line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "key":
                    self.keys.put(json.loads(line.removeprefix("data: ")))
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed at the end of the test

    def next(self) -> dict:
        """The next key event; fails the test if none comes."""
        try:
            return self.keys.get(timeout=KEY_WAIT)
        except queue.Empty:
            pytest.fail("no key arrived on /keypad/events")

    def close(self) -> None:
        """Hang up (a shutdown wakes the reading thread at once; a close alone waits for data)."""
        sock = getattr(self.response.raw.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.response.close()


@pytest.fixture
def listen():
    """Factory: a connected key stream client; closed at teardown."""
    listeners: list[KeyListener] = []

    def factory(world_url: str) -> KeyListener:
        listeners.append(KeyListener(world_url))
        return listeners[-1]

    yield factory
    for listener in listeners:
        listener.close()


def press(sim, key: str) -> dict:
    """POST /keypad/key."""
    return sim.world_post("/keypad/key", {"key": key})


# -- the world API ---------------------------------------------------------------------
def test_every_key_reaches_every_connected_stream_in_order(sim, listen):
    first, second = listen(sim.world_url), listen(sim.world_url)
    answers = [press(sim, key) for key in KEYS]
    assert all(a["listeners"] == 2 for a in answers)
    seqs = [a["seq"] for a in answers]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(KEYS)
    for listener in (first, second):
        assert [listener.next() for _ in KEYS] == [{"key": k, "seq": s} for k, s in zip(KEYS, seqs)]
    assert sim.world_get()["keypad"] == {"jack": False, "keys_sent": len(KEYS)}


def test_the_stream_is_readable_from_another_origin_and_sends_no_old_keys(sim, listen):
    press(sim, "7")  # before anyone listens: a key is a moment, no one gets it later
    listener = listen(sim.world_url)
    assert listener.response.headers["Access-Control-Allow-Origin"] == "*"
    assert listener.response.headers["Content-Type"].startswith("text/event-stream")
    seq = press(sim, "8")["seq"]
    assert listener.next() == {"key": "8", "seq": seq}


@pytest.mark.parametrize("body, error", [
    ({"key": "Tab"}, "unknown key 'Tab': the keypad has 0, 1, 2"),
    ({"key": "F9"}, "F9 is the headphone jack's"),
    ({"key": 5}, "field 'key' has the wrong type"),
    ({}, "missing field 'key'"),
])
def test_a_key_the_keypad_does_not_have_is_refused(sim, listen, body, error):
    listener = listen(sim.world_url)
    refused = sim.world_post("/keypad/key", body, expect=400)
    assert refused["ok"] is False and error in refused["error"]
    seq = press(sim, "Escape")["seq"]
    assert listener.next() == {"key": "Escape", "seq": seq}  # nothing was sent for the bad one
    assert sim.world_get()["keypad"]["keys_sent"] == 1


def test_the_jack_sends_f9_when_plugged_and_f10_when_pulled_once_each(sim, listen):
    listener = listen(sim.world_url)
    plugged = sim.world_post("/keypad/jack", {"plugged": True})
    assert plugged["jack"] is True and plugged["sent"]["key"] == "F9"
    assert listener.next() == {"key": "F9", "seq": plugged["sent"]["seq"]}
    assert sim.world_get()["keypad"]["jack"] is True
    assert sim.world_post("/keypad/jack", {"plugged": True})["sent"] is None
    seq = press(sim, "1")["seq"]
    assert listener.next() == {"key": "1", "seq": seq}  # no second F9 came before it
    pulled = sim.world_post("/keypad/jack", {"plugged": False})
    assert listener.next() == {"key": "F10", "seq": pulled["sent"]["seq"]}
    assert sim.world_get()["keypad"] == {"jack": False, "keys_sent": 3}
    assert "wrong type" in sim.world_post("/keypad/jack", {"plugged": "yes"}, expect=400)["error"]


# -- in a browser ------------------------------------------------------------------------
@pytest.mark.browser
def test_a_page_of_another_origin_gets_the_keys_as_the_touchscreen_will(sim, new_page):
    page = new_page(f"{sim.endpoints['library']['url']}/", locale="en-GB")  # another port
    page.evaluate("""url => { window.keys = []; window.stream = new EventSource(url);
        window.stream.addEventListener('key', e => window.keys.push(JSON.parse(e.data))); }""",
                  f"{sim.world_url}/keypad/events")
    page.wait_for_function("window.stream.readyState === EventSource.OPEN")
    wait_for(lambda: press(sim, "ArrowDown")["listeners"] == 1, message="the page listening")
    page.wait_for_function("window.keys.some(k => k.key === 'ArrowDown')")


@pytest.mark.browser
def test_the_panels_keypad_and_jack_send_their_keys(sim, new_page, listen):
    page = open_panel(new_page, sim)
    listener = listen(sim.world_url)
    page.click("#keypad [data-keypad='5']")
    assert listener.next()["key"] == "5"
    page.click("#keypad [data-keypad='Enter']")
    assert listener.next()["key"] == "Enter"
    page.click("#jack")
    assert listener.next()["key"] == "F9"
    page.wait_for_function("document.getElementById('jack').getAttribute('aria-pressed') === 'true'")
    page.wait_for_function("document.getElementById('jack-state').textContent === 'plugged in'")
    page.click("#jack")
    assert listener.next()["key"] == "F10"
    page.wait_for_function("document.getElementById('jack-state').textContent === 'unplugged'")
    assert " 5: POST /keypad/key {\"key\":\"5\"} → ok" in answer(page, 1)
    page.wait_for_function("document.getElementById('keys-sent').textContent === '4'")
    assert axe_violations(page) == []


@pytest.mark.browser
def test_the_panel_has_every_key_of_the_keypad_and_says_when_no_one_listens(sim, new_page):
    page = open_panel(new_page, sim)
    assert sorted(page.eval_on_selector_all(
        "#keypad [data-keypad]", "buttons => buttons.map(b => b.dataset.keypad)")) == sorted(KEYS)
    assert page.locator("#keypad .raised").inner_text() == "5"
    page.click("#keypad [data-keypad='ArrowUp']")
    assert answer(page, 1).endswith("→ ok, but no touchscreen listens to the keypad")
