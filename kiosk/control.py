"""The technician's control socket: one JSON request per line, one JSON answer per line."""

from __future__ import annotations

import asyncio
import grp
import json
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import (
    access,
    control_access,
    control_alerts,
    control_jobs,
    control_records,
    control_usage,
    text_input,
)
from kiosk.control_api import Caller, ControlError, ErrorCode, RequestSpec
from kiosk.journal import AuditCleared, ItemStocked, JournalError, Place
from kiosk.journal.events import SUBJECT_MAX, YEAR_RANGE
from kiosk.steps import Event, Refused, Reply

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
MAX_LINE = 4 * 1024 * 1024  # a loading list of a thousand books fits
SOCKET_MODE = 0o660  # the kiosk user and the technicians' group only


async def status(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """State, fault, sync backlog, open audit flags, stock counts, the screen's address."""
    return await ctl.query(_status)


def _status(ctl: "Controller") -> dict:
    journal = ctl.journal
    return {**ctl.snapshot(), "open_flags": len(journal.open_flags()),
            "open_intents": len(journal.open_intents()),
            "items_in_slots": len(journal.items(Place.SLOT)),
            "free_slots": len(journal.free_slots()),
            "on_loan": len(journal.open_loans()),
            "overflow_bin": len(journal.items(Place.BIN)),
            "ui_url": ctl.ui_url,
            "plc": _plc(ctl), "readers": ctl.health.public(),
            "sync": _sync_status(ctl)}


def _plc(ctl: "Controller") -> dict:
    """The PLC's last status as the poller read it: state, fault, position, doors, bin, cycles."""
    status = ctl.mech.last_status if ctl.mech is not None else None
    if status is None:
        return {"state": None}
    sensors = status.sensors
    return {"state": status.state.name.lower(),
            "fault": status.fault.name.lower() if status.fault else None,
            "level": status.level, "position": status.position, "cycles": status.cycles,
            "boot_id": status.boot_id, "pickup_door_closed": sensors.pickup_door_closed,
            "return_shutter_closed": sensors.return_shutter_closed,
            "service_door_closed": sensors.service_door_closed,
            "estop_released": sensors.estop_released,
            "pickup_item_present": sensors.pickup_item_present,
            "overflow_bin_full": sensors.overflow_bin_full}


async def stock(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Record books loaded into the machine (a loading list), all or none."""
    items = args.get("items")
    if not isinstance(items, list) or not items:
        raise ControlError("'items' must be a non-empty list")
    try:
        payloads = [_stocked(number, entry) for number, entry in enumerate(items, 1)]
    except (KeyError, TypeError, ValueError) as exc:
        raise ControlError(f"loading list refused, nothing recorded: {exc}") from None
    return await _command(ctl, "stock", Event.STOCK, {"payloads": payloads}, _record_stock)


def _record_stock(ctl: "Controller", payload: dict) -> Reply:
    try:
        ctl.journal.append_many(payload["payloads"])
    except JournalError as exc:
        raise ControlError(f"loading list refused, nothing recorded: {exc}") from None
    return Reply({"stocked": len(payload["payloads"])})


def _stocked(number: int, entry: object) -> ItemStocked:
    """One loading-list row, checked: text fields present, a hex UID, a slot number, the facts."""
    if not isinstance(entry, dict):
        raise ValueError(f"row {number} is not an object")
    text = {key: str(entry.get(key) or "").strip() for key in ("item_id", "uid", "title", "slot")}
    missing = [key for key, value in text.items() if not value]
    if missing:
        raise ValueError(f"row {number}: missing {', '.join(missing)}")
    authors = str(entry.get("authors") or "").strip() or None
    try:
        text_input.ITEM_ID.check(text["item_id"])
        text_input.TITLE.check(text["title"])
        if authors is not None:
            text_input.TITLE.check(authors)
    except text_input.InvalidText as exc:
        raise ValueError(f"row {number}: {exc}") from None
    uid = text["uid"].upper()
    if len(uid) != 16 or any(c not in "0123456789ABCDEF" for c in uid):
        raise ValueError(f"row {number}: uid {text['uid']!r} is not 8 bytes of hex")
    if not text["slot"].isdecimal():
        raise ValueError(f"row {number}: slot {text['slot']!r} is not a whole number")
    return ItemStocked(item_id=text["item_id"], uid=uid, title=text["title"],
                       slot=int(text["slot"]), authors=authors, **_facts(number, entry))


def _facts(number: int, entry: dict) -> dict[str, Any]:
    """A row's optional catalogue facts, checked: year, subject and popularity (empty: None)."""
    year, subject, popularity = (
        "" if entry.get(key) is None else str(entry[key]).strip()
        for key in ("year", "subject", "popularity"))
    low, high = YEAR_RANGE
    if year and not (year.removeprefix("-").isdecimal() and low <= int(year) <= high):
        raise ValueError(f"row {number}: year {year!r} is not a whole number in {low}..{high}")
    if subject and not (len(subject) <= SUBJECT_MAX and subject.isprintable()):
        raise ValueError(f"row {number}: subject {subject!r} is not 1..{SUBJECT_MAX} "
                         "printable characters")
    weight = _fraction(popularity)
    if popularity and weight is None:
        raise ValueError(f"row {number}: popularity {popularity!r} is not a number in 0..1")
    return {"year": int(year) if year else None, "subject": subject or None,
            "popularity": weight}


def _fraction(text: str) -> float | None:
    """The number 0..1 that `text` is, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


async def flags(ctl: "Controller", args: dict, caller: Caller) -> list[dict]:
    """Open audit flags."""
    return await ctl.query(_flags)


def _flags(ctl: "Controller") -> list[dict]:
    return [{"flag_id": f.flag_id, "reason": f.reason.value, "item_id": f.item_id, "slot": f.slot,
             "place": f.place.value if f.place else None, "raised_at": f.raised_at.isoformat()}
            for f in ctl.journal.open_flags()]


async def clear_flag(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Clear an audit flag after checking by hand."""
    try:
        by = text_input.TECHNICIAN.check(args.get("by"))
        cleared = AuditCleared(flag_id=str(args["flag_id"]), cleared_by=by)
    except (KeyError, text_input.InvalidText) as exc:
        raise ControlError(f"cannot clear: {exc}") from None
    return await ctl.query(_clear, cleared)


def _clear(ctl: "Controller", cleared: AuditCleared) -> dict:
    try:
        ctl.journal.append(cleared)
    except JournalError as exc:
        raise ControlError(f"cannot clear: {exc}") from None
    return {}


async def reset(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """After a fault is fixed: reset the PLC, home, reconcile, back in service."""
    return await _command(ctl, "reset", Event.RESET)


async def maintenance(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Take the machine out of patrons' hands (on) or give it back after homing (off)."""
    on = args.get("on", True)
    event = Event.MAINTENANCE_STARTED if on else Event.MAINTENANCE_ENDED
    return await _command(ctl, f"turn maintenance {'on' if on else 'off'}", event)


async def sync_now(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """Deliver pending events now."""
    return await ctl.query(_kick_sync)


def _kick_sync(ctl: "Controller") -> dict:
    ctl.kick_sync()
    return _sync_status(ctl)


async def _command(ctl: "Controller", what: str, event: Event, payload: dict | None = None,
                   handler: Callable[["Controller", dict], Reply] | None = None) -> Any:
    """Send a changing command's event; the table refuses it in a state it does not fit."""
    try:
        return await ctl.request(event, payload or {}, handler)
    except Refused:
        raise ControlError(f"cannot {what} now: the machine is {ctl.state.value}",
                           ErrorCode.BUSY) from None


async def faults(ctl: "Controller", args: dict, caller: Caller) -> dict:
    """The current fault and the ones before it (newest first, since the controller started)."""
    return await ctl.query(lambda c: {"current": c.fault, "history": list(c.fault_history)})


CORE_REQUESTS: dict[str, RequestSpec] = {
    "status": RequestSpec(status), "faults": RequestSpec(faults), "flags": RequestSpec(flags),
    "stock": RequestSpec(stock, changes=True), "clear-flag": RequestSpec(clear_flag, changes=True),
    "reset": RequestSpec(reset, changes=True), "maintenance": RequestSpec(maintenance, changes=True),
    "sync.now": RequestSpec(sync_now, changes=True),
}
REQUESTS: dict[str, RequestSpec] = {**CORE_REQUESTS, **control_jobs.REQUESTS,
                                    **control_records.REQUESTS, **control_usage.REQUESTS,
                                    **control_alerts.REQUESTS, **control_access.REQUESTS}


def _sync_status(ctl: "Controller") -> dict:
    s = ctl.sync.status
    return {key: (value.value if hasattr(value, "value") else value)
            for key, value in vars(s).items() if not key.startswith("_")} if s else {}


async def serve(ctl: "Controller", path: Path, group: str | None = None
                ) -> asyncio.AbstractServer:
    """Listen on the Unix socket at `path` (replacing a stale one), mode 0660, of `group`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(lambda r, w: _client(ctl, r, w), path=str(path),
                                             limit=MAX_LINE)
    os.chmod(path, SOCKET_MODE)
    if group is not None:
        _give_group(path, group)
    return server


def _give_group(path: Path, group: str) -> None:
    """The socket to `group`; a machine without that group (tests, the demo) keeps the
    process's group, and says so."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        log.warning("control socket %s: group %r does not exist here; it keeps group %s",
                    path, group, _group_name(os.getgid()))
        return
    try:
        os.chown(path, -1, gid)
    except OSError as exc:
        log.error("control socket %s: cannot give it to group %r (%s); only group %s may "
                  "use it", path, group, exc.strerror, _group_name(os.stat(path).st_gid))


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


async def _client(ctl: "Controller", reader: asyncio.StreamReader,
                  writer: asyncio.StreamWriter) -> None:
    def emit(progress: dict) -> None:
        if not writer.is_closing():
            writer.write((json.dumps({"progress": progress}, default=str) + "\n").encode())

    uid, user = access.peer(writer.get_extra_info("socket"))
    try:
        while line := await reader.readline():
            caller = Caller(uid=uid, user=user, emit=emit)
            writer.write((json.dumps(await _answer(ctl, line, caller), default=str)
                          + "\n").encode())
            await writer.drain()
    except (ConnectionError, ValueError) as exc:
        log.warning("control client dropped: %s", exc)
    finally:
        writer.close()


async def _answer(ctl: "Controller", line: bytes, caller: Caller) -> dict:
    try:
        message = json.loads(line)
        name, args = message["request"], message.get("args", {})
        spec = REQUESTS[name]
        if not isinstance(args, dict):
            raise TypeError("args must be an object")
        pin = message.get("pin")
        if pin is not None and not isinstance(pin, str):
            raise TypeError("pin must be a string")
    except (ValueError, KeyError, TypeError, RecursionError):
        return _error(ErrorCode.MALFORMED,
                      f"unknown or malformed request; known: {sorted(REQUESTS)}")
    try:
        text_input.check_tree(args)
    except text_input.InvalidText as exc:
        return _error(ErrorCode.MALFORMED, f"malformed request: {exc}")
    caller.pin = pin
    try:
        if spec.changes:  # the PIN, then the technician log with the outcome
            return {"ok": True,
                    "result": await access.run_changing(ctl, name, args, caller, spec.handler)}
        return {"ok": True, "result": await spec.handler(ctl, args, caller)}
    except ControlError as exc:
        return _error(exc.code, str(exc))
    except Exception as exc:  # the technician gets an answer; the controller goes on
        log.exception("control request %s failed", name)
        return _error(ErrorCode.REFUSED, f"{type(exc).__name__}: {exc}")


def _error(code: ErrorCode, message: str) -> dict:
    return {"ok": False, "code": code.value, "error": message}


def ask(path: Path, request: str, args: dict | None = None, timeout: float = 30.0, *,
        pin: str | None = None, on_progress: Callable[[dict], None] | None = None) -> dict:
    """Send one request to a running controller and return its answer (blocking; for the CLI
    and tests); progress lines before it go to `on_progress`. `timeout` is the longest silence."""
    message: dict[str, Any] = {"request": request, "args": args or {}}
    if pin is not None:
        message["pin"] = pin
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall((json.dumps(message) + "\n").encode())
        with sock.makefile("rb") as lines:
            for line in lines:
                answer = json.loads(line)
                if "progress" not in answer:
                    return answer
                if on_progress is not None:
                    on_progress(answer["progress"])
    raise ConnectionError("the controller closed the connection without an answer")

