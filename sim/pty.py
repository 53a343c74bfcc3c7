"""One end of a simulated serial line: a pseudo-terminal served on the simulator's loop."""

from __future__ import annotations

import asyncio
import logging
import os
import tty
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_PENDING = 64 * 1024  # bytes queued for a client that does not read; a real line drops them


class PtyLine:
    """The master side of a pseudo-terminal, served on the running asyncio loop."""

    def __init__(self, on_data: Callable[[bytes], None]):
        self._on_data = on_data
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._pending = bytearray()

    def open(self) -> str:
        """Create the pty and start serving it; returns the slave's path for clients."""
        self._loop = asyncio.get_running_loop()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing even before a client configures it
        os.set_blocking(self._master, False)
        self._loop.add_reader(self._master, self._readable)
        # Keeping the slave open means a client may close and reopen without EIO on the master.
        return os.ttyname(self._slave)

    def write(self, data: bytes) -> None:
        """Send bytes to the client (queued if the pty is full)."""
        if self._master is None:
            return
        if not self._pending:
            data = data[self._write_now(data):]
            if data:
                self._loop.add_writer(self._master, self._flush)
        room = MAX_PENDING - len(self._pending)
        self._pending += data[:max(room, 0)]

    def close(self) -> None:
        """Stop serving and close both ends."""
        if self._master is not None:
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
            os.close(self._master)
            os.close(self._slave)
        self._master = self._slave = None
        self._pending.clear()

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.warning("pty read failed: %s", exc)
            return
        if data:
            self._on_data(data)

    def _flush(self) -> None:
        del self._pending[:self._write_now(bytes(self._pending))]
        if not self._pending:
            self._loop.remove_writer(self._master)

    def _write_now(self, data: bytes) -> int:
        """Write what the pty takes now; how many bytes went."""
        try:
            return os.write(self._master, data)
        except (BlockingIOError, InterruptedError):
            return 0
