"""Prometheus metrics of the controller: counted from journal events and snapshots, read at scrape.

Counters and histograms are fed by the journal's `on_append` observers (vends, returns, audit
flags, vend timing) and by the screens' snapshots (notices, faults); everything that is a level
(state, slots, bin, backlog, alerts) is read from the controller when Prometheus scrapes, by a
custom collector that runs on the controller's loop (`/metrics` answers through `ctl.query`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kiosk import planner
from kiosk.job_stock import technician_load
from kiosk.journal import Event, EventKind
from kiosk.machine import KioskState
from kiosk.readings import Readings

if TYPE_CHECKING:
    from kiosk.controller import Controller

MECHANICS_BUCKETS = (1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
OVERHEAD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class VendTiming:
    """One vend's times (monotonic seconds) and the timing model's seconds for its motions."""

    started: float
    fetch: float  # model: the FETCH from where the picker was
    door: float  # model: opening the pickup door
    fetched: float | None = None


class Metrics:
    """The controller's own registry (not the global one) and what feeds it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.vends = Counter("kiosk_vends", "Books lent: taken from the pickup port",
                             ["offline"], registry=r)
        self.vend_failures = Counter("kiosk_vend_failures", "Fetches that did not finish OK",
                                     ["reason"], registry=r)
        self.retracts = Counter("kiosk_vends_retracted", "Books presented, not taken, put back",
                                registry=r)
        self.returns = Counter("kiosk_returns", "Returns: accepted, or the rejection's reason",
                               ["outcome"], registry=r)
        self.returns_late = Counter("kiosk_returns_late", "Returns accepted after the due date",
                                    registry=r)
        self.stored = Counter("kiosk_returns_stored", "Returned books stored, by place",
                              ["place"], registry=r)
        self.flags = Counter("kiosk_audit_flags_raised", "Audit flags raised, by reason",
                             ["reason"], registry=r)
        self.notices = Counter("kiosk_patron_notices", "Notices told the patron (refusals and "
                               "news), by code", ["code"], registry=r)
        self.refusals = Counter("kiosk_patron_refusals", "Patron requests answered 409, by reason",
                                ["reason"], registry=r)
        self.faults = Counter("kiosk_faults", "Times the machine went out of service, by fault "
                              "code", ["code"], registry=r)
        self.mechanics = Histogram("kiosk_vend_mechanics_seconds", "The timing model's seconds "
                                   "of a vend's motions (fetch, open the door)",
                                   buckets=MECHANICS_BUCKETS, registry=r)
        self.overhead = Histogram("kiosk_vend_overhead_seconds", "A vend's seconds from its "
                                  "intent to the open door, less its mechanics",
                                  buckets=OVERHEAD_BUCKETS, registry=r)
        self._vends: dict[str, VendTiming] = {}  # by item, from its fetch to its open door
        self._state: str | None = None
        self._verifying_since = 0.0  # monotonic time the kiosk last entered `verifying`
        self._notice_seq = 0
        self._fault: dict | None = None

    def exposition(self) -> bytes:
        """The text exposition of every metric (call on the controller's loop)."""
        return generate_latest(self.registry)

    def watch(self, ctl: "Controller", read: Callable[[], Readings],
              alerts: Callable[[], dict[str, bool]]) -> None:
        """Count from `ctl`'s journal and snapshots; read levels at scrape through `read`."""
        ctl.journal.on_append.append(lambda event: self.journal_event(ctl, event))
        ctl.screens.listeners.append(self.snapshot)
        self.registry.register(LevelCollector(read, alerts, ctl.config.alerts.bin_capacity))

    # -- counted from journal events ----------------------------------------------
    def journal_event(self, ctl: "Controller", event: Event) -> None:
        """Count one stored journal event."""
        kind, payload = event.kind, event.payload
        if kind is EventKind.VEND_STARTED:
            self._vend_started(ctl, payload.item_id, payload.slot)
        elif kind is EventKind.VEND_FETCHED:
            self._vend_fetched(payload.item_id)
        elif kind is EventKind.VEND_PRESENTED:
            self._vend_presented(payload.item_id)
        elif kind is EventKind.VEND_TAKEN:
            self.vends.labels(offline=str(payload.offline).lower()).inc()
        elif kind is EventKind.VEND_FAILED:
            self._vends.pop(payload.item_id, None)
            self.vend_failures.labels(reason=payload.reason.value).inc()
        elif kind is EventKind.VEND_RETRACTED:
            self.retracts.inc()
        elif kind is EventKind.RETURN_IDENTIFIED:
            self.returns.labels(outcome="accepted").inc()
            if payload.days_late:
                self.returns_late.inc()
        elif kind is EventKind.RETURN_REJECTED:
            if not technician_load(ctl.journal, payload.intent_id):  # a load's, not a patron's
                self.returns.labels(outcome=payload.reason.value).inc()
        elif kind in (EventKind.RETURN_SHELVED, EventKind.RETURN_DIVERTED):
            self.stored.labels(place="slot" if kind is EventKind.RETURN_SHELVED else "bin").inc()
        elif kind is EventKind.AUDIT_FLAGGED:
            self.flags.labels(reason=payload.reason.value).inc()

    def _vend_started(self, ctl: "Controller", item_id: str, slot: int) -> None:
        """Note a fetch's start and the model's seconds for it and for the door."""
        status = ctl.mech.last_status if ctl.mech is not None else None
        if status is None:
            return
        fetch, _ = planner.fetch_seconds((status.level, status.position), slot,
                                         status.geometry, ctl.timing)
        self._vends[item_id] = VendTiming(time.monotonic(), fetch, ctl.timing.door)

    def _vend_fetched(self, item_id: str) -> None:
        timing = self._vends.get(item_id)
        if timing is not None:
            timing.fetched = time.monotonic()

    def _vend_presented(self, item_id: str) -> None:
        """Observe a vend's mechanics and overhead: the fetch, then from the tag check (at once,
        or once the patron confirmed a prefetched book) to the open door, each less its model."""
        timing = self._vends.pop(item_id, None)
        if timing is None or timing.fetched is None:
            return
        checked = max(self._verifying_since, timing.fetched)
        overhead = (timing.fetched - timing.started - timing.fetch) + (
            time.monotonic() - checked - timing.door)
        self.mechanics.observe(timing.fetch + timing.door)
        self.overhead.observe(max(0.0, overhead))

    # -- counted from the screens' snapshots -----------------------------------------
    def snapshot(self, snapshot: dict) -> None:
        """Count a new notice (by its sequence number) and a new fault; note when a tag check
        begins (a vend's second half)."""
        if snapshot.get("state") != self._state:
            self._state = snapshot.get("state")
            if self._state == KioskState.VERIFYING.value:
                self._verifying_since = time.monotonic()
        notice, seq = snapshot.get("notice"), snapshot.get("notice_seq", 0)
        if seq != self._notice_seq:
            self._notice_seq = seq
            if notice is not None and notice.get("code"):
                self.notices.labels(code=str(notice["code"])).inc()
        fault = snapshot.get("fault")
        if fault is not None and fault is not self._fault:
            self.faults.labels(code=str(fault.get("code"))).inc()
        self._fault = fault

    def refusal(self, reason: str) -> None:
        """A patron request answered 409 with this reason."""
        self.refusals.labels(reason=reason).inc()


class LevelCollector(Collector):
    """Levels read from the controller at each scrape (on its loop)."""

    def __init__(self, read: Callable[[], Readings], alerts: Callable[[], dict[str, bool]],
                 bin_capacity: int):
        self.read = read
        self.alerts = alerts
        self.bin_capacity = bin_capacity

    def describe(self) -> list[Metric]:
        """Nothing described up front: the families depend on a reading."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Every level metric of one reading."""
        r = self.read()
        state = GaugeMetricFamily("kiosk_state", "1 for the state the kiosk is in",
                                  labels=["state"])
        for kind in KioskState:
            state.add_metric([kind.value], 1.0 if kind.value == r.state else 0.0)
        yield state
        fault = GaugeMetricFamily("kiosk_fault_active", "1 while this fault keeps the kiosk "
                                  "out of service", labels=["code"])
        if r.fault is not None:
            fault.add_metric([str(r.fault.get("code"))], 1.0)
        yield fault
        yield from _gauges(r)
        yield GaugeMetricFamily("kiosk_overflow_bin_capacity", "Books the overflow bin holds "
                                "([alerts] bin_capacity)", value=self.bin_capacity)
        items = GaugeMetricFamily("kiosk_items", "Books of this machine, by where they are",
                                  labels=["place"])
        for place, count in sorted(r.items.items()):
            items.add_metric([place], count)
        yield items
        if r.plc_cycles is not None:
            yield CounterMetricFamily("kiosk_plc_cycles", "Motions the PLC has made (its CYCLES "
                                      "register)", value=r.plc_cycles)
        readers = GaugeMetricFamily("kiosk_reader_up", "1 while the reader answers (the card "
                                    "reader, the barcode scanner)", labels=["reader"])
        for name, ok in sorted(r.readers.items()):
            readers.add_metric([name], 1.0 if ok else 0.0)
        yield readers
        if r.journal_room is not None:
            yield GaugeMetricFamily("kiosk_journal_room_bytes", "Bytes the journal may still grow "
                                    "by (free disk space or the file size limit)",
                                    value=r.journal_room)
        active = GaugeMetricFamily("kiosk_alert_active", "1 while the controller's alert fires",
                                   labels=["alert"])
        for name, firing in sorted(self.alerts().items()):
            active.add_metric([name], 1.0 if firing else 0.0)
        yield active


def _gauges(r: Readings) -> Iterator[Metric]:
    values = {
        "kiosk_library_up": ("1 while the library system answers", r.library_up),
        "kiosk_sync_backlog_events": ("Journal events the library has not acknowledged",
                                      r.backlog),
        "kiosk_sync_oldest_pending_age_seconds": ("Age of the oldest undelivered event (0: none)",
                                                  r.oldest_pending_age),
        "kiosk_sync_conflicts": ("Delivered events the library objected to or refused",
                                 r.conflicts),
        "kiosk_sync_refused": ("Events the library did not record at all", r.refused),
        "kiosk_slots": ("Slots of the drum", r.slots),
        "kiosk_slots_free": ("Slots with no book, no open move and no audit flag", r.free_slots),
        "kiosk_overflow_bin_full": ("1 while the bin's full sensor is on", r.bin_full_sensor),
        "kiosk_audit_flags_open": ("Audit flags not yet cleared", r.open_flags),
        "kiosk_holds_ready": ("Returned books on the shelf held for a patron", r.holds_ready),
        "kiosk_pickup_item_unclaimed": ("1 while a book is in the pickup port and no vend waits "
                                        "for its take", r.pickup_unclaimed),
    }
    for name, (documentation, value) in values.items():
        yield GaugeMetricFamily(name, documentation, value=float(value))
