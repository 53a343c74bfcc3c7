"""The sim's pure acceptance check: every state × command, and the order of the checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.carousel.geometry import Geometry
from drivers.carousel.registers import (
    ACCEPTED_IN,
    DOOR_SENSITIVE,
    REJECTION_ORDER,
    Command,
    Result,
    State,
)
from sim.plc.acceptance import check_command

GEOMETRY = Geometry()
CALM = dict(geometry=GEOMETRY, interlock=False, doors_closed=True)


def check(code: int, arg1: int = 0, arg2: int = 0, *, state: State, **conditions) -> Result | None:
    return check_command(code, arg1, arg2, state=state, **{**CALM, **conditions})


@pytest.mark.parametrize("state", [s for s in State if s is not State.INTERLOCK])
@pytest.mark.parametrize("command", list(Command))
def test_each_state_accepts_exactly_its_commands(state, command):
    result = check(command, 1, 2, state=state)
    if state in ACCEPTED_IN[command]:
        assert result is None
    elif state is State.NOT_HOMED:
        expected = Result.NOT_HOMED if State.IDLE in ACCEPTED_IN[command] else Result.BUSY
        assert result is expected
    else:
        assert result is Result.BUSY


@pytest.mark.parametrize("command", list(Command))
def test_interlock_state_rejects_everything_as_interlock(command):
    assert check(command, 1, 2, state=State.INTERLOCK, interlock=True) is Result.INTERLOCK


def test_reset_fault_under_an_interlock_waits_for_it_to_end():
    assert check(Command.RESET_FAULT, state=State.FAULT, interlock=True) is Result.INTERLOCK
    assert check(Command.RESET_FAULT, state=State.FAULT) is None


@pytest.mark.parametrize("command", sorted(DOOR_SENSITIVE))
def test_motions_need_both_doors_shut(command):
    assert check(command, 1, 2, state=State.IDLE, doors_closed=False) is Result.DOOR_OPEN
    for other in (Command.HOME, Command.EJECT_RETURN, Command.DIVERT_RETURN, Command.OPEN_PICKUP):
        assert check(other, state=State.IDLE, doors_closed=False) is None


def test_slot_bounds():
    assert check(Command.FETCH, 999, state=State.IDLE) is None
    assert check(Command.FETCH, 1000, state=State.IDLE) is Result.INVALID_ARGUMENT
    assert check(Command.TRANSFER, 0, 1000, state=State.IDLE) is Result.INVALID_ARGUMENT
    assert check(Command.HOME, 5000, 5000, state=State.IDLE) is None  # HOME takes no slot


@settings(max_examples=300, deadline=None)
@given(code=st.integers(0, 20), arg1=st.integers(0, 1100), arg2=st.integers(0, 1100),
       state=st.sampled_from(State), interlock=st.booleans(), doors_closed=st.booleans())
def test_the_first_failing_check_in_spec_order_wins(code, arg1, arg2, state, interlock, doors_closed):
    if state is State.INTERLOCK:
        interlock = True
    result = check_command(code, arg1, arg2, state=state, geometry=GEOMETRY,
                           interlock=interlock, doors_closed=doors_closed)
    failing = _failing_checks(code, arg1, arg2, state, interlock, doors_closed)
    assert result is (failing[0] if failing else None)


def _failing_checks(code, arg1, arg2, state, interlock, doors_closed) -> list[Result]:
    """Each check on its own, listed in REJECTION_ORDER."""
    if code not in {int(c) for c in Command}:
        return [Result.UNKNOWN_COMMAND]
    command = Command(code)
    slots = {Command.TRANSFER: (arg1, arg2)}.get(
        command, (arg1,) if command in DOOR_SENSITIVE else ())
    accepted = state in ACCEPTED_IN[command]
    failing = {
        Result.INVALID_ARGUMENT: any(s >= GEOMETRY.slot_count for s in slots),
        Result.BUSY: not accepted and state in (State.BUSY, State.FAULT, State.IDLE)
        or (not accepted and state is State.NOT_HOMED and State.IDLE not in ACCEPTED_IN[command]),
        Result.NOT_HOMED: not accepted and state is State.NOT_HOMED
        and State.IDLE in ACCEPTED_IN[command],
        Result.INTERLOCK: interlock,
        Result.DOOR_OPEN: command in DOOR_SENSITIVE and not doors_closed,
    }
    return [code for code in REJECTION_ORDER if failing.get(code)]
