"""The carousel driver's config: a frozen dataclass built by drivers.config.build_config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.carousel.registers import DEFAULT_DEVICE_ID, HEARTBEAT_STALL
from drivers.config import build_config, require_range
from drivers.errors import DriverConfigError

TRANSPORTS = ("tcp", "rtu")


@dataclass(frozen=True)
class CarouselConfig:
    """Where the PLC is and how patiently to talk to it (seconds are real time)."""

    transport: str = "tcp"
    host: str = "127.0.0.1"
    port: int = 502
    serial_path: str = ""
    baudrate: int = 115200
    device_id: int = DEFAULT_DEVICE_ID
    request_timeout: float = 1.0  # one Modbus request and its response
    write_attempts: int = 3  # sends of one SEQ write when its response is lost
    command_timeout: float = 60.0  # from the write until DONE_SEQ or REJECT_SEQ shows it
    poll_interval: float = 0.05  # status polling, by execute() and by the monitor
    heartbeat_stall: float = HEARTBEAT_STALL

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise DriverConfigError(f"transport = {self.transport!r} must be one of {TRANSPORTS}")
        if self.transport == "rtu" and not self.serial_path:
            raise DriverConfigError("serial_path is required when transport = 'rtu'")
        if self.transport == "tcp" and not self.host:
            raise DriverConfigError("host is required when transport = 'tcp'")
        require_range("port", self.port, 1, 65535)
        require_range("baudrate", self.baudrate, 1200, 4_000_000)
        require_range("device_id", self.device_id, 1, 247)
        require_range("request_timeout", self.request_timeout, 0.01, 60)
        require_range("write_attempts", self.write_attempts, 1, 20)
        require_range("command_timeout", self.command_timeout, 0.1, 3600)
        require_range("poll_interval", self.poll_interval, 0.005, 10)
        require_range("heartbeat_stall", self.heartbeat_stall, 0.2, 60)


def carousel_config(values: Mapping[str, Any], section: str = "carousel") -> CarouselConfig:
    """Build a CarouselConfig from a TOML section; DriverConfigError names the section and key."""
    return build_config(CarouselConfig, values, section)
