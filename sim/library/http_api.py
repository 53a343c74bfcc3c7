"""The kiosk-facing HTTP/JSON API (docs/library-api.yaml), with auth and fault injection."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sim.library import circulation, events, holds, items, patrons
from sim.library.core import Library, Result
from sim.library.faults import GARBAGE, Fault, Faults, reset
from sim.library.validate import (
    BadRequest,
    flag,
    json_object,
    moment,
    only,
    path_text,
    text,
    uuid_text,
)

PREFIX = "/api/v1/machines/{machine_id}"
MAX_EVENTS = 1000
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
NOT_FOUND_REASONS = ("unknown_patron", "unknown_item")
HOLD_LISTS = ("ready", "all")  # GET /holds?state=


class KioskApi:
    """Route handlers of the kiosk-facing API over one Library."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib

    def routes(self) -> list[web.RouteDef]:
        """The API's routes."""
        return [
            web.get(PREFIX, self.info),
            web.post(PREFIX + "/patrons/lookup", self.lookup),
            web.get(PREFIX + "/patrons/{member_number}/status", self.status),
            web.post(PREFIX + "/patrons/{member_number}/block", self.block),
            web.get(PREFIX + "/items/{item_id}", self.item),
            web.get(PREFIX + "/catalogue", self.catalogue),
            web.get(PREFIX + "/holds", self.pickup_holds),
            web.post(PREFIX + "/checkouts", self.checkout),
            web.post(PREFIX + "/checkins", self.checkin),
            web.post(PREFIX + "/renewals", self.renew),
            web.post(PREFIX + "/holds", self.place_hold),
            web.post(PREFIX + "/holds/cancel", self.cancel_hold),
            web.post(PREFIX + "/events", self.events),
        ]

    def _machine(self, request: web.Request) -> str:
        machine_id = request.match_info["machine_id"]
        self.lib.machine_library(machine_id)
        holds.expire(self.lib, self.lib.now())
        return machine_id

    async def info(self, request: web.Request) -> web.Response:
        machine_id = self._machine(request)
        isil = self.lib.machine_library(machine_id)
        return web.json_response({"library": isil, "name": self.lib.library_name(isil),
                                  "machine_id": machine_id, "now": self.lib.iso(self.lib.now())})

    async def lookup(self, request: web.Request) -> web.Response:
        self._machine(request)
        body = json_object(await request.read())
        only(body, ("card_uid", "member_number", "pin"))
        card, member = text(body, "card_uid", required=False), text(
            body, "member_number", required=False)
        if (card is None) == (member is None):
            raise BadRequest("give exactly one of card_uid and member_number")
        pin = text(body, "pin", required=False, max_len=32)
        return web.json_response(patrons.lookup(self.lib, card_uid=card, member_number=member,
                                                pin=pin))

    async def status(self, request: web.Request) -> web.Response:
        machine_id = self._machine(request)
        member = path_text(request.match_info["member_number"], "member_number")
        return web.json_response(patrons.status(self.lib, machine_id, member))

    async def block(self, request: web.Request) -> web.Response:
        self._machine(request)
        member = path_text(request.match_info["member_number"], "member_number")
        body = json_object(await request.read())
        only(body, ("reason", "card_retained"))
        note = patrons.block_note(text(body, "reason", required=False), flag(body, "card_retained"))
        row = patrons.block(self.lib, member, note)
        return web.json_response({"patron": patrons.patron_json(row), "blocked": True})

    async def item(self, request: web.Request) -> web.Response:
        self._machine(request)
        item_id = path_text(request.match_info["item_id"], "item_id")
        return web.json_response(_public_item(items.info(self.lib, item_id)))

    async def catalogue(self, request: web.Request) -> web.Response:
        machine_id = self._machine(request)
        rows = items.catalogue(self.lib, machine_id)
        return web.json_response({"items": [_public_item(row) for row in rows]})

    async def pickup_holds(self, request: web.Request) -> web.Response:
        """Ready holds (state=ready, the default), or the first in line per copy (state=all)."""
        machine_id = self._machine(request)
        state = request.query.get("state", "ready")
        if state not in HOLD_LISTS:
            raise BadRequest(f"state must be one of {HOLD_LISTS}")
        listed = (holds.ready_at_machine if state == "ready" else holds.first_in_line)(
            self.lib, machine_id)
        return web.json_response({"holds": listed})

    async def checkout(self, request: web.Request) -> web.Response:
        machine_id, body, tx, at, no_block = await self._transaction(request)
        result = circulation.checkout(self.lib, tx, machine_id, text(body, "patron"),
                                      text(body, "item_id"), at, no_block)
        return _transaction_response(tx, result)

    async def checkin(self, request: web.Request) -> web.Response:
        machine_id, body, tx, at, no_block = await self._transaction(request)
        result = circulation.checkin(self.lib, tx, machine_id, text(body, "item_id"), at,
                                     no_block)
        return _transaction_response(tx, result)

    async def renew(self, request: web.Request) -> web.Response:
        machine_id, body, tx, at, no_block = await self._transaction(request)
        result = circulation.renew(self.lib, tx, machine_id, text(body, "patron"),
                                   text(body, "item_id"), at, no_block)
        return _transaction_response(tx, result)

    async def place_hold(self, request: web.Request) -> web.Response:
        machine_id, body, tx, at, _ = await self._transaction(request)
        result = circulation.place_hold(self.lib, tx, machine_id, text(body, "patron"),
                                        text(body, "item_id"), at)
        return _transaction_response(tx, result)

    async def cancel_hold(self, request: web.Request) -> web.Response:
        machine_id, body, tx, at, _ = await self._transaction(request)
        result = circulation.cancel_hold(self.lib, tx, machine_id, text(body, "patron"),
                                         text(body, "item_id"), at)
        return _transaction_response(tx, result)

    async def _transaction(self, request: web.Request):
        machine_id = self._machine(request)
        body = json_object(await request.read())
        tx = uuid_text(body, "transaction_id")
        no_block = flag(body, "no_block")
        at = events.at_or_now(self.lib, moment(body, "occurred_at"), no_block)
        return machine_id, body, tx, at, no_block

    async def events(self, request: web.Request) -> web.Response:
        self._machine(request)
        body = json_object(await request.read())
        batch = body.get("events")
        if not isinstance(batch, list) or len(batch) > MAX_EVENTS:
            raise BadRequest(f"events must be a list of at most {MAX_EVENTS} events")
        parsed = [_event(e) for e in batch]
        return web.json_response({"results": events.apply_batch(self.lib, parsed)})


def _event(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadRequest("each event must be an object")
    kind = text(raw, "kind")
    if kind not in events.KINDS:
        raise BadRequest(f"event kind must be one of {events.KINDS}")
    return {"id": uuid_text(raw, "id"), "kind": kind,
            "occurred_at": moment(raw, "occurred_at", required=True),
            "item_id": text(raw, "item_id"), "machine_id": text(raw, "machine_id"),
            "patron": text(raw, "patron", required=kind in events.NEEDS_PATRON),
            "offline": flag(raw, "offline")}


def _public_item(row: Result) -> Result:
    return {k: v for k, v in row.items() if k != "hold_patron"}


def _transaction_response(tx: str, result: Result) -> web.Response:
    return web.json_response({"transaction_id": tx, **result})


def error_middleware() -> Callable:
    """Refusals, bad requests and unknown machines as JSON answers of the documented codes."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await answered(request, handler)
    return middleware


async def answered(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's answer, a refusal or bad request turned into its JSON answer."""
    from sim.library.rules import Refused

    try:
        return await handler(request)
    except Refused as refusal:
        if refusal.reason == "unknown_machine":
            return web.json_response({"error": "unknown machine"}, status=403)
        code = 404 if refusal.reason in NOT_FOUND_REASONS else 409
        return web.json_response({"refused": refusal.reason, "detail": refusal.detail},
                                 status=code)
    except BadRequest as exc:
        return web.json_response({"error": str(exc)}, status=400)


def auth_middleware(token: str) -> Callable:
    """Every /api/ request carries `Authorization: Bearer <token>`."""
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)
    return middleware


def fault_middleware(faults: Faults) -> Callable:
    """Apply the injected HTTP fault to kiosk-facing requests (never to /admin/)."""
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        fault = faults.take("http")
        if fault is not None and fault.kind in BEFORE:
            return await _fault_before(request, fault)
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.seconds)
        response = await _answer_or_held(request, handler, faults)
        return response if fault is None else await _fault_after(request, fault, faults,
                                                                 response)
    return middleware


async def _answer_or_held(request: web.Request, handler: Handler,
                          faults: Faults) -> web.StreamResponse:
    """This request's answer; or an answer held back from an earlier request instead: after
    `duplicate` a cache's (this request never reaches the library), after `reorder` the
    earlier request's late answer (this one is applied, its own answer lost)."""
    held = faults.held("http")
    if held is None:
        return await answered(request, handler)
    response, forward = held
    if forward:
        await answered(request, handler)
    return _copy(response)


BEFORE = ("status", "garbage", "nonsense", "drop", "reset")  # the request is not applied


async def _fault_before(request: web.Request, fault: Fault) -> web.StreamResponse:
    if fault.kind == "status":
        return web.json_response({"error": "injected fault"}, status=fault.status)
    if fault.kind == "garbage":
        return web.Response(body=GARBAGE, content_type="application/json")
    if fault.kind == "nonsense":
        return web.json_response({"patron": 42, "loans": "many", "due_at": "soon"})
    return _drop(request, fault.kind == "reset")


async def _fault_after(request: web.Request, fault: Fault, faults: Faults,
                       response: web.StreamResponse) -> web.StreamResponse:
    """The answer of an applied request, as the fault delivers it (or not)."""
    if fault.kind == "latency":
        return response
    if fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
        return response
    if fault.kind == "duplicate":
        faults.hold("http", (_copy(response), False))
        return response
    if fault.kind == "reorder":
        faults.hold("http", (_copy(response), True))
        await asyncio.sleep(fault.seconds)  # no answer: the client gives up first
    return _drop(request, fault.kind == "reset_after")


def _copy(response: web.StreamResponse) -> web.Response:
    """A fresh response with the same status, type and body (a response goes out once)."""
    body = response.body if isinstance(response, web.Response) else None
    return web.Response(body=body if isinstance(body, bytes) else b"", status=response.status,
                        content_type=response.content_type)


def _drop(request: web.Request, rst: bool = False) -> web.StreamResponse:
    """Close the connection without an answer (rst: with a reset, not an orderly close)."""
    if rst:
        reset(request.transport)
    elif request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError
