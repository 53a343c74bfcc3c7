"""What the readers last said about themselves, for `kiosk status` and the technician's alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from drivers.barcode import ScannerConnected, ScannerDisconnected
from drivers.card import ReaderLost, ReaderRestored
from kiosk.journal import utc_now

HEALTH_EVENTS = (ReaderLost, ReaderRestored, ScannerConnected, ScannerDisconnected)


@dataclass
class ReaderHealth:
    """One reader: ok, or lost since when and why."""

    ok: bool = True
    problem: str | None = None
    since: str | None = None


class HealthSource(Protocol):
    """The speaker's health (kiosk/speech.py)."""

    def public(self) -> dict:
        """ok, problem, since."""


class DeviceHealth:
    """The card reader's and the scanner's last word (the RFID reader and PLC answer directly)."""

    def __init__(self) -> None:
        self.card = ReaderHealth()
        self.scanner = ReaderHealth()
        self.speech: HealthSource | None = None  # the earphone's speech, once the speaker exists

    def note(self, event: object) -> None:
        """Take a reader's event."""
        now = utc_now().isoformat()
        if isinstance(event, ReaderLost):
            self.card = ReaderHealth(False, event.reason.value, now)
        elif isinstance(event, ReaderRestored):
            self.card = ReaderHealth(True, None, now)
        elif isinstance(event, ScannerDisconnected):
            self.scanner = ReaderHealth(False, event.problem.name.lower(), now)
        elif isinstance(event, ScannerConnected):
            self.scanner = ReaderHealth(True, None, now)

    def public(self) -> dict:
        """As plain JSON."""
        readers = {"card_reader": vars(self.card), "barcode_scanner": vars(self.scanner)}
        if self.speech is not None:
            readers["speech_output"] = self.speech.public()
        return readers
