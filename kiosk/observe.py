"""Observability: metrics, alerts and their webhook, /metrics and /health on the patron API's
loopback server.

`/metrics` and `/health` are served by the touchscreen's aiohttp app (127.0.0.1 only, `[ui]`):
no second listener to configure or secure. Both read the controller through `ctl.query`, so a
reading is taken between two events; a loop that does not answer within QUERY_TIMEOUT makes
them answer 503.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from kiosk.alerts import Alerts, Firing
from kiosk.config import KioskConfig
from kiosk.journal import utc_now
from kiosk.metrics import Metrics
from kiosk.readings import read
from kiosk.webhook import Webhook

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)
QUERY_TIMEOUT = 5.0  # seconds /metrics and /health wait for the loop
# Not serving: /health answers 503 (every other state, closed included, is in service).
UNHEALTHY_STATES = frozenset({"starting", "homing", "recovering", "out_of_service",
                              "maintenance"})


class Observability:
    """The controller's metrics and alerts (one per controller)."""

    def __init__(self, config: KioskConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self.webhook: Webhook | None = None
        self.alerts = Alerts(config.alerts, self._notify)

    def attach(self, ctl: "Controller") -> None:
        """Start counting from the controller's journal and snapshots (once it is open)."""
        self.metrics.watch(ctl, lambda: read(ctl), self.alerts.active)

    async def run(self, ctl: "Controller") -> None:
        """Evaluate the alerts on the loop every `[alerts] evaluate_every` seconds, until
        cancelled; the webhook's thread starts here and stops with it."""
        alerts = self.config.alerts
        if alerts.webhook is not None:
            self.webhook = Webhook(alerts.webhook, alerts.webhook_timeout, alerts.webhook_retries)
        try:
            while True:
                try:
                    await ctl.query(self.evaluate)
                except Exception:
                    log.exception("alert evaluation failed")
                await asyncio.sleep(alerts.evaluate_every)
        finally:
            if self.webhook is not None:
                self.webhook.close()

    def evaluate(self, ctl: "Controller") -> None:
        """One evaluation of every alert (on the loop)."""
        self.alerts.update(read(ctl), utc_now(), time.monotonic())

    def _notify(self, status: str, firing: Firing) -> None:
        if self.webhook is not None:
            self.webhook.send({**firing.public(), "status": status,
                               "machine": self.config.machine.id, "at": utc_now().isoformat()})

    def health(self, ctl: "Controller") -> dict:
        """What /health answers (on the loop)."""
        reading = read(ctl)
        return {"state": reading.state, "fault": reading.fault,
                "library_up": reading.library_up, "sync_backlog": reading.backlog,
                "alerts": self.alerts.listing(), "healthy": reading.state not in UNHEALTHY_STATES,
                # silent speech is reported, not unhealthy: the machine still lends books
                "speech": ctl.speaker.status() if getattr(ctl, "speaker", None) else None}


def add_routes(app: web.Application, ctl_key: web.AppKey) -> None:
    """GET /metrics (Prometheus text) and GET /health (JSON) on the patron API's app."""
    app.router.add_get("/metrics", _metrics(ctl_key))
    app.router.add_get("/health", _health(ctl_key))


def _metrics(ctl_key: web.AppKey):
    async def view(request: web.Request) -> web.Response:
        ctl = request.app[ctl_key]
        try:
            async with asyncio.timeout(QUERY_TIMEOUT):
                body = await ctl.query(lambda c: c.observe.metrics.exposition())
        except asyncio.TimeoutError:
            return web.Response(status=503, text="the controller's loop does not answer\n")
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
    return view


def _health(ctl_key: web.AppKey):
    async def view(request: web.Request) -> web.Response:
        ctl = request.app[ctl_key]
        try:
            async with asyncio.timeout(QUERY_TIMEOUT):
                health = await ctl.query(lambda c: c.observe.health(c))
        except asyncio.TimeoutError:
            return web.json_response({"state": "unresponsive", "healthy": False}, status=503)
        return web.json_response(health, status=200 if health["healthy"] else 503)
    return view
