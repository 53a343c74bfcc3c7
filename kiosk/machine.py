"""The kiosk's states and the transition table: the only way a state changes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from statemachine import State, StateMachine


class KioskState(StrEnum):
    """Every state of the kiosk."""

    STARTING = "starting"
    HOMING = "homing"
    READY = "ready"
    CLOSED = "closed"
    IDENTIFYING = "identifying"
    PIN_ENTRY = "pin_entry"
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


class Actions(Protocol):
    """What the controller does when the machine enters a state."""

    async def enter(self, state: KioskState, payload: dict) -> None:
        """Start the work of `state` (device steps report back through events)."""


def _state(kind: KioskState, initial: bool = False) -> State:
    return State(kind.name.replace("_", " ").title(), value=kind.value, initial=initial)


class KioskMachine(StateMachine):
    """Transition table. Events are sent by the controller's loop; actions run on entry."""

    starting = _state(KioskState.STARTING, initial=True)
    homing = _state(KioskState.HOMING)
    ready = _state(KioskState.READY)
    closed = _state(KioskState.CLOSED)
    identifying = _state(KioskState.IDENTIFYING)
    pin_entry = _state(KioskState.PIN_ENTRY)
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

    # start-up connects, homes and reconciles open intents before `recovered`
    recovered = starting.to(ready, cond="is_open") | starting.to(closed)
    homed = homing.to(ready, cond="is_open") | homing.to(closed)
    hours_changed = ready.to(closed, unless="is_open") | closed.to(ready, cond="is_open")

    # a patron session
    card_presented = ready.to(identifying)
    patron_found = identifying.to(pin_entry, cond="needs_pin") | identifying.to(browsing)
    patron_refused = identifying.to(ready) | pin_entry.to(ready)
    pin_accepted = pin_entry.to(browsing)
    cart_confirmed = (browsing.to(verifying, cond="use_prefetched")
                      | browsing.to(retracting, cond="drop_prefetched")
                      | browsing.to(fetching))
    session_ended = (browsing.to(retracting, cond="drop_prefetched") | browsing.to(ready)
                     | pin_entry.to(ready) | identifying.to(ready))

    # the first chosen book is fetched while the patron still browses; it waits behind the door
    prefetch_started = browsing.to(prefetching)
    book_prefetched = (prefetching.to(verifying, cond="use_prefetched")
                       | prefetching.to(retracting, cond="drop_prefetched")
                       | prefetching.to(browsing))
    prefetch_missed = (prefetching.to(fetching, cond="more_to_vend")
                       | prefetching.to(browsing, cond="session_open") | prefetching.to(ready))

    # one book out: fetch, check its tag and security bit, show it, wait for the take
    book_fetched = fetching.to(verifying)
    book_verified = verifying.to(presenting)
    pickup_opened = presenting.to(awaiting_take)
    book_taken = awaiting_take.to(closing_pickup)
    take_timed_out = awaiting_take.to(retracting)
    wrong_book = verifying.to(retracting)
    pickup_closed = (closing_pickup.to(fetching, cond="more_to_vend")
                     | closing_pickup.to(browsing, cond="session_open")
                     | closing_pickup.to(ready))
    book_retracted = (retracting.to(fetching, cond="more_to_vend")
                      | retracting.to(browsing, cond="session_open")
                      | retracting.to(ready))
    slot_was_empty = (fetching.to(fetching, cond="more_to_vend")
                      | fetching.to(browsing, cond="session_open") | fetching.to(ready))

    # a return: open the shutter, take the book in, read it, decide
    return_requested = ready.to(opening_return) | closed.to(opening_return, cond="returns_when_closed")
    return_opened = opening_return.to(awaiting_insert)
    book_inserted = awaiting_insert.to(closing_return)
    insert_timed_out = awaiting_insert.to(closing_return)
    return_closed = closing_return.to(identifying_return, cond="book_in_port") | closing_return.to(ready)
    return_accepted = identifying_return.to(shelving)
    return_rejected = identifying_return.to(handing_back)
    return_overflow = identifying_return.to(diverting) | shelving.to(diverting)
    return_done = (shelving.to(ready) | handing_back.to(ready) | diverting.to(ready))

    # faults and the technician
    fault = (homing.to(out_of_service) | ready.to(out_of_service) | closed.to(out_of_service)
             | identifying.to(out_of_service) | pin_entry.to(out_of_service)
             | browsing.to(out_of_service) | prefetching.to(out_of_service)
             | fetching.to(out_of_service)
             | verifying.to(out_of_service) | presenting.to(out_of_service)
             | awaiting_take.to(out_of_service) | closing_pickup.to(out_of_service)
             | retracting.to(out_of_service) | opening_return.to(out_of_service)
             | awaiting_insert.to(out_of_service) | closing_return.to(out_of_service)
             | identifying_return.to(out_of_service) | shelving.to(out_of_service)
             | handing_back.to(out_of_service) | diverting.to(out_of_service)
             | starting.to(out_of_service) | out_of_service.to.itself(internal=True))
    maintenance_started = (ready.to(maintenance) | closed.to(maintenance)
                           | out_of_service.to(maintenance))
    maintenance_ended = maintenance.to(homing)
    reset = out_of_service.to(homing)

    def __init__(self, actions: Actions, guards: "Guards"):
        self.actions = actions
        self.guards = guards
        super().__init__()

    @property
    def state(self) -> KioskState:
        """The current state as the enum."""
        return KioskState(next(iter(self.configuration_values)))

    async def on_enter_state(self, target: State, payload: dict | None = None) -> None:
        """Hand every entry to the controller's actions, with the event's payload."""
        await self.actions.enter(KioskState(target.value), payload or {})

    def is_open(self, **_: Any) -> bool:
        return self.guards.is_open()

    def needs_pin(self, **_: Any) -> bool:
        return self.guards.needs_pin()

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


class Guards(Protocol):
    """Conditions the transition table asks the controller."""

    def is_open(self) -> bool: ...
    def needs_pin(self) -> bool: ...
    def more_to_vend(self) -> bool: ...
    def session_open(self) -> bool: ...
    def book_in_port(self) -> bool: ...
    def returns_when_closed(self) -> bool: ...
    def use_prefetched(self) -> bool: ...
    def drop_prefetched(self) -> bool: ...


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
