"""The carousel driver's config: a frozen dataclass built by drivers.config.build_config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.carousel.geometry import Timing
from drivers.carousel.registers import DEFAULT_DEVICE_ID, HEARTBEAT_STALL, WORD_MAX
from drivers.config import build_config, require_range
from drivers.errors import DriverConfigError

TRANSPORTS = ("tcp", "rtu")


@dataclass(frozen=True)
class ExpectedGeometry:
    """What the PLC must report at start ([carousel.geometry]); None accepts what it reports."""

    levels: int | None = None
    positions: int | None = None
    pickup_level: int | None = None
    return_level: int | None = None
    fw_version: str | None = None  # "major.minor" of FW_VERSION, e.g. "1.0"

    def __post_init__(self) -> None:
        for name in ("levels", "positions"):
            if getattr(self, name) is not None:
                require_range(name, getattr(self, name), 1, WORD_MAX)
        for name in ("pickup_level", "return_level"):
            level = getattr(self, name)
            if level is not None:
                require_range(name, level, 0, (self.levels or WORD_MAX + 1) - 1)
        if self.fw_version is not None and not re.fullmatch(r"\d{1,3}\.\d{1,3}", self.fw_version):
            raise DriverConfigError(f"fw_version = {self.fw_version!r} must be 'major.minor'")

    @property
    def fw_word(self) -> int | None:
        """FW_VERSION as the PLC reports it (major in the high byte), or None."""
        if self.fw_version is None:
            return None
        major, minor = (int(part) for part in self.fw_version.split("."))
        return major << 8 | minor


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
    poll_interval: float = 0.005  # fast polling: a motion near its predicted end, a sensor wait
    idle_interval: float = 0.3  # status polling when nothing is expected (sees an interlock)
    idle_sensor_interval: float = 0.9  # sensors read at least this often when nobody waits
    heartbeat_stall: float = HEARTBEAT_STALL
    timing: Timing = Timing()  # [carousel.timing]: this machine's motion times
    geometry: ExpectedGeometry = ExpectedGeometry()  # [carousel.geometry]: checked at start

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
        # A hang must show within the spec's second: an idle poll at most every half stall.
        require_range("idle_interval", self.idle_interval, self.poll_interval,
                      self.heartbeat_stall / 2)
        require_range("idle_sensor_interval", self.idle_sensor_interval, self.idle_interval, 10)


def carousel_config(values: Mapping[str, Any], section: str = "carousel") -> CarouselConfig:
    """Build a CarouselConfig from a TOML section; DriverConfigError names the section and key."""
    return build_config(CarouselConfig, values, section)
