"""Config of the membership card reader driver."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.config import require_range
from drivers.errors import DriverConfigError


@dataclass(frozen=True)
class CardConfig:
    """Which PC/SC reader to watch, and how often to wake and to retry."""

    reader: str  # exact reader name, or a prefix of it ("ACS ACR122U" matches "ACS ACR122U 00 00")
    poll_seconds: float = 0.5  # longest wait for a reader change before checking for stop()
    retry_min_seconds: float = 0.2  # first retry after the reader or pcscd is lost
    retry_max_seconds: float = 5.0  # retries back off, doubling, up to this

    def __post_init__(self) -> None:
        if not self.reader.strip():
            raise DriverConfigError("reader must name a reader (or a prefix of its name)")
        require_range("poll_seconds", self.poll_seconds, 0.05, 10.0)
        require_range("retry_min_seconds", self.retry_min_seconds, 0.01, 60.0)
        require_range("retry_max_seconds", self.retry_max_seconds, 0.01, 600.0)
        if self.retry_max_seconds < self.retry_min_seconds:
            raise DriverConfigError(
                f"retry_max_seconds = {self.retry_max_seconds!r} is below "
                f"retry_min_seconds = {self.retry_min_seconds!r}")
