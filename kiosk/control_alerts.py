"""Control-socket requests (alerts): the alerts that fire now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.control_api import Caller, RequestSpec

if TYPE_CHECKING:
    from kiosk.controller import Controller


async def alerts(ctl: "Controller", args: dict, caller: Caller) -> list[dict]:
    """The firing alerts, oldest first: `alert`, `since`, `detail`."""
    return await ctl.query(lambda c: c.observe.alerts.listing())


REQUESTS: dict[str, RequestSpec] = {"alerts": RequestSpec(alerts)}
