"""Re-slotting: popular books to the slots quickest to reach, with TRANSFER, within a budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.job import Job

if TYPE_CHECKING:
    from kiosk.controller import Controller


async def reslot(ctl: "Controller", job: Job) -> None:
    """(being written)"""
    raise NotImplementedError
