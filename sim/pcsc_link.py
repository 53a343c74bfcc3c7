"""The card reader's cable: a Unix socket that carries a client's PC/SC traffic to pcscd, and
that the world API can cut (the reader is lost) and mend (it is back).

The virtual card sits in a vpcd reader of the machine's one pcscd, which other programs share;
stopping pcscd to lose the reader would take it from all of them. A client that should lose it
alone talks to pcscd through this link instead: pcsc-lite's client library takes the socket
from `PCSCLITE_CSOCK_NAME` (endpoints.json `card.pcsc_socket`). Cut, every open connection is
closed and the socket is gone, so the client's PC/SC calls fail as when pcscd is gone
(SCARD_E_NO_SERVICE); mended, the socket is there again and a new context finds the reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PCSCD_SOCKET = "/run/pcscd/pcscd.comm"  # pcsc-lite's default
SOCKET_NAME = "pcscd.comm"
MAX_SOCKET_PATH = 100  # a Unix socket's path has at most 107 bytes
CHUNK = 65536


def pcscd_socket() -> str:
    """Where pcscd listens: this process's own PCSCLITE_CSOCK_NAME, else the default."""
    return os.environ.get("PCSCLITE_CSOCK_NAME", PCSCD_SOCKET)


class PcscLink:
    """A cuttable byte pipe from a Unix socket of its own to pcscd's."""

    def __init__(self, upstream: str | None = None, folder: Path | None = None):
        self.upstream = upstream or pcscd_socket()
        self._folder = folder  # where the socket goes when its path is short enough
        self._dir: Path | None = None
        self._own_dir = False  # a folder of its own under /tmp, removed at stop
        self._server: asyncio.AbstractServer | None = None
        self._pipes: set[asyncio.Task] = set()
        self.cut_since: float | None = None  # loop time of the cut; None while it carries

    @property
    def path(self) -> str:
        """The link's socket (a short path: a Unix socket's name has at most 107 bytes)."""
        if self._dir is None:
            raise RuntimeError("the PC/SC link is not started")
        return str(self._dir / SOCKET_NAME)

    @property
    def cut(self) -> bool:
        """True while the link is cut."""
        return self.cut_since is not None

    async def start(self) -> str:
        """Listen (call on the simulator's loop); returns the socket's path."""
        folder = self._folder.resolve() if self._folder is not None else None
        if folder is not None and len(str(folder / SOCKET_NAME)) <= MAX_SOCKET_PATH:
            self._dir = folder
        else:
            self._dir, self._own_dir = Path(tempfile.mkdtemp(prefix="kiosk-pcsc-")), True
        await self._listen()
        return self.path

    async def stop(self) -> None:
        """Close everything and remove the socket."""
        await self._close_all()
        if self._dir is not None and self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    async def set_cut(self, cut: bool) -> None:
        """Cut the link (every connection closed, the socket removed) or mend it."""
        if cut == self.cut:
            return
        if cut:
            self.cut_since = asyncio.get_running_loop().time()
            await self._close_all()
            log.warning("card reader link cut: its client's PC/SC calls fail")
        else:
            await self._listen()
            self.cut_since = None
            log.info("card reader link mended")

    # -- internals --------------------------------------------------------
    async def _listen(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._server = await asyncio.start_unix_server(self._carry, path=self.path)
        os.chmod(self.path, 0o666)  # as pcscd's own socket: any local client may connect

    async def _close_all(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        pipes, self._pipes = list(self._pipes), set()
        for pipe in pipes:
            pipe.cancel()
        for pipe in pipes:
            with contextlib.suppress(asyncio.CancelledError):
                await pipe
        if self._dir is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    async def _carry(self, client_in: asyncio.StreamReader,
                     client_out: asyncio.StreamWriter) -> None:
        """One client connection: pipe it to a connection of its own to pcscd, both ways."""
        task = asyncio.current_task()
        self._pipes.add(task)
        pcscd_out = None
        try:
            pcscd_in, pcscd_out = await asyncio.open_unix_connection(self.upstream)
            await asyncio.gather(_pump(client_in, pcscd_out), _pump(pcscd_in, client_out))
        except OSError as exc:
            log.warning("card reader link: pcscd at %s: %s", self.upstream, exc)
        finally:
            self._pipes.discard(task)
            for writer in (client_out, pcscd_out):
                if writer is not None:
                    writer.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy bytes until the source ends, then end the sink's side too."""
    while data := await source.read(CHUNK):
        sink.write(data)
        await sink.drain()
    if sink.can_write_eof():
        with contextlib.suppress(OSError):
            sink.write_eof()
