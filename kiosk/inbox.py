"""What reaches the controller's loop: requests, reads, device and timer events, and their source."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kiosk.steps import Event, Reply

if TYPE_CHECKING:
    from kiosk.controller import Controller

REQUEST_REFUSALS = {Event.RETURN_REQUESTED: "busy", Event.LOANS_ASKED: "no_session",
                    Event.HOLDS_ASKED: "no_session", Event.STILL_HERE: "no_session",
                    Event.RENEW: "no_session", Event.HOLD: "no_session"}


class Source(StrEnum):
    """Where an event came from, which decides what a refusal of it means."""

    ACTION = "action"  # refused: a fault, the machine goes out of service
    REQUEST = "request"  # refused: the patron or technician is told "not now"
    DEVICE = "device"  # refused: ignored in this state (a card tapped mid-vend)
    TIMER = "timer"  # refused: ignored in this state (opening hours while lending)


# Where each event comes from; every other event is an action's step.
EVENT_SOURCES: dict[Event, Source] = {
    **{event: Source.ACTION for event in Event},
    Event.CARD_PRESENTED: Source.DEVICE, Event.CARD_UNREADABLE: Source.DEVICE,
    Event.DEVICE_FAULT: Source.DEVICE, Event.HOURS_CHANGED: Source.TIMER,
    **{event: Source.REQUEST for event in (
        Event.PIN_ENTERED, Event.CART_ADD, Event.CART_REMOVE, Event.CART_CONFIRMED,
        Event.LOANS_ASKED, Event.HOLDS_ASKED, Event.STILL_HERE, Event.RENEW, Event.HOLD, Event.SESSION_ENDED, Event.RETURN_REQUESTED,
        Event.PREFETCH_STARTED, Event.RENEWAL_ASKED, Event.MAINTENANCE_STARTED,
        Event.MAINTENANCE_ENDED, Event.RESET,
        Event.STOCK, Event.JOB_STARTED)},
}


@dataclass
class Request:
    """A patron's or technician's request, answered on the loop through `future`."""

    event: Event
    payload: dict
    handler: Callable[["Controller", dict], Reply] | None
    future: asyncio.Future | None = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass
class Query:
    """A read of the controller's state on the loop (the shelf, the status)."""

    read: Callable[..., Any]
    args: tuple
    future: asyncio.Future = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(frozen=True)
class Reported:
    """An action's step or fault, with the generation of the action that reported it."""

    generation: int
    item: object


@dataclass(frozen=True)
class External:
    """An event from a device or a timer, with its payload."""

    event: Event
    source: Source
    payload: dict = field(default_factory=dict)


def settle(future: asyncio.Future, read: Callable[..., Any], *args: Any) -> None:
    """Answer a query through its future (its error, if it failed)."""
    try:
        future.set_result(read(*args))
    except Exception as exc:
        fail(future, exc)


def fail(future: asyncio.Future | None, exc: BaseException) -> None:
    if future is not None and not future.done():
        future.set_exception(exc)
