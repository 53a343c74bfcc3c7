"""The simulator panel: its page, its files, and GET /world/events (server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from aiohttp import web

PANEL_DIR = Path(__file__).resolve().parent / "panel"
# How often the PLC, the card and armed faults are looked at; the world's changes wake at once.
CHECK_SECONDS = 0.25
GAP_SECONDS = 0.05  # at most one event per gap: one motion's burst of changes is one event
KEEPALIVE_SECONDS = 15.0
VOLATILE_PLC = ("heartbeat", "requests")  # change all the time; not a change worth an event
CLOSING: web.AppKey = web.AppKey("panel_closing", asyncio.Event)


def add_routes(app: web.Application, sim_key: web.AppKey) -> None:
    """GET /panel, the panel's files under /panel/, and GET /world/events."""
    async def events(request: web.Request) -> web.StreamResponse:
        return await world_events(request, request.app[sim_key])

    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/panel", panel_page)
    app.router.add_static("/panel/", PANEL_DIR)
    app.router.add_get("/world/events", events)


async def panel_page(request: web.Request) -> web.FileResponse:
    """GET /panel: the panel's page."""
    return web.FileResponse(PANEL_DIR / "panel.html",
                            headers={"Content-Type": "text/html; charset=utf-8"})


async def _close_streams(app: web.Application) -> None:
    """The server is stopping: every event stream ends within CHECK_SECONDS."""
    app[CLOSING].set()


async def world_events(request: web.Request, sim: Any) -> web.StreamResponse:
    """GET /world/events: GET /world's answer now and after every change."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    changed = asyncio.Event()
    sim.world.subscribe(changed.set)
    try:
        await _stream(request, response, sim, changed)
    except ConnectionError:
        pass  # the page went away
    finally:
        sim.world.unsubscribe(changed.set)
    return response


async def _stream(request: web.Request, response: web.StreamResponse, sim: Any,
                  changed: asyncio.Event) -> None:
    """Send the state whenever its signature changes; a comment now and then keeps it open."""
    loop = asyncio.get_running_loop()
    sent, last_write = None, loop.time()
    while not request.app[CLOSING].is_set() and not gone(request):
        changed.clear()
        signature = _signature(sim)
        if signature != sent:
            data = json.dumps(sim.world_state())
            await response.write(f"event: world\ndata: {data}\n\n".encode())
            sent, last_write = signature, loop.time()
            await asyncio.sleep(GAP_SECONDS)
        elif loop.time() - last_write > KEEPALIVE_SECONDS:
            await response.write(b": keep-alive\n\n")
            last_write = loop.time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), CHECK_SECONDS)


def _signature(sim: Any) -> str:
    """What an event would show, cheaply: the world's change counter, the PLC, card and faults."""
    plc = sim.plc.snapshot()
    for name in VOLATILE_PLC:
        plc.pop(name, None)
    return json.dumps([sim.world.version, plc, sim.device_state()], sort_keys=True)


def gone(request: web.Request) -> bool:
    """Whether the page closed the connection."""
    return request.transport is None or request.transport.is_closing()
