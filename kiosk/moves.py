"""The one journaled move: intent first, then the PLC command, then its outcome, the same for all.

Vending, returning, recovery and re-slotting move books only through `journaled_move`, so every
failure of every move is journaled the same way: a rejection as NOT_STARTED, a jam as JAM, any
other finding by the PLC's result. A move whose outcome is not known (the link died, the PLC
restarted) stays open in the journal, and start-up recovery settles it from the PLC's records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drivers.carousel import CarouselJammed, CarouselRejected, Command, Result
from kiosk.journal import (
    JournalRefused,
    MoveFailure,
    Payload,
    RetractFailed,
    RetractStarted,
    ReturnDiverted,
    ReturnShelved,
    StoreFailed,
    StoreStarted,
    TransferFailed,
    Transferred,
    TransferStarted,
    VendFailed,
    VendFetched,
    VendRetracted,
    VendStarted,
    WithdrawFailed,
    WithdrawFetched,
    WithdrawStarted,
)
from kiosk.mechanics import crash_point, move_failure

if TYPE_CHECKING:
    from kiosk.controller import Controller


@dataclass(frozen=True)
class Move:
    """One motion of one book: its PLC command and the journal events that record it."""

    name: str  # the crash campaign's prefix: "<name>.before_<verb>", "<name>.after_<verb>"
    verb: str
    command: Command
    slot: int | None  # the slot it involves; None for the overflow bin
    started: Callable[[int], Payload]  # from the SEQ reserved for it
    done: Callable[[], Payload]
    failed: Callable[[MoveFailure], Payload]
    to_slot: int = 0  # TRANSFER's destination (ARG2)


class MoveNotStarted(JournalRefused):
    """The journal refused to start the move: nothing was written and nothing moved."""


async def journaled_move(ctl: "Controller", move: Move) -> Result:
    """Journal, run and settle one move; a rejection or a jam is journaled, then raised."""
    seq = await ctl.mech.reserve_seq()
    try:
        ctl.journal.append(move.started(seq))
    except JournalRefused as refused:
        raise MoveNotStarted(refused.code, refused.detail) from None
    crash_point(f"{move.name}.before_{move.verb}")
    try:
        result = await ctl.mech.run(move.command, move.slot or 0, move.to_slot, seq=seq)
    except CarouselRejected:
        ctl.journal.append(move.failed(MoveFailure.NOT_STARTED))
        raise
    except CarouselJammed:
        ctl.journal.append(move.failed(MoveFailure.JAM))
        raise
    crash_point(f"{move.name}.after_{move.verb}")
    ctl.journal.append(move.done() if result is Result.OK else move.failed(move_failure(result)))
    return result


def fetch(item_id: str, slot: int, patron_id: str, session_id: str) -> Move:
    """FETCH a book from its slot into the pickup port, for a patron's session."""
    return Move("vend", "fetch", Command.FETCH, slot,
                started=lambda seq: VendStarted(item_id=item_id, slot=slot, patron_id=patron_id,
                                                session_id=session_id, plc_seq=seq),
                done=lambda: VendFetched(item_id=item_id),
                failed=lambda reason: VendFailed(item_id=item_id, reason=reason))


def withdraw(item_id: str, slot: int) -> Move:
    """FETCH a book from its slot into the pickup port, for a technician to take out."""
    return Move("withdraw", "fetch", Command.FETCH, slot,
                started=lambda seq: WithdrawStarted(item_id=item_id, slot=slot, plc_seq=seq),
                done=lambda: WithdrawFetched(item_id=item_id),
                failed=lambda reason: WithdrawFailed(item_id=item_id, reason=reason))


def retract(item_id: str, slot: int) -> Move:
    """RETRACT the book in the pickup port back into its slot."""
    return Move("vend", "retract", Command.RETRACT, slot,
                started=lambda seq: RetractStarted(item_id=item_id, slot=slot, plc_seq=seq),
                done=lambda: VendRetracted(item_id=item_id),
                failed=lambda reason: RetractFailed(item_id=item_id, reason=reason))


def store(item_id: str, slot: int | None) -> Move:
    """STORE a returned book into a slot, or DIVERT_RETURN it to the overflow bin (slot None)."""
    command = Command.STORE if slot is not None else Command.DIVERT_RETURN
    finished = ReturnShelved if slot is not None else ReturnDiverted
    return Move("return", "store", command, slot,
                started=lambda seq: StoreStarted(item_id=item_id, slot=slot, plc_seq=seq),
                done=lambda: finished(item_id=item_id),
                failed=lambda reason: StoreFailed(item_id=item_id, reason=reason))


def transfer(item_id: str, from_slot: int, to_slot: int) -> Move:
    """TRANSFER a book from its slot to another (re-slotting)."""
    return Move("reslot", "transfer", Command.TRANSFER, from_slot,
                started=lambda seq: TransferStarted(item_id=item_id, to_slot=to_slot, plc_seq=seq),
                done=lambda: Transferred(item_id=item_id),
                failed=lambda reason: TransferFailed(item_id=item_id, reason=reason),
                to_slot=to_slot)
