"""What a control-socket request handler gets and may raise: its caller, its spec, its errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kiosk.controller import Controller


class ErrorCode(StrEnum):
    """Why a request failed; the CLI turns each into its own exit code."""

    REFUSED = "refused"  # cannot be done (bad arguments, the journal says no, the job failed)
    BUSY = "busy"  # not now: a patron is using the machine, or its state does not allow it
    DENIED = "denied"  # no technician PIN, a wrong one, or too many wrong ones
    MALFORMED = "malformed"  # not a request this socket knows


class ControlError(Exception):
    """A technician request that cannot be done (its message goes back to the CLI)."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.REFUSED):
        super().__init__(message)
        self.code = code


@dataclass
class Caller:
    """Who sent a request (from the socket's peer credentials) and how to tell them progress."""

    uid: int | None = None
    user: str = "unknown"
    pin: str | None = None  # the technician PIN the request carried, if any
    emit: Callable[[dict], None] = field(default=lambda progress: None)


Handler = Callable[["Controller", dict, Caller], Awaitable[Any]]


@dataclass(frozen=True)
class RequestSpec:
    """One control request: its handler and whether it changes the machine (PIN, audit log)."""

    handler: Handler
    changes: bool = False


D = TypeVar("D", date, datetime)
YEARS = (1900, 2999)  # dates a technician may name: the journal's sums and zones stay in range


def in_years(moment: D, what: str) -> D:
    """`moment` (a date or a time) if its year is in YEARS, else ControlError."""
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise ControlError(f"{what} {moment.isoformat()} is not in the years "
                           f"{YEARS[0]}..{YEARS[1]}")
    return moment
