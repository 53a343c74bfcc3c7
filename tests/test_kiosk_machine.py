"""The transition table: states, strictness, and the generated diagram."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from statemachine.exceptions import TransitionNotAllowed

from kiosk.machine import KioskMachine, KioskState, diagram_document

DOC = Path(__file__).resolve().parent.parent / "docs" / "state-machine.md"


class Recorder:
    """Actions and guards for the table alone (a pure unit test of one module)."""

    def __init__(self, **guards: bool):
        self.entered: list[KioskState] = []
        self.guards = {"is_open": True, "needs_pin": False, "more_to_vend": False,
                       "session_open": True, "book_in_port": True, "returns_when_closed": True,
                       "use_prefetched": False, "drop_prefetched": False,
                       **guards}

    async def enter(self, state: KioskState, payload: dict) -> None:
        self.entered.append(state)

    def __getattr__(self, name: str):
        if name in self.__dict__.get("guards", {}):
            return lambda: self.guards[name]
        raise AttributeError(name)


def run(events: list[str], **guards: bool) -> tuple[KioskMachine, Recorder]:
    recorder = Recorder(**guards)
    machine = KioskMachine(recorder, recorder)

    async def go() -> None:
        await machine.activate_initial_state()
        for event in events:
            await machine.send(event, payload={})
    asyncio.run(go())
    return machine, recorder


def test_the_diagram_in_docs_is_generated_from_the_table():
    assert DOC.read_text(encoding="utf-8") == diagram_document()


def test_every_state_of_the_enum_is_in_the_table():
    assert {s.value for s in KioskMachine.states} == {s.value for s in KioskState}


def test_a_whole_vend_of_one_book_returns_to_browsing():
    machine, recorder = run(["recovered", "card_presented", "patron_found", "cart_confirmed",
                             "book_fetched", "book_verified", "pickup_opened", "book_taken",
                             "pickup_closed"])
    assert machine.state is KioskState.BROWSING
    assert KioskState.AWAITING_TAKE in recorder.entered


def test_a_closed_kiosk_starts_closed_and_lends_nothing():
    machine, _ = run(["recovered"], is_open=False)
    assert machine.state is KioskState.CLOSED
    with pytest.raises(TransitionNotAllowed):
        run(["recovered", "card_presented"], is_open=False)


def test_an_event_that_does_not_fit_the_state_is_refused():
    with pytest.raises(TransitionNotAllowed):
        run(["recovered", "book_taken"])


def test_a_pin_is_asked_for_when_needed():
    machine, _ = run(["recovered", "card_presented", "patron_found"], needs_pin=True)
    assert machine.state is KioskState.PIN_ENTRY


def test_a_fault_anywhere_leads_out_of_service_and_only_a_reset_leads_back():
    machine, _ = run(["recovered", "card_presented", "fault"])
    assert machine.state is KioskState.OUT_OF_SERVICE
    with pytest.raises(TransitionNotAllowed):
        run(["recovered", "fault", "card_presented"])
    machine, _ = run(["recovered", "fault", "reset", "homed"])
    assert machine.state is KioskState.READY


def test_a_return_with_nothing_inserted_ends_ready():
    machine, _ = run(["recovered", "return_requested", "return_opened", "insert_timed_out",
                      "return_closed"], book_in_port=False)
    assert machine.state is KioskState.READY
