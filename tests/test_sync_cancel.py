"""Sync.run ends when cancelled, even when a kick wakes it in the same moment (Python 3.11's
asyncio.wait_for returned the awakened wait's result and dropped the cancellation)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kiosk.config import SyncConfig
from kiosk.journal import Journal
from kiosk.sync import Sync

IDLE = SyncConfig(retry_initial=0.01, retry_max=300)  # asleep until kicked


class Answers:
    """A library that knows this machine and has nothing to say (unit test stand-in)."""

    async def call(self, method: str, *args: Any) -> Any:
        if method == "info":
            return type("Info", (), {"offline_ok": True})()
        return None


async def idle_sync(journal: Journal) -> tuple[Sync, asyncio.Task]:
    """A running Sync that has probed the library and sleeps until kicked."""
    sync = Sync(journal, Answers(), IDLE, "kiosk-1")
    task = asyncio.create_task(sync.run())
    for _ in range(100):
        await asyncio.sleep(0)
        if sync.status.online and sync._policy_known:
            break
    await asyncio.sleep(0.01)  # in its idle wait
    return sync, task


@pytest.mark.parametrize("turns", range(4))
def test_a_kick_in_the_same_moment_as_the_cancel_does_not_keep_sync_running(turns):
    async def scenario() -> bool:
        with Journal.open(":memory:", slot_count=1) as journal:
            sync, task = await idle_sync(journal)
            sync.kick()
            for _ in range(turns):  # let the wake-up go some way before the cancel
                await asyncio.sleep(0)
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=5)
            return task in done and task.cancelled()

    assert asyncio.run(scenario())
