"""What became of a command: typed outcomes for execute() and for reconciliation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from drivers.carousel.codec import CarouselStatus
from drivers.carousel.registers import Command, Result


@dataclass(frozen=True)
class CommandOutcome:
    """A command the PLC accepted and finished; `result` is OK or what the machine found."""

    command: Command
    seq: int
    result: Result

    @property
    def ok(self) -> bool:
        """Whether the command did what it was asked."""
        return self.result is Result.OK


class CommandFate(Enum):
    """Where a SEQ stands according to the PLC's registers."""

    DONE = "done"  # DONE_SEQ = seq: finished, `code` is RESULT
    BUSY = "busy"  # ACK_SEQ = seq but not DONE_SEQ: accepted and still under way
    REJECTED = "rejected"  # REJECT_SEQ = seq and not accepted: `code` is REJECT_CODE
    NOT_ACCEPTED = "not_accepted"  # the PLC never took it (never arrived, or the PLC restarted)


@dataclass(frozen=True)
class CommandRecord:
    """The fate of one SEQ, read from ACK_SEQ, DONE_SEQ, RESULT, REJECT_SEQ and REJECT_CODE."""

    seq: int
    fate: CommandFate
    code: Result | None
    boot_id: int


def fate_of(seq: int, status: CarouselStatus) -> CommandRecord:
    """The fate of `seq` in a status reading."""
    if seq != 0 and status.done_seq == seq:
        fate, code = CommandFate.DONE, status.result
    elif seq != 0 and status.ack_seq == seq:
        fate, code = CommandFate.BUSY, None
    elif seq != 0 and status.reject_seq == seq:
        fate, code = CommandFate.REJECTED, status.reject_code
    else:
        fate, code = CommandFate.NOT_ACCEPTED, None
    return CommandRecord(seq=seq, fate=fate, code=code, boot_id=status.boot_id)
