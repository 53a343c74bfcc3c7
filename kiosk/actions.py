"""What each state does on entry (its action, handed its flow) or what it waits for instead.

Every state either runs an action that ends with a step, or waits for something named in
WAITS_FOR; a test proves no state is left with neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from kiosk import identify, jobs, recovery, renewal, returning, startup, vending
from kiosk.machine import KioskState
from kiosk.steps import Fault, Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

T = TypeVar("T")
Action = Callable[["Controller", dict], Awaitable[Step | None]]


def need(flow: T | None, what: str) -> T:
    """The flow an action needs; an internal fault when the transition did not provide it."""
    if flow is None:
        raise Fault("internal", f"no {what}")
    return flow


ACTIONS: dict[KioskState, Action] = {
    KioskState.STARTING: lambda ctl, p: startup.start(ctl),
    KioskState.HOMING: lambda ctl, p: startup.home(ctl),
    KioskState.RECOVERING: lambda ctl, p: recovery.settle_next(
        ctl, need(ctl.flows.recovery, "recovery")),
    KioskState.IDENTIFYING: lambda ctl, p: identify.identify(ctl, need(p.get("credential"),
                                                                      "credential")),
    KioskState.CHECKING_PIN: lambda ctl, p: identify.check_pin(
        ctl, need(ctl.flows.pin_wait, "PIN wait"), need(p.get("pin"), "PIN")),
    KioskState.RENEWING: lambda ctl, p: renewal.ask(ctl, need(ctl.flows.renewal, "renewal")),
    KioskState.PREFETCHING: lambda ctl, p: vending.prefetch(ctl, need(ctl.flows.session, "session")),
    KioskState.FETCHING: lambda ctl, p: vending.fetch(ctl, need(ctl.flows.session, "session")),
    KioskState.VERIFYING: lambda ctl, p: vending.verify(ctl, need(ctl.flows.vend, "vend")),
    KioskState.PRESENTING: lambda ctl, p: vending.present(ctl, need(ctl.flows.vend, "vend")),
    KioskState.AWAITING_TAKE: lambda ctl, p: vending.await_take(
        ctl, ctl.flows.session, need(ctl.flows.vend, "vend")),
    KioskState.CLOSING_PICKUP: lambda ctl, p: vending.close_pickup(ctl),
    KioskState.RETRACTING: lambda ctl, p: vending.retract(ctl, ctl.flows.session,
                                                          need(ctl.flows.vend, "vend")),
    KioskState.OPENING_RETURN: lambda ctl, p: returning.open_shutter(ctl),
    KioskState.AWAITING_INSERT: lambda ctl, p: returning.await_insert(ctl),
    KioskState.CLOSING_RETURN: lambda ctl, p: returning.close_shutter(
        ctl, need(ctl.flows.ret, "return")),
    KioskState.IDENTIFYING_RETURN: lambda ctl, p: returning.identify(
        ctl, need(ctl.flows.ret, "return")),
    KioskState.SHELVING: lambda ctl, p: returning.shelve(ctl, need(ctl.flows.ret, "return")),
    KioskState.HANDING_BACK: lambda ctl, p: returning.hand_back(ctl, ctl.flows.ret),
    KioskState.DIVERTING: lambda ctl, p: returning.divert(ctl, need(ctl.flows.ret, "return")),
    KioskState.OUT_OF_SERVICE: lambda ctl, p: startup.light_fault_beacon(ctl),
    KioskState.SERVICING: lambda ctl, p: jobs.run(ctl, need(ctl.flows.job, "job")),
}

# What a state waits for when its action (if any) has ended without a step.
WAITS_FOR: dict[KioskState, str] = {
    KioskState.READY: "a patron (card, QR code or the return button); the hours timer",
    KioskState.CLOSED: "opening time (the hours timer); the return button where allowed",
    KioskState.PIN_ENTRY: "the patron's PIN; the idle timer ends the session",
    KioskState.BROWSING: "the patron's choice; the idle timer ends the session",
    KioskState.OUT_OF_SERVICE: "a technician: reset or maintenance",
    KioskState.MAINTENANCE: "a technician: maintenance off",
}
