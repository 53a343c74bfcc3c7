"""Audit: read every slot's tag through the picker antenna and compare with the journal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.job import Job

if TYPE_CHECKING:
    from kiosk.controller import Controller


async def audit(ctl: "Controller", job: Job) -> None:
    """(being written)"""
    raise NotImplementedError
