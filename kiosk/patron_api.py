"""The touchscreen's API: HTTP JSON and server-sent events, on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kiosk import http_server, observe, patron, screen_api, speech_api, text_input
from kiosk.steps import Event, Refused

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
SSE_KEEPALIVE_SECONDS = 15.0
REQUEST_TIMEOUT = 10.0  # default seconds for a request's head, or its body, to arrive
CTL: web.AppKey = web.AppKey("ctl", object)
BODY_TIMEOUT: web.AppKey = web.AppKey("body_timeout", float)


def make_app(ctl: "Controller", body_timeout: float = REQUEST_TIMEOUT) -> web.Application:
    """The patron API as an aiohttp application."""
    app = web.Application(client_max_size=16 * 1024)
    app[CTL] = ctl
    app[BODY_TIMEOUT] = body_timeout
    app.router.add_get("/api/state", get_state)
    app.router.add_get("/api/events", get_events)
    app.router.add_get("/api/books", get_books)
    app.router.add_get("/api/loans", _query(lambda ctl, body: ctl.request(Event.LOANS_ASKED)))
    for path, handler in {**POSTS, **speech_api.POSTS}.items():  # speech, "still here" too
        app.router.add_post(path, _command(handler))
    screen_api.add_routes(app, CTL)
    observe.add_routes(app, CTL)
    return app


async def get_state(request: web.Request) -> web.Response:
    """GET /api/state: what the screen shows now, read on the loop between two events (read
    directly, it could catch a transition half-way: out of service with no fault yet)."""
    try:
        snapshot = await _snapshot(request.app[CTL])
    except asyncio.TimeoutError:
        return web.json_response({"ok": False, "error": "the controller does not answer"},
                                 status=503)
    return web.json_response(snapshot)


async def _snapshot(ctl: "Controller") -> dict:
    async with asyncio.timeout(observe.QUERY_TIMEOUT):  # wait_for (3.11) can lose a cancel
        return await ctl.query(lambda c: c.snapshot())


async def get_books(request: web.Request) -> web.Response:
    """GET /api/books?q=: the books a patron may take now."""
    ctl = request.app[CTL]
    try:  # a longer query is cut, as it always was; odd characters are refused
        query = text_input.QUERY.check(request.query.get("q", "")[:text_input.QUERY.max_length])
    except text_input.InvalidText as exc:
        return web.json_response({"ok": False, "error": f"query 'q': {exc}"}, status=400)
    return web.json_response({"books": await ctl.query(patron.shelf, query)})


async def get_events(request: web.Request) -> web.StreamResponse:
    """GET /api/events: a snapshot now and after every change (server-sent events)."""
    ctl = request.app[CTL]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = ctl.screens.subscribe()
    try:
        try:
            await _send_event(response, await _snapshot(ctl))
        except asyncio.TimeoutError:  # a loop that does not answer: the next change is sent
            log.warning("no first snapshot for a screen: the controller does not answer")
        while True:
            try:
                async with asyncio.timeout(SSE_KEEPALIVE_SECONDS):
                    snapshot = await queue.get()
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if snapshot is None:  # the controller is stopping
                break
            await _send_event(response, snapshot)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        ctl.screens.unsubscribe(queue)
    return response


async def _send_event(response: web.StreamResponse, snapshot: dict) -> None:
    await response.write(f"event: state\ndata: {json.dumps(snapshot)}\n\n".encode())


class BadRequest(Exception):
    """A malformed request body."""


class BodyTimeout(Exception):
    """The request body did not arrive within the timeout."""


FIELDS = {"item_id": text_input.ITEM_ID, "pin": text_input.PIN, "member": text_input.MEMBER}


def _item(body: dict) -> dict:
    """The item a request names."""
    return {"item_id": _text(body, "item_id")}


def _text(body: dict, name: str) -> str:
    """A text field of the body, valid by its rule in kiosk.text_input; BadRequest if not."""
    try:
        return FIELDS[name].check(body.get(name))
    except text_input.InvalidText as exc:
        raise BadRequest(f"field '{name}': {exc}") from None


# The commands a patron's screen sends: each takes the validated body (parse_body).
POSTS: dict[str, Callable[["Controller", dict], Awaitable[Any]]] = {
    "/api/pin": lambda ctl, body: ctl.request(Event.PIN_ENTERED, {"pin": _text(body, "pin")}),
    "/api/cart/add": lambda ctl, body: ctl.request(Event.CART_ADD, _item(body)),
    "/api/cart/remove": lambda ctl, body: ctl.request(Event.CART_REMOVE, _item(body)),
    "/api/cart/confirm": lambda ctl, body: ctl.request(Event.CART_CONFIRMED),
    "/api/session/end": lambda ctl, body: ctl.request(Event.SESSION_ENDED),
    "/api/return": lambda ctl, body: ctl.request(Event.RETURN_REQUESTED),
    "/api/renew": lambda ctl, body: ctl.request(Event.RENEW, _item(body)),
    "/api/hold": lambda ctl, body: ctl.request(Event.HOLD, _item(body)),
}


def _command(handler: Callable[["Controller", dict], Awaitable[Any]]):
    async def view(request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            ctl = request.app[CTL]
            result = await handler(ctl, body)
        except (BadRequest, speech_api.BadSpeech) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        except BodyTimeout as exc:
            log.info("request body to %s not complete in time; closing", request.path)
            response = web.json_response({"ok": False, "error": str(exc)}, status=408)
            response.force_close()
            return response
        except Refused as exc:
            _count_refusal(request.app[CTL], exc.code)
            return web.json_response({"ok": False, "refusal": exc.code}, status=409)
        return web.json_response({"ok": True, "result": result})
    return view


def _count_refusal(ctl: "Controller", code: str) -> None:
    """Count a patron's refused request (a stand-in controller of a unit test has no metrics)."""
    observing = getattr(ctl, "observe", None)
    if observing is not None:
        observing.metrics.refusal(code)


def _query(handler: Callable[["Controller", dict], Awaitable[Any]]):
    async def view(request: web.Request) -> web.Response:
        try:
            result = await handler(request.app[CTL], {})
        except Refused as exc:
            return web.json_response({"ok": False, "refusal": exc.code}, status=409)
        return web.json_response({"ok": True, "result": result})
    return view


async def _body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        async with asyncio.timeout(request.app[BODY_TIMEOUT]):
            data = await request.read()
    except TimeoutError:
        raise BodyTimeout("body not complete in time") from None
    return parse_body(data)


def parse_body(data: bytes) -> dict:
    """A command's body: a JSON object, its text printable and its known fields valid by their
    rules; BadRequest says what is wrong."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    _check_text(body)
    return body


def _check_text(body: dict) -> None:
    """Known fields by their rule, any other string as printable text (before the controller)."""
    try:
        text_input.check_tree(body, "body")
    except text_input.InvalidText as exc:
        raise BadRequest(str(exc)) from None
    for name in FIELDS.keys() & body.keys():
        _text(body, name)


async def start(ctl: "Controller", host: str, port: int, *, timeout: float = REQUEST_TIMEOUT,
                max_connections: int = 32) -> tuple[web.AppRunner, str]:
    """Serve the API (heads and bodies time out, connections capped); the runner and base URL."""
    return await http_server.serve(make_app(ctl, timeout), host, port, timeout=timeout,
                                   max_connections=max_connections)
