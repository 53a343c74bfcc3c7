"""The kiosk's states and the transition table: the only way a state changes."""

from __future__ import annotations

import operator
from enum import StrEnum
from functools import reduce
from typing import Any, Protocol

from statemachine import State, StateMachine
from statemachine.transition_list import TransitionList


class KioskState(StrEnum):
    """Every state of the kiosk."""

    STARTING = "starting"
    HOMING = "homing"
    RECOVERING = "recovering"  # settling what a crash or a fault left open, one intent at a time
    READY = "ready"
    CLOSED = "closed"
    IDENTIFYING = "identifying"  # the library is asked who the patron is
    PIN_ENTRY = "pin_entry"
    CHECKING_PIN = "checking_pin"  # the library is asked whether the PIN is right
    RENEWING = "renewing"  # the library is asked for a renewal
    BROWSING = "browsing"
    PREFETCHING = "prefetching"  # browsing, while the first chosen book is fetched
    FETCHING = "fetching"
    VERIFYING = "verifying"
    PRESENTING = "presenting"
    AWAITING_TAKE = "awaiting_take"
    CLOSING_PICKUP = "closing_pickup"
    RETRACTING = "retracting"
    OPENING_RETURN = "opening_return"
    AWAITING_INSERT = "awaiting_insert"
    CLOSING_RETURN = "closing_return"
    IDENTIFYING_RETURN = "identifying_return"
    SHELVING = "shelving"
    HANDING_BACK = "handing_back"
    DIVERTING = "diverting"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"
    SERVICING = "servicing"  # a technician's job: home, a door, present, audit, load, re-slot


class Actions(Protocol):
    """What the controller does when the machine enters a state."""

    async def enter(self, state: KioskState, payload: dict) -> None:
        """Start the work of `state` (device steps report back through events)."""


def _all_to(target: State, *sources: State) -> TransitionList:
    """One transition to `target` from each of `sources`."""
    return reduce(operator.or_, (source.to(target) for source in sources))


def _state(kind: KioskState, initial: bool = False) -> State:
    return State(kind.name.replace("_", " ").title(), value=kind.value, initial=initial)


class KioskMachine(StateMachine):
    """Transition table. Events are sent by the controller's loop; actions run on entry."""

    enable_self_transition_entries = True  # FETCHING -> FETCHING runs the next fetch

    starting = _state(KioskState.STARTING, initial=True)
    homing = _state(KioskState.HOMING)
    recovering = _state(KioskState.RECOVERING)
    ready = _state(KioskState.READY)
    closed = _state(KioskState.CLOSED)
    identifying = _state(KioskState.IDENTIFYING)
    pin_entry = _state(KioskState.PIN_ENTRY)
    checking_pin = _state(KioskState.CHECKING_PIN)
    renewing = _state(KioskState.RENEWING)
    browsing = _state(KioskState.BROWSING)
    prefetching = _state(KioskState.PREFETCHING)
    fetching = _state(KioskState.FETCHING)
    verifying = _state(KioskState.VERIFYING)
    presenting = _state(KioskState.PRESENTING)
    awaiting_take = _state(KioskState.AWAITING_TAKE)
    closing_pickup = _state(KioskState.CLOSING_PICKUP)
    retracting = _state(KioskState.RETRACTING)
    opening_return = _state(KioskState.OPENING_RETURN)
    awaiting_insert = _state(KioskState.AWAITING_INSERT)
    closing_return = _state(KioskState.CLOSING_RETURN)
    identifying_return = _state(KioskState.IDENTIFYING_RETURN)
    shelving = _state(KioskState.SHELVING)
    handing_back = _state(KioskState.HANDING_BACK)
    diverting = _state(KioskState.DIVERTING)
    out_of_service = _state(KioskState.OUT_OF_SERVICE)
    maintenance = _state(KioskState.MAINTENANCE)
    servicing = _state(KioskState.SERVICING)

    # start-up connects and checks; homing records what the PLC proves; recovery settles intents
    started = starting.to(homing)
    homed = homing.to(recovering)
    recovery_needs_retract = recovering.to(retracting)
    recovery_needs_return = recovering.to(closing_return)
    recovery_needs_shelving = recovering.to(shelving)
    recovered = recovering.to(ready, cond="is_open") | recovering.to(closed)
    hours_changed = ready.to(closed, unless="is_open") | closed.to(ready, cond="is_open")

    # a patron session: the library is asked (identifying, checking_pin) while the loop runs on
    card_presented = (ready.to(identifying)  # a running job gives way after its current move
                      | servicing.to.itself(internal=True, cond=["job_gives_way", "is_open"]))
    card_unreadable = ready.to.itself(internal=True)
    patron_found = identifying.to(browsing)
    pin_needed = identifying.to(pin_entry)
    pin_entered = pin_entry.to(checking_pin)
    pin_rejected = checking_pin.to(pin_entry)
    pin_accepted = checking_pin.to(browsing)
    patron_refused = (identifying.to(ready, cond="is_open") | identifying.to(closed)
                      | checking_pin.to(ready, cond="is_open") | checking_pin.to(closed))
    cart_add = browsing.to.itself(internal=True) | prefetching.to.itself(internal=True)
    cart_remove = browsing.to.itself(internal=True) | prefetching.to.itself(internal=True)
    loans_asked = browsing.to.itself(internal=True) | prefetching.to.itself(internal=True)
    holds_asked = browsing.to.itself(internal=True) | prefetching.to.itself(internal=True)
    still_here = (pin_entry.to.itself(internal=True) | browsing.to.itself(internal=True)
                  | prefetching.to.itself(internal=True))  # "more time": the idle timer restarts
    renew = browsing.to.itself(internal=True) | prefetching.to.itself(internal=True)
    renewal_asked = browsing.to(renewing)
    renewal_answered = (renewing.to(browsing, cond="session_open")
                        | renewing.to(ready, cond="is_open") | renewing.to(closed))
    hold = browsing.to.itself(internal=True) | prefetching.to.itself(internal=True)
    cart_confirmed = (browsing.to(verifying, cond="use_prefetched")
                      | browsing.to(retracting, cond="drop_prefetched")
                      | browsing.to(fetching)
                      | prefetching.to.itself(internal=True))  # the prefetch's end routes it
    session_ended = (identifying.to(ready, cond="is_open") | identifying.to(closed)
                     | pin_entry.to(ready, cond="is_open") | pin_entry.to(closed)
                     | checking_pin.to(ready, cond="is_open") | checking_pin.to(closed)
                     | browsing.to(retracting, cond="drop_prefetched")
                     | browsing.to(ready, cond="is_open") | browsing.to(closed)
                     # the session ends once the library has answered a renewal
                     | renewing.to.itself(internal=True)
                     # mid-vend the session ends after the book at hand
                     | prefetching.to.itself(internal=True) | fetching.to.itself(internal=True)
                     | verifying.to.itself(internal=True) | presenting.to.itself(internal=True)
                     | awaiting_take.to.itself(internal=True)
                     | closing_pickup.to.itself(internal=True)
                     | retracting.to.itself(internal=True))

    # the first chosen book is fetched while the patron still browses; it waits behind the door
    prefetch_started = browsing.to(prefetching)
    book_prefetched = (prefetching.to(verifying, cond="use_prefetched")
                       | prefetching.to(retracting, cond="drop_prefetched")
                       | prefetching.to(browsing))
    prefetch_missed = (prefetching.to(fetching, cond="more_to_vend")
                       | prefetching.to(browsing, cond="session_open")
                       | prefetching.to(ready, cond="is_open") | prefetching.to(closed))

    # one book out: fetch, check its tag and security bit, show it, wait for the take
    book_fetched = fetching.to(verifying)
    book_verified = verifying.to(presenting)
    pickup_opened = presenting.to(awaiting_take)
    book_taken = awaiting_take.to(closing_pickup)
    take_timed_out = awaiting_take.to(retracting)
    wrong_book = verifying.to(retracting)
    pickup_closed = (closing_pickup.to(fetching, cond="more_to_vend")
                     | closing_pickup.to(browsing, cond="session_open")
                     | closing_pickup.to(ready, cond="is_open") | closing_pickup.to(closed))
    book_retracted = (retracting.to(recovering, cond="recovering_flow")
                      | retracting.to(fetching, cond="more_to_vend")
                      | retracting.to(browsing, cond="session_open")
                      | retracting.to(ready, cond="is_open") | retracting.to(closed))
    book_taken_late = (retracting.to(recovering, cond="recovering_flow")
                       | retracting.to(fetching, cond="more_to_vend")
                       | retracting.to(browsing, cond="session_open")
                       | retracting.to(ready, cond="is_open") | retracting.to(closed))
    slot_was_empty = (fetching.to(fetching, cond="more_to_vend")
                      | fetching.to(browsing, cond="session_open")
                      | fetching.to(ready, cond="is_open") | fetching.to(closed))

    # a return: open the shutter, take the book in, read it, decide
    return_requested = (ready.to(opening_return)
                        | closed.to(opening_return, cond="returns_when_closed")
                        | servicing.to.itself(internal=True, cond=["job_gives_way", "is_open"])
                        | servicing.to.itself(internal=True,
                                              cond=["job_gives_way", "returns_when_closed"]))
    return_opened = opening_return.to(awaiting_insert)
    book_inserted = awaiting_insert.to(closing_return)
    insert_timed_out = awaiting_insert.to(closing_return)
    return_closed = (closing_return.to(identifying_return, cond="book_in_port")
                     | closing_return.to(recovering, cond="recovering_flow")
                     | closing_return.to(ready, cond="is_open") | closing_return.to(closed))
    return_accepted = identifying_return.to(shelving)
    return_rejected = identifying_return.to(handing_back)
    return_overflow = shelving.to(diverting)
    return_done = (shelving.to(recovering, cond="recovering_flow")
                   | handing_back.to(recovering, cond="recovering_flow")
                   | diverting.to(recovering, cond="recovering_flow")
                   | shelving.to(ready, cond="is_open") | handing_back.to(ready, cond="is_open")
                   | diverting.to(ready, cond="is_open")
                   | shelving.to(closed) | handing_back.to(closed) | diverting.to(closed))

    # faults and the technician: a device's own report (PLC rebooted, hung, faulted,
    # unreachable, interlocked) is ignored while starting and homing (their actions see it),
    # in maintenance (a technician is there) and out of service; an action's fault is not
    _working = (recovering, ready, closed, identifying, pin_entry, checking_pin, renewing, browsing,
                prefetching, fetching, verifying, presenting, awaiting_take, closing_pickup,
                retracting, opening_return, awaiting_insert, closing_return, identifying_return,
                shelving, handing_back, diverting, servicing)
    device_fault = _all_to(out_of_service, *_working)
    fault = (_all_to(out_of_service, starting, homing, maintenance, *_working)
             | out_of_service.to.itself(internal=True))
    maintenance_started = (ready.to(maintenance) | closed.to(maintenance)
                           | out_of_service.to(maintenance))
    maintenance_ended = maintenance.to(homing)
    reset = out_of_service.to(homing)
    stock = (ready.to.itself(internal=True) | closed.to.itself(internal=True)
             | maintenance.to.itself(internal=True))

    # a technician's job runs while no patron is served, and gives way to the next one
    job_started = ready.to(servicing) | closed.to(servicing) | maintenance.to(servicing)
    job_done = (servicing.to(maintenance, cond="job_from_maintenance")
                | servicing.to(ready, cond="is_open") | servicing.to(closed))
    job_gave_way = (servicing.to(identifying, cond="card_waiting")
                    | servicing.to(opening_return, cond="is_open")
                    | servicing.to(opening_return, cond="returns_when_closed")
                    | servicing.to(ready, cond="is_open") | servicing.to(closed))

    def __init__(self, actions: Actions, guards: "Guards"):
        self.actions = actions
        self.guards = guards
        super().__init__()

    @property
    def state(self) -> KioskState:
        """The current state as the enum."""
        return KioskState(next(iter(self.configuration_values)))

    def allows(self, event: str) -> bool:
        """True when the table has a transition for `event` from the current state."""
        return any(allowed.id == event for allowed in self.allowed_events)

    async def on_enter_state(self, target: State, transition: Any = None,
                             payload: dict | None = None, **_: Any) -> None:
        """Hand every entry to the controller's actions (an internal transition enters nothing)."""
        if transition is not None and transition.internal:
            return
        await self.actions.enter(KioskState(target.value), payload or {})

    def is_open(self, **_: Any) -> bool:
        return self.guards.is_open()

    def more_to_vend(self, **_: Any) -> bool:
        return self.guards.more_to_vend()

    def session_open(self, **_: Any) -> bool:
        return self.guards.session_open()

    def book_in_port(self, **_: Any) -> bool:
        return self.guards.book_in_port()

    def use_prefetched(self, **_: Any) -> bool:
        return self.guards.use_prefetched()

    def drop_prefetched(self, **_: Any) -> bool:
        return self.guards.drop_prefetched()

    def returns_when_closed(self, **_: Any) -> bool:
        return self.guards.returns_when_closed()

    def recovering_flow(self, **_: Any) -> bool:
        return self.guards.recovering_flow()

    def job_gives_way(self, **_: Any) -> bool:
        return self.guards.job_gives_way()

    def job_from_maintenance(self, **_: Any) -> bool:
        return self.guards.job_from_maintenance()

    def card_waiting(self, **_: Any) -> bool:
        return self.guards.card_waiting()


class Guards(Protocol):
    """Conditions the transition table asks the controller."""

    def is_open(self) -> bool: ...
    def more_to_vend(self) -> bool: ...
    def session_open(self) -> bool: ...
    def book_in_port(self) -> bool: ...
    def returns_when_closed(self) -> bool: ...
    def use_prefetched(self) -> bool: ...
    def drop_prefetched(self) -> bool: ...
    def recovering_flow(self) -> bool: ...
    def job_gives_way(self) -> bool: ...
    def job_from_maintenance(self) -> bool: ...
    def card_waiting(self) -> bool: ...


def mermaid() -> str:
    """The state diagram in Mermaid syntax."""
    return format(KioskMachine, "mermaid")


def diagram_document() -> str:
    """docs/state-machine.md, generated from the transition table."""
    return (
        "# The kiosk's state machine\n\n"
        "Generated from `kiosk/machine.py` by `python -m kiosk.machine > docs/state-machine.md`;\n"
        "a test fails when this file and the transition table disagree.\n\n"
        "```mermaid\n" + mermaid().strip() + "\n```\n"
    )


if __name__ == "__main__":
    print(diagram_document(), end="")
