"""The accessibility keypad and its headphone jack (hardware/readers.md §4), and GET /keypad/events.

The real keypad is a USB keyboard: the touchscreen's browser gets its keys as key events. The
simulator has no USB device to offer, so it publishes each key press as a server-sent event;
the touchscreen page listens to the stream and dispatches each key as a KeyboardEvent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque

from aiohttp import web

from sim import panel_server

log = logging.getLogger(__name__)

# KeyboardEvent.key of every key on the keypad: digits, arrows, select, back, Help, Volume, Rate,
# Repeat (readers.md §4).
KEYS = (*"0123456789", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter", "Escape",
        "F1", "F2", "F3", "F4")
JACK_IN, JACK_OUT = "F9", "F10"  # what the jack sends when headphones go in, come out
BACKLOG = 256  # key presses a stream may fall behind by before it is closed (the page reconnects)


class KeypadError(ValueError):
    """A key the keypad does not have."""


class KeyStream:
    """The keys waiting for one connected stream, in order."""

    def __init__(self) -> None:
        self.keys: deque[dict] = deque()
        self.ready = asyncio.Event()
        self.overflowed = False  # fell BACKLOG keys behind: closed (EventSource reconnects)

    def put(self, event: dict) -> None:
        """Queue a key, or close the stream if its reader stopped reading."""
        if len(self.keys) >= BACKLOG:
            self.overflowed = True
        else:
            self.keys.append(event)
        self.ready.set()


class Keypad:
    """The keypad's jack and its key presses, fanned out to every connected stream."""

    def __init__(self) -> None:
        self.jack = False  # headphones plugged in; every start begins unplugged
        self.keys_sent = 0  # also the seq of the last key sent
        self._streams: set[KeyStream] = set()

    def press(self, key: str) -> dict:
        """A key of the keypad is pressed; returns the event and how many streams got it."""
        if key in (JACK_IN, JACK_OUT):
            raise KeypadError(f"{key} is the headphone jack's, not a key: plug or unplug it")
        if key not in KEYS:
            raise KeypadError(f"unknown key {key!r}: the keypad has {', '.join(KEYS)}")
        return self._send(key)

    def plug(self, plugged: bool) -> dict | None:
        """Headphones go in (True) or come out; the event sent, or None when nothing changed."""
        if plugged == self.jack:
            return None
        self.jack = plugged
        return self._send(JACK_IN if plugged else JACK_OUT)

    def state(self) -> dict:
        """The jack and the number of keys sent so far, for GET /world."""
        return {"jack": self.jack, "keys_sent": self.keys_sent}

    def listen(self) -> KeyStream:
        """A new stream: it gets every key pressed from now on (a key is a moment: no replay)."""
        stream = KeyStream()
        self._streams.add(stream)
        return stream

    def forget(self, stream: KeyStream) -> None:
        """The stream went away."""
        self._streams.discard(stream)

    def _send(self, key: str) -> dict:
        self.keys_sent += 1
        event = {"key": key, "seq": self.keys_sent}
        for stream in list(self._streams):
            stream.put(event)
            if stream.overflowed:
                log.warning("a keypad event stream fell %d keys behind; closing it", BACKLOG)
                self._streams.discard(stream)
        return {**event, "listeners": len(self._streams)}


def add_routes(app: web.Application, sim_key: web.AppKey) -> None:
    """GET /keypad/events (the panel's routes must be added first: it shares their shutdown)."""
    async def events(request: web.Request) -> web.StreamResponse:
        return await key_events(request, request.app[sim_key].keypad)

    app.router.add_get("/keypad/events", events)


async def key_events(request: web.Request, keypad: Keypad) -> web.StreamResponse:
    """GET /keypad/events: `event: key` with `{"key", "seq"}` for every key pressed from now on.

    Any origin may read it: the touchscreen page comes from the controller's port (loopback only).
    """
    stream = keypad.listen()
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache",
                                           "Access-Control-Allow-Origin": "*"})
    try:
        await response.prepare(request)
        await response.write(b": keypad connected\n\n")  # a client knows it gets keys from here
        await _write_keys(request, response, stream)
    except ConnectionError:
        pass  # the page went away
    finally:
        keypad.forget(stream)
    return response


async def _write_keys(request: web.Request, response: web.StreamResponse,
                      stream: KeyStream) -> None:
    """Write each key as it comes; a comment now and then keeps the connection open."""
    loop = asyncio.get_running_loop()
    last_write = loop.time()
    closing = request.app[panel_server.CLOSING]
    while not closing.is_set() and not panel_server.gone(request) and not stream.overflowed:
        stream.ready.clear()
        while stream.keys:
            data = json.dumps(stream.keys.popleft())
            await response.write(f"event: key\ndata: {data}\n\n".encode())
            last_write = loop.time()
        if loop.time() - last_write > panel_server.KEEPALIVE_SECONDS:
            await response.write(b": keep-alive\n\n")
            last_write = loop.time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stream.ready.wait(), panel_server.CHECK_SECONDS)
