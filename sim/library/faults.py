"""Fault injection for the kiosk-facing transports: errors, latency, drops, resets, garbage,
duplicate, late and slow answers."""

from __future__ import annotations

import socket
import struct
from asyncio import BaseTransport
from dataclasses import asdict, dataclass
from typing import Any

from sim.library.validate import BadRequest, number, text

TRANSPORTS = ("http", "sip2")
# Both transports: reset (RST before the request is applied), reset_after (applied, then RST),
# duplicate (answered, and the same answer again for the next request: HTTP in place of it,
# SIP2 ahead of its own), reorder (applied, its answer withheld and given to the next request
# instead of that one's own), slow (applied at once, answered `seconds` later).
COMMON = ("latency", "drop", "drop_after", "garbage", "nonsense",
          "reset", "reset_after", "duplicate", "reorder", "slow")
KINDS = {
    "http": ("status", *COMMON),
    "sip2": (*COMMON, "bad_checksum"),
}


@dataclass
class Fault:
    """One injected fault: what, how many more requests (None: until cleared), parameters."""

    kind: str
    remaining: int | None = None
    status: int = 503
    seconds: float = 1.0
    hits: int = 0
    message: str | None = None  # SIP2: only requests with this code (e.g. "11")


class Faults:
    """The active fault of each transport; every affected request takes one."""

    def __init__(self) -> None:
        self._active: dict[str, Fault] = {}
        self._held: dict[str, Any] = {}  # an answer owed to the next request, by transport

    def inject(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Set the fault of a transport from an admin spec; returns the new state."""
        transport = text(spec, "transport")
        if transport not in TRANSPORTS:
            raise BadRequest(f"transport must be one of {TRANSPORTS}")
        kind = text(spec, "kind")
        if kind not in KINDS[transport]:
            raise BadRequest(f"kind must be one of {KINDS[transport]}")
        count = spec.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise BadRequest("count must be a positive integer or null")
        status = int(number(spec, "status", default=503, low=500, high=599))
        seconds = number(spec, "seconds", default=1.0, low=0.0, high=60.0)
        message = spec.get("message")
        if message is not None and (not isinstance(message, str) or len(message) != 2
                                    or not message.isdigit()):
            raise BadRequest("message must be a two-digit SIP2 request code or null")
        self._active[transport] = Fault(kind, count, status, seconds, message=message)
        return self.describe()

    def clear(self) -> None:
        """Remove every fault, and any answer held back for a later request."""
        self._active.clear()
        self._held.clear()

    def take(self, transport: str, kind: str | None = None,
             message: str | None = None) -> Fault | None:
        """The fault to apply to one request of `transport` (of `kind`, if given), counted."""
        fault = self._active.get(transport)
        if fault is None or kind not in (None, fault.kind):
            return None
        if fault.message is not None and message not in (None, fault.message):
            return None
        fault.hits += 1
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._active[transport]
        return fault

    def hold(self, transport: str, answer: Any) -> None:
        """Keep an answer to give the next request of `transport` instead of its own."""
        self._held[transport] = answer

    def held(self, transport: str) -> Any | None:
        """The answer held for this request (taken: it goes out once), or None."""
        return self._held.pop(transport, None)

    def describe(self) -> dict[str, Any]:
        """The active faults, by transport."""
        return {transport: asdict(fault) for transport, fault in self._active.items()}


def reset(transport: BaseTransport | None) -> None:
    """Close a TCP connection with a reset (RST), not an orderly close (FIN)."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


GARBAGE = b"\x00\xff<html>502 Bad Gateway</html>\x07"
