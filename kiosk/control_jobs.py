"""Control-socket requests (jobs)."""

from __future__ import annotations

from kiosk.control_api import RequestSpec

REQUESTS: dict[str, RequestSpec] = {}
