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


SIP2_ASCII = "09AZaz|\r"  # what every SIP2 message's framing is written in


@dataclass(frozen=True)
class Sip2ConnectorConfig:
    """[library.sip2]: a SIP2 2.00 ACS over TCP."""

    host: str
    port: int
    machine_id: str
    institution_id: str  # AO
    credentials_file: str  # "login_user:password" on one line
    location_code: str | None = None  # CP at login and the copies' AQ; default machine_id
    terminal_password_file: str | None = None  # AC, alone in the file, for ACSs that want it
    connect_timeout: float = 3.0
    timeout: float = 10.0  # per answer; shorter when the ACS's 98 names a shorter one
    keepalive: float = 0.0  # seconds idle before an SC status (99); 0: none. Keep it below
    # the ACS's idle timeout (Koha's client_timeout, Evergreen's timeout).
    encoding: str = "utf-8"  # the ACS's charset (e.g. euc-kr); checksums cover these bytes
    error_detection: bool = True
    resend_attempts: int = 2  # at most; fewer when the ACS's 98 allows fewer retries
    timezone: str = "Asia/Seoul"  # the ACS's zone: dates are sent, and read, in it
    loan_limit: int = 2  # books at once from this machine when the ACS sends no limit (CB)
    # The codes the ACS gives this library's own members as home library (AQ, PA's sibling):
    # a denied member whose home is another library is then told not_checked_in. Unset: the
    # connector never guesses federation from AQ (Evergreen sends branch short names there).
    home_libraries: list[str] | None = None

    @property
    def here(self) -> str:
        """The ACS's code of this machine: its login location and its copies' AQ."""
        return self.location_code or self.machine_id

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
        require_range("keepalive", self.keepalive, 0, 3600)
        require_range("loan_limit", self.loan_limit, 1, 100)
        if self.location_code is not None:
            _require_name("location_code", self.location_code)
        for code in self.home_libraries or ():
            if not isinstance(code, str):
                raise DriverConfigError("home_libraries must be a list of library codes")
            _require_name("home_libraries", code)
        try:
            codecs.lookup(self.encoding)
            ascii_kept = SIP2_ASCII.encode(self.encoding) == SIP2_ASCII.encode("ascii")
            ZoneInfo(self.timezone)
        except (LookupError, ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "Asia"
            raise DriverConfigError(f"bad encoding or timezone: {exc}") from None
        if not ascii_kept:  # utf-16: SIP2's separators, CR and checksums are ASCII bytes
            raise DriverConfigError(f"encoding = {self.encoding!r}: SIP2 needs a charset that "
                                    "writes ASCII as ASCII (utf-8, euc-kr, cp949, latin-1, ...)")


def read_token(path: str) -> str:
    """The bearer token in a credentials file (never logged)."""
    token = _read(path)
    if not token or any(c.isspace() for c in token):
        raise DriverConfigError(f"credentials file {path} must hold one token")
    return token


def read_secret(path: str) -> str:
    """One password alone in a credentials file (never logged)."""
    secret = _read(path)
    if not secret or "\n" in secret or "|" in secret:
        raise DriverConfigError(f"credentials file {path} must hold one password on one line")
    return secret


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
    except UnicodeDecodeError:
        raise DriverConfigError(f"credentials file {path} is not UTF-8 text") from None
    except ValueError:  # a path no file can have (a NUL character in it)
        raise DriverConfigError(f"credentials file {path!r} is not a usable path") from None


def _require_name(name: str, value: str) -> None:
    if not value or not value.isprintable() or "|" in value:
        raise DriverConfigError(f"{name} must be a non-empty printable string")
