"""The barcode scanner driver: a thread that reads lines and reports scans, misreads and the port."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import serial

from drivers.barcode.config import BarcodeConfig
from drivers.barcode.parser import LineParser, Misread, Scanned

log = logging.getLogger(__name__)

_POLL = 0.1  # serial read timeout: how often the thread checks for stop()


class PortProblem(Enum):
    """Why the scanner's port is not usable."""

    OPEN_FAILED = "open_failed"
    PORT_LOST = "port_lost"


@dataclass(frozen=True)
class ScannerConnected:
    """The port is open and lines are being read."""

    port: str


@dataclass(frozen=True)
class ScannerDisconnected:
    """The port vanished or cannot be opened; the driver keeps retrying to open it."""

    port: str
    problem: PortProblem
    detail: str  # the OS error, for the log


ScannerEvent = Scanned | Misread | ScannerConnected | ScannerDisconnected


class BarcodeScanner:
    """Reads the scanner in its own thread and calls `on_event` with each event."""

    def __init__(self, config: BarcodeConfig, on_event: Callable[[ScannerEvent], None]):
        self.config = config
        self._on_event = on_event
        self._parser = LineParser(config.max_length)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the reading thread (it opens the port, and reopens it when it vanishes)."""
        if self._thread is not None:
            raise RuntimeError("scanner already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="barcode-scanner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> BarcodeScanner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        down: PortProblem | None = None
        while not self._stop.is_set():
            try:
                port = serial.Serial(self.config.port, self.config.baudrate, timeout=_POLL)
            except (serial.SerialException, OSError) as exc:
                if down is None:
                    down = PortProblem.OPEN_FAILED
                    self._emit(ScannerDisconnected(self.config.port, down, str(exc)))
                self._stop.wait(self.config.reopen_interval)
                continue
            down = None
            self._parser.reset()
            self._emit(ScannerConnected(self.config.port))
            with port:
                down = self._read_until_lost(port)

    def _read_until_lost(self, port: serial.Serial) -> PortProblem | None:
        """Read lines until stop() (None) or the port fails (PORT_LOST)."""
        while not self._stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                self._emit(ScannerDisconnected(self.config.port, PortProblem.PORT_LOST, str(exc)))
                return PortProblem.PORT_LOST
            for event in self._parser.feed(data):
                self._emit(event)
        return None

    def _emit(self, event: ScannerEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # the reading thread must outlive a faulty consumer
            log.exception("on_event failed for %r", event)
