"""Alerts for the technician: conditions over one reading, started and ended with their times.

Evaluated on the controller's loop every `[alerts] evaluate_every` seconds. An alert whose
condition must last (a book left in the pickup port, the library link down) starts once it has
held that long; every alert ends as soon as its condition is gone. Each start and end is logged
and handed to the webhook (sent from a worker thread, never from the loop).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kiosk.config import AlertsConfig
from kiosk.readings import Readings

log = logging.getLogger(__name__)


class Alert(StrEnum):
    """Every alert (the `alert` label of kiosk_alert_active and of the rules)."""

    OUT_OF_SERVICE = "out_of_service"
    PICKUP_ITEM_LEFT = "pickup_item_left"
    BIN_NEARLY_FULL = "overflow_bin_nearly_full"
    FEW_FREE_SLOTS = "few_free_slots"
    LIBRARY_LINK_LOST = "library_link_lost"
    SYNC_CONFLICTS = "sync_conflicts"
    AUDIT_FLAGS = "audit_flags"
    RETURN_HELD = "returned_book_held"
    READER_LOST = "reader_lost"


@dataclass(frozen=True)
class Firing:
    """An alert that fires: since when, and what it is about."""

    alert: Alert
    since: datetime
    detail: dict

    def public(self) -> dict:
        """As JSON for `kiosk alerts`, /health and the webhook."""
        return {"alert": self.alert.value, "since": self.since.isoformat(), "detail": self.detail}


def conditions(r: Readings, config: AlertsConfig) -> dict[Alert, dict | None]:
    """Each alert's condition on one reading: its detail when it holds, else None."""
    bin_limit = math.ceil(config.bin_capacity * config.bin_nearly_full)
    fault = r.fault or {}
    return {
        Alert.OUT_OF_SERVICE: {"fault": fault.get("code"), "fault_detail": fault.get("detail")}
        if r.state == "out_of_service" else None,
        Alert.PICKUP_ITEM_LEFT: {} if r.pickup_unclaimed else None,
        Alert.BIN_NEARLY_FULL: {"items": r.bin_items, "capacity": config.bin_capacity,
                                "sensor_full": r.bin_full_sensor}
        if r.bin_items >= bin_limit or r.bin_full_sensor else None,
        Alert.FEW_FREE_SLOTS: {"free_slots": r.free_slots, "minimum": config.min_free_slots}
        if r.free_slots < config.min_free_slots else None,
        Alert.LIBRARY_LINK_LOST: {"backlog": r.backlog} if not r.library_up else None,
        Alert.SYNC_CONFLICTS: {"conflicts": r.conflicts, "refused": r.refused}
        if r.conflicts else None,
        Alert.AUDIT_FLAGS: {"open_flags": r.open_flags} if r.open_flags else None,
        Alert.RETURN_HELD: {"books": r.holds_ready} if r.holds_ready else None,
        Alert.READER_LOST: {"readers": r.readers_lost} if r.readers_lost else None,
    }


def hold_for(config: AlertsConfig) -> dict[Alert, float]:
    """Seconds a condition must hold before its alert starts (0 for the others)."""
    return {Alert.PICKUP_ITEM_LEFT: config.pickup_left_after,
            Alert.LIBRARY_LINK_LOST: config.library_down_after}


Notify = Callable[[str, Firing], None]  # ("firing" | "resolved", the alert)


class Alerts:
    """Which alerts fire; `update` with each reading starts and ends them."""

    def __init__(self, config: AlertsConfig, notify: Notify | None = None) -> None:
        self.config = config
        self.notify = notify
        self.firing: dict[Alert, Firing] = {}
        self._holding: dict[Alert, float] = {}  # condition true since (monotonic seconds)

    def update(self, reading: Readings, now: datetime, monotonic: float) -> None:
        """Start the alerts whose condition holds (long enough), end the others."""
        delays = hold_for(self.config)
        for alert, detail in conditions(reading, self.config).items():
            if detail is None:
                self._holding.pop(alert, None)
                self._end(alert)
                continue
            since = self._holding.setdefault(alert, monotonic)
            if alert in self.firing:
                self.firing[alert] = Firing(alert, self.firing[alert].since, detail)
            elif monotonic - since >= delays.get(alert, 0.0):
                self._start(Firing(alert, now, detail))

    def active(self) -> dict[str, bool]:
        """Every alert by name: True while it fires."""
        return {alert.value: alert in self.firing for alert in Alert}

    def listing(self) -> list[dict]:
        """The firing alerts, oldest first."""
        return [f.public() for f in sorted(self.firing.values(), key=lambda f: f.since)]

    def _start(self, firing: Firing) -> None:
        self.firing[firing.alert] = firing
        log.warning("alert %s started: %s", firing.alert.value, firing.detail)
        if self.notify is not None:
            self.notify("firing", firing)

    def _end(self, alert: Alert) -> None:
        firing = self.firing.pop(alert, None)
        if firing is None:
            return
        log.info("alert %s ended", alert.value)
        if self.notify is not None:
            self.notify("resolved", firing)
