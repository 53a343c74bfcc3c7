"""Loading books through the return port and unloading them through the pickup port."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.job import Job

if TYPE_CHECKING:
    from kiosk.controller import Controller


async def load(ctl: "Controller", job: Job) -> None:
    """(being written)"""
    raise NotImplementedError


async def unload(ctl: "Controller", job: Job) -> None:
    """(being written)"""
    raise NotImplementedError
