"""Control-socket requests (records)."""

from __future__ import annotations

from kiosk.control_api import RequestSpec

REQUESTS: dict[str, RequestSpec] = {}
