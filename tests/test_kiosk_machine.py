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
        self.guards = {"is_open": True, "more_to_vend": False, "recovering_flow": False,
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
    machine, recorder = run(["started", "homed", "recovered", "card_presented", "patron_found", "cart_confirmed",
                             "book_fetched", "book_verified", "pickup_opened", "book_taken",
                             "pickup_closed"])
    assert machine.state is KioskState.BROWSING
    assert KioskState.AWAITING_TAKE in recorder.entered


def test_a_closed_kiosk_starts_closed_and_lends_nothing():
    machine, _ = run(["started", "homed", "recovered"], is_open=False)
    assert machine.state is KioskState.CLOSED
    with pytest.raises(TransitionNotAllowed):
        run(["started", "homed", "recovered", "card_presented"], is_open=False)


def test_an_event_that_does_not_fit_the_state_is_refused():
    with pytest.raises(TransitionNotAllowed):
        run(["started", "homed", "recovered", "book_taken"])


def test_a_pin_is_asked_for_when_needed():
    machine, _ = run(["started", "homed", "recovered", "card_presented", "pin_needed"])
    assert machine.state is KioskState.PIN_ENTRY
    machine, _ = run(["started", "homed", "recovered", "card_presented", "pin_needed",
                      "pin_entered", "pin_rejected", "pin_entered", "pin_accepted"])
    assert machine.state is KioskState.BROWSING


def test_a_fault_anywhere_leads_out_of_service_and_only_a_reset_leads_back():
    machine, _ = run(["started", "homed", "recovered", "card_presented", "fault"])
    assert machine.state is KioskState.OUT_OF_SERVICE
    with pytest.raises(TransitionNotAllowed):
        run(["started", "homed", "recovered", "fault", "card_presented"])
    machine, _ = run(["started", "homed", "recovered", "fault", "reset", "homed", "recovered"])
    assert machine.state is KioskState.READY


def test_a_return_with_nothing_inserted_ends_ready():
    machine, _ = run(["started", "homed", "recovered", "return_requested", "return_opened", "insert_timed_out",
                      "return_closed"], book_in_port=False)
    assert machine.state is KioskState.READY


def test_recovery_hands_a_book_to_the_live_retract_and_comes_back():
    machine, recorder = run(["started", "homed", "recovery_needs_retract", "book_retracted"],
                            recovering_flow=True)
    assert machine.state is KioskState.RECOVERING
    assert KioskState.RETRACTING in recorder.entered


def test_recovery_closes_a_return_through_the_live_return_states():
    machine, recorder = run(["started", "homed", "recovery_needs_return", "return_closed",
                             "return_accepted", "return_done"], recovering_flow=True)
    assert machine.state is KioskState.RECOVERING
    assert [KioskState.CLOSING_RETURN, KioskState.IDENTIFYING_RETURN,
            KioskState.SHELVING] == recorder.entered[3:6]


def test_a_request_inside_a_state_enters_nothing():
    machine, recorder = run(["started", "homed", "recovered", "card_presented", "patron_found",
                             "cart_add", "cart_remove", "renew"])
    assert machine.state is KioskState.BROWSING
    assert recorder.entered.count(KioskState.BROWSING) == 1


def test_a_fetch_after_an_empty_slot_enters_fetching_again():
    _, recorder = run(["started", "homed", "recovered", "card_presented", "patron_found",
                       "cart_confirmed", "slot_was_empty"], more_to_vend=True)
    assert recorder.entered.count(KioskState.FETCHING) == 2


JOB_GUARDS = {"job_gives_way": True, "job_from_maintenance": False, "card_waiting": True}


def test_a_job_gives_way_to_a_card_and_the_patron_is_identified_next():
    machine, recorder = run(["started", "homed", "recovered", "job_started", "card_presented",
                             "job_gave_way"], **JOB_GUARDS)
    assert machine.state is KioskState.IDENTIFYING
    assert recorder.entered[-2:] == [KioskState.SERVICING, KioskState.IDENTIFYING]


def test_a_job_in_closed_hours_does_not_take_a_card():
    with pytest.raises(TransitionNotAllowed):
        run(["started", "homed", "recovered", "job_started", "card_presented"],
            **{**JOB_GUARDS, "is_open": False})


def test_a_job_from_maintenance_goes_back_to_maintenance_and_takes_no_card():
    guards = {**JOB_GUARDS, "job_gives_way": False, "job_from_maintenance": True}
    machine, _ = run(["started", "homed", "recovered", "maintenance_started", "job_started",
                      "job_done"], **guards)
    assert machine.state is KioskState.MAINTENANCE
    with pytest.raises(TransitionNotAllowed):
        run(["started", "homed", "recovered", "maintenance_started", "job_started",
             "card_presented"], **guards)
