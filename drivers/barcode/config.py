"""Config of the barcode scanner driver ([barcode] in the kiosk's TOML)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.barcode.parser import DEFAULT_MAX_LENGTH
from drivers.config import require_range


@dataclass(frozen=True)
class BarcodeConfig:
    """Where the scanner is, the longest line it may send, and how often to retry the port."""

    port: str
    baudrate: int = 9600
    max_length: int = DEFAULT_MAX_LENGTH
    reopen_interval: float = 1.0

    def __post_init__(self) -> None:
        require_range("baudrate", self.baudrate, 1200, 1_000_000)
        require_range("max_length", self.max_length, 4, 4096)
        require_range("reopen_interval", self.reopen_interval, 0.01, 60.0)
