"""A technician's job on the machine (home, a door, present, audit, load, unload, re-slot)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.flows import Credential


class JobKind(StrEnum):
    """Every kind of technician job."""

    HOME = "home"
    DOOR = "door"
    PRESENT = "present"
    AUDIT = "audit"
    LOAD = "load"
    UNLOAD = "unload"
    RESLOT = "reslot"


class Interruption(StrEnum):
    """Who stopped a job before its end."""

    CARD = "card"  # a patron tapped a card or showed a code: served next
    RETURN = "return"  # a patron pressed the return button: served next
    TECHNICIAN = "technician"  # `kiosk stop`


@dataclass
class Job:
    """One job's flow: what to do, where it came from, how far it got, who waits for it."""

    kind: JobKind
    args: dict[str, Any]
    emit: Callable[[dict], None] = field(default=lambda progress: None)
    from_state: str = "ready"  # ready, closed or maintenance: where the machine goes back to
    interrupted: Interruption | None = None
    credential: Credential | None = None  # the card that interrupted it, served next
    result: dict[str, Any] = field(default_factory=dict)
    finished: asyncio.Future = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def interruptible(self) -> bool:
        """A job started while patrons may come gives way to the first one."""
        return self.from_state != "maintenance"

    @property
    def stopping(self) -> bool:
        """True once someone asked it to stop after the current move."""
        return self.interrupted is not None

    def interrupt(self, by: Interruption, credential: Credential | None = None) -> bool:
        """Ask the job to stop after its current move (the first interruption wins)."""
        if self.interrupted is None:
            self.interrupted, self.credential = by, credential
            return True
        return False

    def report(self, done: int, total: int | None, note: str | None = None, **extra: Any) -> None:
        """Tell the technician how far it got."""
        self.emit({"done": done, "total": total, "note": note, **extra})

    def finish(self, **outcome: Any) -> None:
        """Answer the technician: the result so far, how it ended."""
        if not self.finished.done():
            self.finished.set_result({**self.result, **outcome,
                                      "interrupted": self.interrupted.value
                                      if self.interrupted else None})

    def public(self) -> dict[str, Any]:
        """What the screens may know: the kind, where it came from, whether a patron waits."""
        return {"kind": self.kind.value, "from_state": self.from_state,
                "yielding": self.interrupted in (Interruption.CARD, Interruption.RETURN)}
