"""The machine's devices as the controller sees them: drivers built from config, events on the loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from drivers.barcode import BarcodeScanner
from drivers.card import CardReader
from drivers.carousel import Carousel
from drivers.rfid import RfidReader
from kiosk.config import KioskConfig
from kiosk.connectors import HttpConnector, HttpConnectorConfig, LibraryConnector, Sip2Connector

log = logging.getLogger(__name__)
T = TypeVar("T")


class Worker:
    """One thread for one blocking library: calls run in order, the loop awaits them."""

    def __init__(self, name: str):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in the worker's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def shutdown(self) -> None:
        """Let queued calls finish; take no more."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class Devices:
    """Owns the drivers. Thread events reach `post` on the loop; nothing else crosses threads."""

    def __init__(self, config: KioskConfig, post: Callable[[object], None]):
        loop = asyncio.get_running_loop()

        def from_thread(event: object) -> None:
            loop.call_soon_threadsafe(post, event)

        self.carousel = Carousel(config.carousel, post)  # asyncio-native: events on the loop
        self.rfid = RfidReader(config.rfid)
        self.scanner = BarcodeScanner(config.barcode, from_thread)
        self.card = CardReader(config.card, from_thread)
        self.rfid_worker = Worker("rfid")
        self._rfid_open = False
        self._readers_started = False  # the scanner's and card reader's threads

    async def start(self) -> None:
        """Open every device not yet open; the carousel must answer, readers report trouble."""
        if not self._rfid_open:
            await self.rfid_worker.run(self.rfid.open)
            self._rfid_open = True
        if not self._readers_started:
            self.scanner.start()
            self.card.start()
            self._readers_started = True
        if not self.carousel.connected:
            await self.carousel.connect()

    async def rfid_call(self, method: str, *args: Any) -> Any:
        """Call an RfidReader method in the RFID thread."""
        return await self.rfid_worker.run(getattr(self.rfid, method), *args)

    async def stop(self) -> None:
        """Close every device."""
        await self.carousel.close()
        self.card.stop()
        self.scanner.stop()
        await self.rfid_worker.run(self.rfid.close)
        self.rfid_worker.shutdown()


class Library:
    """A library connector on its own thread; every call is awaited on the loop."""

    def __init__(self, connector: LibraryConnector):
        self.connector = connector
        self._worker = Worker("library")

    @classmethod
    def from_config(cls, config: KioskConfig) -> "Library":
        """The connector the config names (HTTP or SIP2)."""
        library = config.library
        if isinstance(library, HttpConnectorConfig):
            return cls(HttpConnector(library))
        return cls(Sip2Connector(library))

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a connector method in the library thread."""
        fn = getattr(self.connector, method)
        return await self._worker.run(lambda: fn(*args, **kwargs))

    def close(self) -> None:
        """Let pending calls finish, stop the thread, close the connector."""
        self._worker.shutdown()
        self.connector.close()
