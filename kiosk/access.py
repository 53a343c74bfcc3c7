"""Who may change the machine: the socket's peer, the technician PIN, the technician log."""

from __future__ import annotations

import asyncio
import logging
import math
import pwd
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk import technician_pin
from kiosk.control_api import Caller, ControlError, ErrorCode, Handler
from kiosk.journal import TechnicianCommand, TechnicianOutcome

if TYPE_CHECKING:
    from kiosk.config import ControlConfig
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
MAX_LOCKOUT = 3600.0  # seconds: the longest lock-out, however many wrong PINs
LIST_KEPT = 20  # a list argument longer than this (or of rows) is counted, not copied
TEXT_KEPT = 200  # characters of a string argument kept in the log
OUTCOMES = {ErrorCode.REFUSED: TechnicianOutcome.REFUSED, ErrorCode.BUSY: TechnicianOutcome.BUSY,
            ErrorCode.DENIED: TechnicianOutcome.DENIED,
            ErrorCode.MALFORMED: TechnicianOutcome.REFUSED}
NO_HASH = ("no technician PIN is set, so commands that change the machine are refused: put "
           "`technician_pin_hash` (made by `kiosk pin-hash`) in the [control] section of {config}")
NO_PIN = ("`{request}` changes the machine: it needs the technician PIN (--pin-file FILE, "
          "$KIOSK_PIN, or typed at a terminal)")


def peer(sock: socket.socket | None) -> tuple[int | None, str]:
    """The uid and user name at the other end of a Unix socket (SO_PEERCRED)."""
    if sock is None:
        return None, "unknown"
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
    except OSError:
        return None, "unknown"
    try:
        return uid, pwd.getpwuid(uid).pw_name
    except KeyError:
        return uid, f"uid {uid}"


@dataclass
class _Record:
    wrong: int = 0  # wrong PINs in a row
    locked_until: float = 0.0


class PinGuard:
    """Wrong PINs per peer uid and the growing lock-outs they earn; kept in memory only, so a
    restart of the controller forgets them."""

    def __init__(self, tries: int, lockout: float, clock: Callable[[], float] = time.monotonic):
        self.tries = tries
        self.lockout = lockout
        self.clock = clock
        self._records: dict[int | None, _Record] = {}

    def locked_for(self, uid: int | None) -> float:
        """Seconds this user must still wait (0: may try)."""
        record = self._records.get(uid)
        return max(0.0, record.locked_until - self.clock()) if record else 0.0

    def wrong(self, uid: int | None) -> float:
        """Count a wrong PIN; the lock-out it starts in seconds (0: tries are left)."""
        record = self._records.setdefault(uid, _Record())
        record.wrong += 1
        beyond = record.wrong - self.tries
        if beyond < 0:
            return 0.0
        seconds = min(MAX_LOCKOUT, self.lockout * 2 ** min(beyond, 32))
        record.locked_until = self.clock() + seconds
        return seconds

    def tries_left(self, uid: int | None) -> int:
        """Wrong PINs this user may still give before a lock-out."""
        record = self._records.get(uid)
        return self.tries - (record.wrong if record else 0)

    def right(self, uid: int | None) -> None:
        """A right PIN: the count starts again."""
        self._records.pop(uid, None)


class TechnicianAccess:
    """The configured PIN hash and the wrong-PIN guard of one controller."""

    def __init__(self, config: "ControlConfig", config_path: object = "the config",
                 clock: Callable[[], float] = time.monotonic):
        stored = config.technician_pin_hash
        self.pin_hash = technician_pin.parse(stored) if stored else None
        self.guard = PinGuard(config.pin_tries, config.pin_lockout, clock)
        self.config_path = str(config_path)
        self.checking = asyncio.Lock()  # one PIN check at a time: a lock-out stops the next
        if self.pin_hash is None:
            log.warning(NO_HASH.format(config=self.config_path))


async def authorize(ctl: "Controller", request: str, caller: Caller) -> None:
    """Let a changing request through with the right technician PIN, or raise DENIED."""
    access: TechnicianAccess = ctl.technician_access
    if access.pin_hash is None:
        raise ControlError(NO_HASH.format(config=access.config_path), ErrorCode.DENIED)
    if not caller.pin:
        raise ControlError(NO_PIN.format(request=request.replace(".", " ")), ErrorCode.DENIED)
    async with access.checking:
        wait = access.guard.locked_for(caller.uid)
        if wait:
            raise ControlError(f"too many wrong technician PINs from {caller.user}: try again "
                               f"in {math.ceil(wait)} s", ErrorCode.DENIED)
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(None, access.pin_hash.matches, caller.pin):
            access.guard.right(caller.uid)
            return
        lockout = access.guard.wrong(caller.uid)
    log.warning("wrong technician PIN from %s (uid %s) for %s", caller.user, caller.uid, request)
    if lockout:
        raise ControlError(f"wrong technician PIN; too many from {caller.user}: try again in "
                           f"{math.ceil(lockout)} s", ErrorCode.DENIED)
    raise ControlError(f"wrong technician PIN ({access.guard.tries_left(caller.uid)} more "
                       "before a lock-out)", ErrorCode.DENIED)


async def run_changing(ctl: "Controller", request: str, args: dict, caller: Caller,
                       handler: Handler) -> Any:
    """Authorise a changing request, run it, and write it and its outcome to the technician log."""
    command = TechnicianCommand(caller.uid, caller.user, request, summarise(args))
    try:
        await authorize(ctl, request, caller)
    except ControlError as exc:
        await _log_denied(ctl, command, str(exc))
        raise
    try:
        entry = await ctl.query(lambda c: c.journal.log_technician_command(command))
    except Exception as exc:
        log.exception("cannot write the technician log")
        raise ControlError(f"not done: cannot write the technician log: {exc}") from None
    try:
        result = await handler(ctl, args, caller)
    except ControlError as exc:
        await _settle(ctl, entry, OUTCOMES[exc.code], str(exc))
        raise
    except Exception as exc:
        await _settle(ctl, entry, TechnicianOutcome.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    await _settle(ctl, entry, TechnicianOutcome.DONE, None)
    return result


async def _log_denied(ctl: "Controller", command: TechnicianCommand, why: str) -> None:
    try:
        await ctl.query(lambda c: c.journal.log_technician_command(
            command, TechnicianOutcome.DENIED, why))
    except Exception:
        log.exception("cannot write a denied command to the technician log")


async def _settle(ctl: "Controller", entry: int, outcome: TechnicianOutcome,
                  detail: str | None) -> None:
    try:
        await ctl.query(lambda c: c.journal.settle_technician_command(entry, outcome, detail))
    except Exception:  # the command has happened: its answer must still reach the technician
        log.exception("cannot write the outcome of technician log entry %s", entry)


def _secret(key: str) -> bool:
    return key.lower() in ("pin", "pin_hash") or key.lower().endswith("_pin")


def summarise(value: Any) -> Any:
    """Arguments as the log keeps them: no PIN, lists of rows counted, long text cut."""
    if isinstance(value, dict):
        return {key: summarise(item) for key, item in value.items()
                if not _secret(str(key))}
    if isinstance(value, list):
        if len(value) > LIST_KEPT or any(isinstance(item, (dict, list)) for item in value):
            return f"[{len(value)} rows]"
        return [summarise(item) for item in value]
    if isinstance(value, str) and len(value) > TEXT_KEPT:
        return value[:TEXT_KEPT] + "…"
    return value
