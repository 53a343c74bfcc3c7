"""Which commands the PLC accepts: the spec's rejection checks, in the spec's order (pure)."""

from __future__ import annotations

from drivers.carousel.geometry import Geometry
from drivers.carousel.registers import (
    ACCEPTED_IN,
    DOOR_SENSITIVE,
    SLOT_ARGUMENTS,
    Command,
    Result,
    State,
)


def check_command(code: int, arg1: int, arg2: int, *, state: State, geometry: Geometry,
                  interlock: bool, doors_closed: bool) -> Result | None:
    """The rejection code for a new command, or None when it is accepted.

    Checked in order: UNKNOWN_COMMAND, INVALID_ARGUMENT, BUSY, NOT_HOMED, INTERLOCK, DOOR_OPEN.
    BUSY stands for every state that does not take the command and is not NOT_HOMED or
    INTERLOCK: a command under way, a latched fault, RESET_FAULT with no fault latched.
    """
    try:
        command = Command(code)
    except ValueError:
        return Result.UNKNOWN_COMMAND
    slots = (arg1, arg2)[:SLOT_ARGUMENTS.get(command, 0)]
    if any(not 0 <= slot < geometry.slot_count for slot in slots):
        return Result.INVALID_ARGUMENT
    if state not in ACCEPTED_IN[command]:
        if state is State.NOT_HOMED and State.IDLE in ACCEPTED_IN[command]:
            return Result.NOT_HOMED
        if state is not State.INTERLOCK:
            return Result.BUSY
    if interlock or state is State.INTERLOCK:
        return Result.INTERLOCK
    if command in DOOR_SENSITIVE and not doors_closed:
        return Result.DOOR_OPEN
    return None
