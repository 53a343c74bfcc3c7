"""Typed config of the library connectors, and their credentials files."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from typing import Any

from drivers.config import build_config, require_range
from drivers.errors import DriverConfigError


@dataclass(frozen=True)
class HttpConnectorConfig:
    """[library.http]: the library's HTTP/JSON API (docs/library-api.yaml)."""

    base_url: str
    machine_id: str
    credentials_file: str  # the bearer token, alone in the file
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    retries: int = 2  # every call of this API is safe to repeat (read-only or idempotent)
    backoff: float = 0.2
    verify_tls: bool = True
    ca_file: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any],
                     section: str = "library.http") -> HttpConnectorConfig:
        """Build from a TOML section; unknown keys and wrong types are DriverConfigError."""
        return build_config(cls, values, section)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise DriverConfigError(f"base_url must be http:// or https://: {self.base_url!r}")
        _require_name("machine_id", self.machine_id)
        require_range("connect_timeout", self.connect_timeout, 0.01, 120)
        require_range("read_timeout", self.read_timeout, 0.01, 600)
        require_range("retries", self.retries, 0, 10)
        require_range("backoff", self.backoff, 0, 10)


@dataclass(frozen=True)
class Sip2ConnectorConfig:
    """[library.sip2]: a SIP2 2.00 ACS over TCP."""

    host: str
    port: int
    machine_id: str  # sent as the location code (CP)
    institution_id: str  # AO
    credentials_file: str  # "login_user:password" on one line
    connect_timeout: float = 3.0
    timeout: float = 10.0
    encoding: str = "utf-8"
    error_detection: bool = True
    resend_attempts: int = 2
    timezone: str = "Asia/Seoul"  # of SIP2 dates sent without a zone

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any],
                     section: str = "library.sip2") -> Sip2ConnectorConfig:
        """Build from a TOML section; unknown keys and wrong types are DriverConfigError."""
        return build_config(cls, values, section)

    def __post_init__(self) -> None:
        _require_name("host", self.host)
        require_range("port", self.port, 1, 65535)
        _require_name("machine_id", self.machine_id)
        _require_name("institution_id", self.institution_id)
        require_range("connect_timeout", self.connect_timeout, 0.01, 120)
        require_range("timeout", self.timeout, 0.01, 600)
        require_range("resend_attempts", self.resend_attempts, 0, 10)
        try:
            codecs.lookup(self.encoding)
            ZoneInfo(self.timezone)
        except (LookupError, ZoneInfoNotFoundError, ValueError) as exc:
            raise DriverConfigError(f"bad encoding or timezone: {exc}") from None


def read_token(path: str) -> str:
    """The bearer token in a credentials file (never logged)."""
    token = _read(path)
    if not token or any(c.isspace() for c in token):
        raise DriverConfigError(f"credentials file {path} must hold one token")
    return token


def read_login(path: str) -> tuple[str, str]:
    """(user, password) from a credentials file holding 'user:password'."""
    user, sep, password = _read(path).partition(":")
    if not sep or not user or "\n" in password:
        raise DriverConfigError(f"credentials file {path} must hold one line user:password")
    return user, password


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise DriverConfigError(f"cannot read credentials file {path}: {exc.strerror}") from None


def _require_name(name: str, value: str) -> None:
    if not value or not value.isprintable() or "|" in value:
        raise DriverConfigError(f"{name} must be a non-empty printable string")
