"""What a driver's event means for the transition table: a typed event and its payload, or a log
line (and the readers' health) when it changes nothing."""

from __future__ import annotations

import logging

from drivers.card import CardPresented, CardUnreadable
from drivers.carousel import (
    ConnectionLost,
    FaultLatched,
    HeartbeatStalled,
    PlcRebooted,
    SensorsChanged,
    State,
    StateChanged,
)
from kiosk.device_health import HEALTH_EVENTS, DeviceHealth
from kiosk.flows import Credential, CredentialKind
from kiosk.journal import utc_now
from kiosk.steps import Event

log = logging.getLogger(__name__)
DEVICE_FAULTS = (PlcRebooted, HeartbeatStalled, FaultLatched, ConnectionLost)


def fault(code: str, detail: str) -> dict:
    """A fault as `kiosk status` and the screen show it."""
    return {"code": code, "detail": detail, "at": utc_now().isoformat()}


def translate(item: object, health: DeviceHealth) -> tuple[Event, dict] | None:
    """The table event a device event stands for; None when it is only logged (or noted)."""
    if isinstance(item, CardPresented):
        return Event.CARD_PRESENTED, {
            "credential": Credential(CredentialKind.CARD, item.uid.hex().upper())}
    if isinstance(item, CardUnreadable):
        return Event.CARD_UNREADABLE, {"notice": {"code": "card_unreadable"}}
    if isinstance(item, DEVICE_FAULTS):
        log.error("device fault: %s", item)
        return Event.DEVICE_FAULT, {"fault": fault("device", type(item).__name__)}
    if isinstance(item, StateChanged) and item.new is State.INTERLOCK:
        log.error("PLC interlocked: service door open or emergency stop pressed")
        return Event.DEVICE_FAULT, {
            "fault": fault("interlock", "service door open or emergency stop pressed")}
    if isinstance(item, StateChanged):
        log.info("PLC state %s -> %s", item.old.name, item.new.name)
    elif isinstance(item, HEALTH_EVENTS):
        log.warning("reader: %s", item)
        health.note(item)
    elif isinstance(item, SensorsChanged):
        log.debug("sensors %s", item.sensors)
    else:
        log.debug("event %r", item)
    return None
