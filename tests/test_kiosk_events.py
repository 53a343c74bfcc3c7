"""Every state against every event, and random events against the real controller and table.

A pure unit test of the controller module: the devices are never opened, and each state's
action is replaced by one that runs until it is cancelled (the real actions need devices).
What is real is the transition table, the controller's dispatch, its refusal rules, its timers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kiosk import actions, identify, patron
from kiosk.config import load_config
from kiosk.connectors import Reason, Refusal
from kiosk.controller import SESSION_STATES, Controller
from kiosk.inbox import EVENT_SOURCES, Source
from kiosk.flows import Credential, CredentialKind, PinWait, RecoveryFlow, ReturnFlow, VendFlow
from kiosk.machine import KioskMachine, KioskState
from kiosk.inbox import Request
from kiosk.session import Prefetch, Session
from kiosk.steps import Event, Refused, Step

CONFIG = """\
[machine]
state_dir = "{state}"
[carousel]
[rfid]
port = "/dev/null"
[barcode]
port = "/dev/null"
[card]
reader = "none"
[library]
base_url = "http://127.0.0.1:9"
credentials_file = "token"
[policy]
always_open = true
"""


def make_controller(tmp: Path) -> Controller:
    (tmp / "token").write_text("t\n")
    (tmp / "kiosk.toml").write_text(CONFIG.format(state=tmp / "state"))
    return Controller(load_config(tmp / "kiosk.toml"))


async def run_forever(ctl: Controller, payload: dict) -> None:
    """Stands in for a state's action: it runs until the next state cancels it."""
    await asyncio.Event().wait()


@pytest.fixture(autouse=True)
def pending_actions(monkeypatch):
    for state in list(actions.ACTIONS):
        monkeypatch.setitem(actions.ACTIONS, state, run_forever)


def payload_for(event: Event) -> dict:
    """What the step or request carrying `event` brings along (the flow it starts)."""
    session = Session(member="M1", name="Kim", remaining=2, offline=False, credential="C",
                      by_card=True)
    credential = Credential(CredentialKind.CARD, "04A1B2C3")
    return {
        Event.CARD_PRESENTED: {"credential": credential},
        Event.PATRON_FOUND: {"session": session},
        Event.PIN_ACCEPTED: {"session": session},
        Event.PIN_NEEDED: {"pin_wait": PinWait(credential)},
        Event.PIN_ENTERED: {"pin": "1234"},
        Event.HOMED: {"recovery": RecoveryFlow()},
        Event.BOOK_FETCHED: {"vend": VendFlow("EM1", 1)},
        Event.BOOK_PREFETCHED: {"vend": VendFlow("EM1", 1)},
        Event.RECOVERY_NEEDS_RETRACT: {"vend": VendFlow("EM1", 1)},
        Event.RECOVERY_NEEDS_RETURN: {"ret": ReturnFlow("I1")},
        Event.RECOVERY_NEEDS_SHELVING: {"ret": ReturnFlow(None, "EM1")},
        Event.RETURN_OPENED: {"ret": ReturnFlow("I1")},
    }.get(event, {})


async def put_in(ctl: Controller, state: KioskState) -> None:
    """Start the machine and put it in `state` (entering it, as a transition would)."""
    await ctl.machine.activate_initial_state()
    ctl.machine.current_state_value = state.value
    ctl.fault = None
    await ctl.enter(state, {})


def test_every_event_has_a_source():
    assert set(EVENT_SOURCES) == set(Event)


@pytest.mark.parametrize("state", list(KioskState))
def test_every_state_and_event_is_a_transition_or_a_documented_refusal(tmp_path, state):
    ctl = make_controller(tmp_path)

    async def walk() -> None:
        for event in Event:
            await put_in(ctl, state)
            allowed = ctl.machine.allows(event.value)
            taken = await ctl._apply(event, payload_for(event), EVENT_SOURCES[event])
            if taken:
                assert allowed, f"{event} taken in {state} without a transition"
            elif EVENT_SOURCES[event] is Source.ACTION and event is not Event.FAULT:
                # an action's step the table refuses is a fault, with the reason
                assert ctl.state is KioskState.OUT_OF_SERVICE, (state, event)
                assert ctl.fault["code"] == "event_refused"
                assert event.value in ctl.fault["detail"]
            else:
                assert ctl.state is state, (state, event)  # ignored: nothing changed
            ctl._cancel_action()
    asyncio.run(walk())


def test_a_refused_request_is_answered_not_now_and_changes_nothing(tmp_path):
    ctl = make_controller(tmp_path)

    async def go() -> None:
        await put_in(ctl, KioskState.FETCHING)
        loop = asyncio.create_task(_drain(ctl))
        with pytest.raises(Exception, match="not_now"):
            await ctl.request(Event.CART_ADD, {"item_id": "EM1"})
        assert ctl.state is KioskState.FETCHING
        loop.cancel()
    asyncio.run(go())


async def _drain(ctl: Controller) -> None:
    while True:
        await ctl._dispatch(await ctl.queue.get())


def stuck(ctl: Controller) -> str | None:
    """Why the controller would hang here (no action, no timer, nothing awaited), or None."""
    state = ctl.state
    running = ctl._task is not None and not ctl._task.done()
    if state in actions.WAITS_FOR:
        if state in SESSION_STATES and ctl._idle_timer is None:
            return f"{state} without its idle timer"
        return None
    if not running:
        return f"{state}: no action runs and nothing is awaited"
    return None


ACTION_EVENTS = [e for e, s in EVENT_SOURCES.items() if s is Source.ACTION]
OUTSIDE_EVENTS = [e for e, s in EVENT_SOURCES.items() if s is not Source.ACTION]


class RandomEvents(RuleBasedStateMachine):
    """Random steps, requests, device events and timeouts; the controller never hangs."""

    def __init__(self):
        super().__init__()
        import tempfile
        self.tmp = Path(tempfile.mkdtemp())
        self.loop = asyncio.new_event_loop()
        self.ctl = self.loop.run_until_complete(self._started())

    async def _started(self) -> Controller:
        ctl = make_controller(self.tmp)
        await ctl.machine.activate_initial_state()
        return ctl

    def teardown(self):
        self.ctl._cancel_action()
        self.ctl._cancel_idle_timer()
        self.loop.run_until_complete(asyncio.sleep(0))  # let the cancelled action end
        self.loop.close()

    @rule(event=st.sampled_from(ACTION_EVENTS))
    def an_action_ends(self, event):
        self.ctl._cancel_action()  # the action that reports a step has ended
        self.loop.run_until_complete(self.ctl._apply(event, payload_for(event), Source.ACTION))

    @rule(data=st.data())
    def an_action_ends_as_the_table_expects(self, data):
        allowed = [e for e in Event if self.ctl.machine.allows(e.value)]
        event = data.draw(st.sampled_from(allowed))
        if EVENT_SOURCES[event] is Source.ACTION:
            self.ctl._cancel_action()
        self.loop.run_until_complete(
            self.ctl._apply(event, payload_for(event), EVENT_SOURCES[event]))

    @rule(event=st.sampled_from(OUTSIDE_EVENTS))
    def something_from_outside(self, event):
        self.loop.run_until_complete(
            self.ctl._apply(event, payload_for(event), EVENT_SOURCES[event]))

    @rule()
    def the_patron_walks_away(self):
        if self.ctl._idle_timer is not None:
            self.ctl._idle_timer.cancel()
            self.ctl._idle_expired()
            while not self.ctl.queue.empty():
                self.loop.run_until_complete(self.ctl._dispatch(self.ctl.queue.get_nowait()))

    @invariant()
    def never_stuck(self):
        assert stuck(self.ctl) is None


RandomEvents.TestCase.settings = settings(max_examples=80, stateful_step_count=50,
                                          deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_random_events_never_leave_the_controller_stuck = RandomEvents.TestCase


def test_the_table_and_the_actions_cover_every_state():
    assert {s.value for s in KioskMachine.states} == {s.value for s in KioskState}
    for state in KioskState:
        assert state in actions.ACTIONS or state in actions.WAITS_FOR, state


def a_session(**fields) -> Session:
    session = Session(member="M1", name="Kim", remaining=2, offline=False, credential="C",
                      by_card=True)
    for name, value in fields.items():
        setattr(session, name, value)
    return session


def test_a_step_of_a_state_already_left_is_dropped_not_a_fault(tmp_path, monkeypatch):
    async def library_answers(ctl, payload):
        return Step(Event.PIN_ACCEPTED, {"session": a_session()})
    monkeypatch.setitem(actions.ACTIONS, KioskState.CHECKING_PIN, library_answers)
    ctl = make_controller(tmp_path)

    async def go() -> None:
        await put_in(ctl, KioskState.PIN_ENTRY)
        ctl.flows.pin_wait = PinWait(Credential(CredentialKind.CARD, "04A1B2C3"))
        await ctl._apply(Event.PIN_ENTERED, {"pin": "1234"}, Source.REQUEST)
        await asyncio.sleep(0.01)  # the library answers: its step waits in the queue
        cancel = Request(Event.SESSION_ENDED, {}, patron.end_session, future=None)
        await ctl._answer(cancel)  # the patron pressed cancel just before
        while not ctl.queue.empty():
            await ctl._dispatch(ctl.queue.get_nowait())
        assert ctl.state is KioskState.READY and ctl.fault is None
    asyncio.run(go())


def test_the_idle_timer_does_not_cut_a_cart_already_confirmed(tmp_path):
    ctl = make_controller(tmp_path)

    async def go() -> None:
        await put_in(ctl, KioskState.BROWSING)
        ctl.flows.session = a_session(confirmed=True, to_vend=["A", "B"])
        ctl._idle_expired()  # fired in the same tick as the confirm
        ctl.machine.current_state_value = KioskState.FETCHING.value
        await ctl._dispatch(ctl.queue.get_nowait())
        assert ctl.flows.session.to_vend == ["A", "B"] and not ctl.flows.session.ending
        assert ctl.notice is None
    asyncio.run(go())


def test_a_missed_prefetch_leaves_the_session_as_the_step_is_taken(tmp_path):
    ctl = make_controller(tmp_path)

    async def go() -> None:
        await put_in(ctl, KioskState.PREFETCHING)
        session = a_session(cart=["A", "B"], prefetch=Prefetch("A"))
        ctl.flows.session = session
        await ctl._apply(Event.PREFETCH_MISSED, {"missed": "A", "notice": {"code": "x"}},
                         Source.ACTION)
        assert ctl.state is KioskState.BROWSING
        assert session.prefetch is None and session.cart == ["B"]
    asyncio.run(go())


def test_a_book_chosen_while_a_prefetch_cannot_start_changes_nothing(tmp_path):
    ctl = make_controller(tmp_path)

    async def go() -> None:
        await put_in(ctl, KioskState.PREFETCHING)
        session = a_session(cart=[], prefetch=None)
        ctl.flows.session = session
        with pytest.raises(Refused, match="not_now"):
            patron.add_to_cart(ctl, {"item_id": "B"})
        assert session.cart == [] and session.prefetch is None
    asyncio.run(go())


class CacheSays:
    """The offline cache of a pure unit test: it knows the card and asks no PIN."""

    def lookup(self, credential: str):
        return "M1", "", False


def test_offline_a_pin_the_library_asked_for_is_never_skipped():
    class Ctl:
        cache = CacheSays()
        sync = None
    wait = PinWait(Credential(CredentialKind.CARD, "04A1B2C3"))
    step = identify._identify_offline(Ctl(), wait.credential, wait)
    assert step.event is Event.PATRON_REFUSED
    assert step.payload["notice"] == {"code": "offline_pin_unavailable"}


def test_offline_lending_the_library_forbids_is_refused():
    class Status:
        offline_lending = False

    class Sync:
        status = Status()

    class Ctl:
        cache = CacheSays()
        sync = Sync()
    step = identify._identify_offline(Ctl(), Credential(CredentialKind.CARD, "04A1B2C3"), None)
    assert step.event is Event.PATRON_REFUSED
    assert step.payload["notice"] == {"code": "offline_not_allowed"}


def test_a_library_refusal_carries_the_library_s_own_words():
    found = Refusal(Reason.PATRON_BLOCKED, message="Patron debarred")
    step = identify._lookup_refused(found, Credential(CredentialKind.CARD, "04A1B2C3"), None)
    assert step.payload["notice"] == {"code": "patron_blocked",
                                      "library_message": "Patron debarred"}
