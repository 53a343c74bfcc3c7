"""The technician's control socket: one JSON request per line, one JSON answer per line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.journal import AuditCleared, ItemStocked, JournalError, Place
from kiosk.machine import KioskState
from kiosk.steps import Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
MAX_LINE = 4 * 1024 * 1024  # a loading list of a thousand books fits
SOCKET_MODE = 0o660  # the kiosk user and the technicians' group only


class ControlError(Exception):
    """A technician request that cannot be done (its message goes back to the CLI)."""


async def status(ctl: "Controller", args: dict) -> dict:
    """State, fault, sync backlog, open audit flags, stock counts."""
    journal = ctl.journal
    flags = journal.open_flags()
    return {**ctl.snapshot(), "open_flags": len(flags),
            "open_intents": len(journal.open_intents()),
            "items_in_slots": len(journal.items(Place.SLOT)),
            "free_slots": len(journal.free_slots()),
            "on_loan": len(journal.open_loans()),
            "sync": _sync_status(ctl)}


async def stock(ctl: "Controller", args: dict) -> dict:
    """Record books loaded into the machine (a loading list), all or none."""
    items = args.get("items")
    if not isinstance(items, list) or not items:
        raise ControlError("'items' must be a non-empty list")
    try:
        payloads = [ItemStocked(item_id=str(i["item_id"]), uid=str(i["uid"]).upper(),
                                title=str(i["title"]), slot=int(i["slot"]),
                                authors=i.get("authors") or None) for i in items]
        ctl.journal.append_many(payloads)
    except (KeyError, TypeError, ValueError, JournalError) as exc:
        raise ControlError(f"loading list refused, nothing recorded: {exc}") from None
    ctl.publish()
    return {"stocked": len(payloads)}


async def flags(ctl: "Controller", args: dict) -> list[dict]:
    """Open audit flags."""
    return [{"flag_id": f.flag_id, "reason": f.reason.value, "item_id": f.item_id, "slot": f.slot,
             "place": f.place.value if f.place else None, "raised_at": f.raised_at.isoformat()}
            for f in ctl.journal.open_flags()]


async def clear_flag(ctl: "Controller", args: dict) -> dict:
    """Clear an audit flag after checking by hand."""
    try:
        ctl.journal.append(AuditCleared(flag_id=str(args["flag_id"]), cleared_by=str(args["by"])))
    except (KeyError, JournalError) as exc:
        raise ControlError(f"cannot clear: {exc}") from None
    return {}


async def reset(ctl: "Controller", args: dict) -> dict:
    """After a fault is fixed: reset the PLC, home, reconcile, back in service."""
    if ctl.state is not KioskState.OUT_OF_SERVICE:
        raise ControlError(f"not out of service (state {ctl.state.value})")
    ctl.post(Step("reset"))
    return {}


async def maintenance(ctl: "Controller", args: dict) -> dict:
    """Take the machine out of patrons' hands (on) or give it back after homing (off)."""
    ctl.post(Step("maintenance_started" if args.get("on", True) else "maintenance_ended"))
    return {}


async def sync_now(ctl: "Controller", args: dict) -> dict:
    """Deliver pending events now."""
    ctl.kick_sync()
    return _sync_status(ctl)


REQUESTS: dict[str, Callable[["Controller", dict], Awaitable[Any]]] = {
    "status": status, "stock": stock, "flags": flags, "clear-flag": clear_flag,
    "reset": reset, "maintenance": maintenance, "sync": sync_now,
}


def _sync_status(ctl: "Controller") -> dict:
    s = ctl.sync.status
    return {key: (value.value if hasattr(value, "value") else value)
            for key, value in vars(s).items() if not key.startswith("_")} if s else {}


async def serve(ctl: "Controller", path: Path) -> asyncio.AbstractServer:
    """Listen on the Unix socket at `path` (replacing a stale one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(lambda r, w: _client(ctl, r, w), path=str(path),
                                             limit=MAX_LINE)
    os.chmod(path, SOCKET_MODE)
    return server


async def _client(ctl: "Controller", reader: asyncio.StreamReader,
                  writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            writer.write((json.dumps(await _answer(ctl, line), default=str) + "\n").encode())
            await writer.drain()
    except (ConnectionError, ValueError) as exc:
        log.warning("control client dropped: %s", exc)
    finally:
        writer.close()


async def _answer(ctl: "Controller", line: bytes) -> dict:
    try:
        message = json.loads(line)
        name, args = message["request"], message.get("args", {})
        handler = REQUESTS[name]
    except (ValueError, KeyError, TypeError):
        return {"ok": False, "error": f"unknown or malformed request; known: {sorted(REQUESTS)}"}
    try:
        return {"ok": True, "result": await ctl.request(handler, args)}
    except ControlError as exc:
        return {"ok": False, "error": str(exc)}


def ask(path: Path, request: str, args: dict | None = None, timeout: float = 30.0) -> dict:
    """Send one request to a running controller (blocking; for the CLI and tests)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall((json.dumps({"request": request, "args": args or {}}) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)

