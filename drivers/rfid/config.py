"""Config of the RFID reader driver ([rfid] in the kiosk's TOML)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.config import require_range


@dataclass(frozen=True)
class RfidConfig:
    """Where the reader is and how patiently to talk to it."""

    port: str
    baudrate: int = 115200
    response_timeout: float = 0.5  # the reader answers within 200 ms; leave room for the OS
    retries: int = 2  # extra attempts after TAG_ERROR or BAD_FRAME

    def __post_init__(self) -> None:
        require_range("baudrate", self.baudrate, 1200, 1_000_000)
        require_range("response_timeout", self.response_timeout, 0.05, 10.0)
        require_range("retries", self.retries, 0, 10)
