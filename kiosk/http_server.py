"""Serving an aiohttp app on loopback with bounded connections, quiet client errors, timeouts."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)

CLIENT_ERRORS = (HttpProcessingError, ConnectionError, asyncio.TimeoutError)
LINGER_SECONDS = 1.0  # reading an unread body after the answer, before closing
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class ServerLog(logging.LoggerAdapter):
    """aiohttp's server logger (its `logger` option): a client's fault is one line, not a traceback.

    aiohttp logs a malformed request (bad request line, bad Content-Length) and a client that
    drops mid-request with `logger.exception`; those become one WARNING line naming the error.
    Anything else (a bug in a handler) keeps its ERROR and traceback.
    """

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        """One line for a client's error; the traceback for ours."""
        if not self._one_line(logging.WARNING, msg, args, exc_info):
            self.logger.error(msg, *args, exc_info=exc_info, **kwargs)

    def debug(self, msg: object, *args: object, exc_info: Any = None, **kwargs: Any) -> None:
        """Debug lines too name a client's error in one line."""
        if not self._one_line(logging.DEBUG, msg, args, exc_info):
            self.logger.debug(msg, *args, exc_info=exc_info, **kwargs)

    def _one_line(self, level: int, msg: object, args: tuple, exc_info: Any) -> bool:
        exc = exc_info if isinstance(exc_info, BaseException) else None
        if exc_info is True:
            exc = sys.exc_info()[1]
        if not isinstance(exc, CLIENT_ERRORS):
            return False
        detail = " ".join(str(exc).split())[:200] or "-"
        self.logger.log(level, f"{msg}: %s: %s", *args, type(exc).__name__, detail)
        return True


class ConnectionCap:
    """A protocol factory around aiohttp's server: at most `limit` connections at once.

    A connection beyond the limit is answered 503 and closed at once. Connections count from
    their accept until aiohttp has finished with them (`Server.connections`).
    """

    def __init__(self, server: web.Server, limit: int) -> None:
        self.server = server
        self.limit = limit
        self._accepting = 0  # handlers made whose connection_made has not run yet
        self._refusing = False

    def __call__(self) -> asyncio.BaseProtocol:
        """A request handler, or a refusal when the limit is reached."""
        if len(self.server.connections) + self._accepting >= self.limit:
            if not self._refusing:
                log.warning("patron API at its limit of %d connections: refusing more", self.limit)
            self._refusing = True
            return _Busy()
        self._refusing = False
        self._accepting += 1
        # connection_made of the handler is scheduled right after this callback, FIFO
        asyncio.get_running_loop().call_soon(self._accepted)
        return self.server()

    def _accepted(self) -> None:
        self._accepting -= 1


class _Busy(asyncio.Protocol):
    """Answers 503 and hangs up."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Refuse this connection."""
        assert isinstance(transport, asyncio.Transport)
        transport.write(BUSY)
        transport.close()


class CappedTCPSite(web.BaseSite):
    """A TCP site of a runner whose connections go through a ConnectionCap."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, max_connections: int) -> None:
        super().__init__(runner)
        self.host = host
        self.port = port
        self.max_connections = max_connections

    @property
    def name(self) -> str:
        """The base URL."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen; `port` becomes the bound port (when 0 was asked for)."""
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            ConnectionCap(server, self.max_connections), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]


async def serve(app: web.Application, host: str, port: int, *, timeout: float,
                max_connections: int) -> tuple[web.AppRunner, str]:
    """Serve `app`: request heads (and idle keep-alive) time out after `timeout` seconds."""
    logger = ServerLog(logging.getLogger("aiohttp.server"))
    runner = web.AppRunner(app, access_log=None, logger=logger, keepalive_timeout=timeout,
                           lingering_time=LINGER_SECONDS)
    await runner.setup()
    site = CappedTCPSite(runner, host, port, max_connections)
    await site.start()
    return runner, site.name
