"""The state of each flow, one typed object each, created by the event that starts the flow."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from drivers.carousel import CommandRecord
from kiosk.session import Session

if TYPE_CHECKING:
    from kiosk.job import Job


class CredentialKind(StrEnum):
    """How a patron identified: a membership card's UID or a member number (app QR, barcode)."""

    CARD = "card"
    MEMBER = "member"


@dataclass(frozen=True)
class Credential:
    """What the patron presented."""

    kind: CredentialKind
    value: str

    @property
    def by_card(self) -> bool:
        """True for a membership card."""
        return self.kind is CredentialKind.CARD


@dataclass
class PinWait:
    """A credential waiting for its PIN; `pin` is the one being checked."""

    credential: Credential
    tries: int = 0
    pin: str | None = None
    voice: bool = False  # voice mode: the screen said so (POST /api/still-here)


@dataclass
class RenewalFlow:
    """One renewal asked of the library: the loan, and the transaction id it is sent under."""

    item_id: str
    member: str
    transaction_id: str
    due_before: date  # the loan's due date before this renewal


@dataclass
class VendFlow:
    """One book on its way out (or back to its slot): from its fetch to the door closing."""

    item_id: str
    slot: int  # where it came from, and where a retract puts it back
    problem: str | None = None  # why it goes back: wrong tag, unreadable, several tags


@dataclass
class ReturnFlow:
    """One return: its journaled intent, and the book once identified."""

    intent_id: str | None
    item_id: str | None = None
    book_inside: bool = False
    ejected: bool = False  # pushed out to be identified by its barcode: no second eject
    tagless: bool = False  # identified by its barcode (its tag is broken): to the overflow bin
    barcode: "asyncio.Future[str] | None" = None  # set while waiting for the item barcode


@dataclass
class RecoveryFlow:
    """What homing learned before anything moved, for settling the open intents one by one."""

    records: dict[str, CommandRecord] = field(default_factory=dict)
    pickup_door_was_open: bool = False
    handed_over: set[str] = field(default_factory=set)  # intents given to a live flow


@dataclass
class Flows:
    """Every flow the controller holds; only the controller assigns these fields."""

    session: Session | None = None
    pin_wait: PinWait | None = None
    vend: VendFlow | None = None
    ret: ReturnFlow | None = None
    recovery: RecoveryFlow | None = None
    renewal: RenewalFlow | None = None
    job: "Job | None" = None

    def take(self, payload: dict) -> None:
        """Keep the flow objects a step carries (a step starts or replaces a flow)."""
        for name in ("session", "pin_wait", "vend", "ret", "recovery", "renewal", "job"):
            if name in payload:
                setattr(self, name, payload[name])

    def voice_on(self) -> bool:
        """Voice mode is on for the patron at the screen (their session, or PIN wait)."""
        holder = self.session or self.pin_wait
        return holder is not None and holder.voice

    def set_voice(self, on: bool) -> None:
        """Turn voice mode on or off for the patron at the screen (it ends with them)."""
        for holder in (self.session, self.pin_wait):
            if holder is not None:
                holder.voice = on

    def end_patron_flows(self) -> None:
        """The patron has gone: no session, no PIN wait."""
        self.session, self.pin_wait, self.renewal = None, None, None
