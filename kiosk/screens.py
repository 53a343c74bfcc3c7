"""The screens that follow the controller's snapshots (server-sent events), each a bounded queue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

QUEUE_SIZE = 16  # a screen that lags this far behind loses its oldest snapshots


class Screens:
    """Subscribers to the controller's snapshots."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue] = set()
        self.listeners: list[Callable[[dict], None]] = []  # called with each snapshot (metrics)

    def subscribe(self) -> asyncio.Queue:
        """A queue that receives every new snapshot; None means the controller is stopping."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        """Stop sending snapshots to `queue`."""
        self._queues.discard(queue)

    def publish(self, snapshot: dict | None) -> None:
        """Send a snapshot to every subscriber (dropping the oldest if one lags)."""
        for listener in self.listeners if snapshot is not None else ():
            try:
                listener(snapshot)
            except Exception:
                log.exception("snapshot listener failed")
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(snapshot)

    def close(self) -> None:
        """Tell every event stream to end (shutdown)."""
        self.publish(None)
