"""Two pseudo-terminals joined back to back, so that a serial server and a driver each open a path."""

from __future__ import annotations

import asyncio
import os
import tty


class PtyBridge:
    """Bytes written on one slave path come out of the other, pumped on the asyncio loop.

    pymodbus's serial server must open a path, and so must the driver; a single pty has only one
    path (the master has none), hence two ptys whose masters this bridge joins. The bridge keeps
    both slave ends open itself, so either side may close and reopen its path.
    """

    def __init__(self) -> None:
        self._server_master, self._server_slave = os.openpty()
        self._client_master, self._client_slave = os.openpty()
        for fd in (self._server_slave, self._client_slave):
            tty.setraw(fd)
        for fd in (self._server_master, self._client_master):
            os.set_blocking(fd, False)
        self.server_path = os.ttyname(self._server_slave)
        self.client_path = os.ttyname(self._client_slave)
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start pumping on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._server_master, self._pump, self._server_master,
                              self._client_master)
        self._loop.add_reader(self._client_master, self._pump, self._client_master,
                              self._server_master)

    def inject(self, data: bytes) -> None:
        """Raw bytes appear on the line towards the driver (line noise)."""
        self._write(self._client_master, data)

    def close(self) -> None:
        """Stop pumping and close every descriptor."""
        if self._loop is not None:
            for fd in (self._server_master, self._client_master):
                self._loop.remove_reader(fd)
            self._loop = None
        for fd in (self._server_master, self._server_slave, self._client_master, self._client_slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def _pump(self, source: int, sink: int) -> None:
        try:
            data = os.read(source, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the line is gone: stop pumping it
            if self._loop is not None:
                self._loop.remove_reader(source)
            return
        self._write(sink, data)

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        try:
            os.write(fd, data)
        except (BlockingIOError, InterruptedError):
            pass  # nobody reads that end and its buffer is full: the bytes are lost, as on a wire
