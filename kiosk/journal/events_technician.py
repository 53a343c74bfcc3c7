"""Payloads of the technician's side: withdrawing books through the pickup port, faults."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.journal.codec import NonNegative, PlcSeq
from kiosk.journal.enums import MoveFailure
from kiosk.journal.errors import PayloadError
from kiosk.journal.event_base import FAULT_CODE_MAX, NOTE_MAX, EventKind, Payload


@dataclass(frozen=True)
class FaultRecorded(Payload):
    """The machine went out of service (for the statistics; it changes no state)."""

    kind = EventKind.FAULT_RECORDED
    code: str  # the fault's code: jam, door_blocked, interlock, device, …
    detail: str | None = None

    def check(self) -> None:
        if len(self.code) > FAULT_CODE_MAX or len(self.detail or "") > NOTE_MAX:
            raise PayloadError(f"FaultRecorded code 1..{FAULT_CODE_MAX}, detail up to "
                               f"{NOTE_MAX} characters")


@dataclass(frozen=True)
class WithdrawStarted(Payload):
    """Intent: FETCH this item's slot to the pickup port for a technician to take out."""

    kind = EventKind.WITHDRAW_STARTED
    item_id: str
    slot: NonNegative
    plc_seq: PlcSeq


@dataclass(frozen=True)
class WithdrawFetched(Payload):
    """The withdraw's FETCH finished OK: the item is in the pickup port, door shut."""

    kind = EventKind.WITHDRAW_FETCHED
    item_id: str


@dataclass(frozen=True)
class WithdrawPresented(Payload):
    """The pickup door opened for the technician to take the item."""

    kind = EventKind.WITHDRAW_PRESENTED
    item_id: str


@dataclass(frozen=True)
class WithdrawFailed(Payload):
    """The withdraw's FETCH did not finish OK."""

    kind = EventKind.WITHDRAW_FAILED
    item_id: str
    reason: MoveFailure
