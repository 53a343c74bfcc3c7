"""The controller's TOML config: every section validated at start, with file, key and reason."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.barcode import BarcodeConfig
from drivers.card import CardConfig
from drivers.carousel import CarouselConfig
from drivers.carousel.geometry import REFERENCE_TIMING
from drivers.config import build_config, require_range, type_hints
from drivers.errors import DriverConfigError
from drivers.rfid import RfidConfig
from kiosk import technician_pin
from kiosk.connectors import HttpConnectorConfig, Sip2ConnectorConfig
from kiosk.connectors.config import read_login, read_token
from kiosk.policy import PolicyConfig
from kiosk.speech_config import AccessibilityConfig, SpeechConfig


class ConfigError(Exception):
    """The config cannot be used: the controller refuses to start."""


@dataclass(frozen=True)
class MachineConfig:
    """Who this machine is and where it keeps its state."""

    id: str = "kiosk-1"
    state_dir: str = "/var/lib/kiosk"
    endpoints_file: str | None = None  # a simulator's endpoints.json fills in device addresses
    journal_reserve_mb: float = 64.0  # less room than this for the journal: no new patron

    def __post_init__(self) -> None:
        require_range("journal_reserve_mb", self.journal_reserve_mb, 0.0, 1_000_000.0)


@dataclass(frozen=True)
class SessionConfig:
    """Patron-facing timeouts (seconds) and session rules."""

    idle_timeout: float = 120.0  # the backstop: the screens warn and end sessions first
    pickup_timeout: float = 60.0
    insert_timeout: float = 30.0
    barcode_timeout: float = 30.0  # a return with an unreadable tag waits this long for a scan
    pin_required: bool = False
    returns_when_closed: bool = True
    library_deadline: float = 10.0  # a patron lookup or PIN check slower than this goes offline

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "pickup_timeout", "insert_timeout", "barcode_timeout"):
            require_range(name, getattr(self, name), 1.0, 3600.0)
        require_range("library_deadline", self.library_deadline, 0.5, 120.0)


# Seconds a screen waits for the patron before it gives up (the session ends, or the screen
# goes back to the start); the warning with "more time" comes `idle_warning` seconds earlier.
SCREEN_PING_SECONDS = 10.0  # a touch tells the controller at most this often (js/idle.js)
LOOPBACK_URL = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\]):([0-9]{1,5})/[!-~]*")


def _loopback_url(url: str) -> bool:
    """An http:// URL on a loopback host with a port."""
    match = LOOPBACK_URL.fullmatch(url)
    return bool(match) and 1 <= int(match.group(2)) <= 65535
IDLE_SCREENS = {"pin": 60.0, "browse": 90.0, "detail": 60.0, "cart": 60.0, "loans": 60.0,
                "holds": 60.0, "summary": 45.0, "receipt": 40.0, "notice": 30.0}


@dataclass(frozen=True)
class UiConfig:
    """The patron API / touchscreen server (127.0.0.1 only)."""

    host: str = "127.0.0.1"
    port: int = 8080
    request_timeout: float = 10.0  # a request's head, or its body, must arrive within this
    max_connections: int = 32  # connections served at once; more are answered 503 and closed
    idle: dict[str, float] = field(default_factory=dict)  # screen -> seconds before it gives up
    idle_warning: float = 20.0  # the "more time?" warning shows this long before the end
    keypad_events_url: str = ""  # a stand-in keypad's keys as server-sent events (the simulator)

    def __post_init__(self) -> None:
        require_range("port", self.port, 0, 65535)
        if self.keypad_events_url and not _loopback_url(self.keypad_events_url):
            raise DriverConfigError(f"keypad_events_url = {self.keypad_events_url!r} (given, or "
                                    "from [machine] endpoints_file): must be an http:// address "
                                    "on 127.0.0.1, localhost or [::1]")
        require_range("request_timeout", self.request_timeout, 0.1, 300.0)
        require_range("max_connections", self.max_connections, 1, 1000)
        require_range("idle_warning", self.idle_warning, 20.0, 120.0)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise DriverConfigError(f"host = {self.host!r}: the patron API listens on loopback only")
        unknown = sorted(set(self.idle) - set(IDLE_SCREENS))
        if unknown:
            raise DriverConfigError(f"idle: unknown screen {unknown[0]!r} "
                                    f"(screens: {', '.join(IDLE_SCREENS)})")
        for screen, seconds in self.idle.items():
            require_range(f"idle.{screen}", seconds, self.idle_warning + 1, 900.0)

    def idle_seconds(self) -> dict[str, float]:
        """Every screen's idle length: the configured ones over the defaults."""
        return {**IDLE_SCREENS, **{k: float(v) for k, v in self.idle.items()}}


@dataclass(frozen=True)
class ControlConfig:
    """The technician's control socket and who may change the machine through it."""

    socket: str = "/run/kiosk/control.sock"
    group: str = "kiosk"  # the socket's group (0660): technicians are its members
    technician_pin_hash: str = ""  # from `kiosk pin-hash`; empty: changing commands refused
    pin_tries: int = 3  # wrong PINs from one user before a lock-out
    pin_lockout: float = 30.0  # seconds of the first lock-out; each further wrong PIN doubles it

    def __post_init__(self) -> None:
        require_range("pin_tries", self.pin_tries, 1, 100)
        require_range("pin_lockout", self.pin_lockout, 1.0, 3600.0)
        if not self.group or not self.group.isprintable():
            raise DriverConfigError(f"group = {self.group!r}: must be a group name")
        if self.technician_pin_hash:
            try:
                technician_pin.parse(self.technician_pin_hash)
            except technician_pin.PinHashError as exc:
                raise DriverConfigError(f"technician_pin_hash: {exc}") from None


@dataclass(frozen=True)
class SyncConfig:
    """Delivery of journal events to the library system."""

    batch_size: int = 200  # a week offline at a busy branch (~25,000 events) in ~125 requests
    retry_initial: float = 1.0
    retry_max: float = 300.0
    offline_after_failures: int = 1
    holds_every: float = 300.0  # seconds between pulls of the library's holds (HTTP); 0: never

    def __post_init__(self) -> None:
        require_range("batch_size", self.batch_size, 1, 1000)
        if self.holds_every:
            require_range("holds_every", self.holds_every, 1, 86400)
        require_range("retry_initial", self.retry_initial, 0.01, 3600)
        require_range("retry_max", self.retry_max, self.retry_initial, 86400)
        require_range("offline_after_failures", self.offline_after_failures, 1, 100)


LOG_FORMATS = ("logfmt", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class LogConfig:
    """How `kiosk run` logs: one line per record (journald), ids masked."""

    format: str = "logfmt"  # key=value pairs, or one JSON object per line
    level: str = "INFO"

    def __post_init__(self) -> None:
        if self.format not in LOG_FORMATS:
            raise DriverConfigError(f"format = {self.format!r}: must be one of {LOG_FORMATS}")
        if self.level not in LOG_LEVELS:
            raise DriverConfigError(f"level = {self.level!r}: must be one of {LOG_LEVELS}")


@dataclass(frozen=True)
class AlertsConfig:
    """What the technician is alerted to, and the optional webhook that tells them."""

    evaluate_every: float = 5.0  # seconds between evaluations on the controller's loop
    pickup_left_after: float = 120.0  # a book in the pickup port with no vend waiting this long
    bin_capacity: int = 30  # books the overflow bin holds
    bin_nearly_full: float = 0.8  # share of bin_capacity that raises the alert
    min_free_slots: int = 20  # fewer free slots than this raises the alert
    library_down_after: float = 600.0  # seconds the library link may be down before an alert
    webhook: str | None = None  # http(s) URL that receives a JSON POST when an alert starts/ends
    webhook_timeout: float = 5.0
    webhook_retries: int = 3  # further attempts after a failed POST (then logged and dropped)

    def __post_init__(self) -> None:
        require_range("evaluate_every", self.evaluate_every, 0.5, 300.0)
        require_range("pickup_left_after", self.pickup_left_after, 1.0, 86400.0)
        require_range("bin_capacity", self.bin_capacity, 1, 10000)
        require_range("bin_nearly_full", self.bin_nearly_full, 0.05, 1.0)
        require_range("min_free_slots", self.min_free_slots, 0, 100000)
        require_range("library_down_after", self.library_down_after, 1.0, 604800.0)
        require_range("webhook_timeout", self.webhook_timeout, 0.1, 120.0)
        require_range("webhook_retries", self.webhook_retries, 0, 20)
        if self.webhook is not None and not self.webhook.startswith(("http://", "https://")):
            raise DriverConfigError(f"webhook = {self.webhook!r}: must be an http:// or "
                                    "https:// URL")


@dataclass(frozen=True)
class KioskConfig:
    """The whole, validated config."""

    path: Path
    machine: MachineConfig
    carousel: CarouselConfig
    rfid: RfidConfig
    barcode: BarcodeConfig
    card: CardConfig
    library: HttpConnectorConfig | Sip2ConnectorConfig
    policy: PolicyConfig
    session: SessionConfig
    ui: UiConfig
    control: ControlConfig
    sync: SyncConfig
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    log: LogConfig = field(default_factory=LogConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    accessibility: AccessibilityConfig = field(default_factory=AccessibilityConfig)

    @property
    def journal_path(self) -> Path:
        """The SQLite journal."""
        return Path(self.machine.state_dir) / "journal.db"


SECTIONS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "machine": lambda v: build_config(MachineConfig, v, "machine"),
    "carousel": lambda v: build_config(CarouselConfig, v, "carousel"),
    "rfid": lambda v: build_config(RfidConfig, v, "rfid"),
    "barcode": lambda v: build_config(BarcodeConfig, v, "barcode"),
    "card": lambda v: build_config(CardConfig, v, "card"),
    "library": lambda v: _library_config(v),
    "policy": lambda v: build_config(PolicyConfig, v, "policy"),
    "session": lambda v: build_config(SessionConfig, v, "session"),
    "ui": lambda v: build_config(UiConfig, v, "ui"),
    "control": lambda v: build_config(ControlConfig, v, "control"),
    "sync": lambda v: build_config(SyncConfig, v, "sync"),
    "alerts": lambda v: build_config(AlertsConfig, v, "alerts"),
    "log": lambda v: build_config(LogConfig, v, "log"),
    "speech": lambda v: build_config(SpeechConfig, v, "speech"),
    "accessibility": lambda v: build_config(AccessibilityConfig, v, "accessibility"),
}
REQUIRED = ("carousel", "rfid", "barcode", "card", "library")


def load_config(path: Path) -> KioskConfig:
    """Read and validate a config file; any problem is a ConfigError naming file, key, reason."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _build(path, raw)
    except DriverConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _build(path: Path, raw: dict[str, Any]) -> KioskConfig:
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise DriverConfigError(f"unknown section(s): {', '.join(unknown)}")
    for name, value in raw.items():
        if not isinstance(value, dict):
            raise DriverConfigError(f"{name} must be a [section], not a single value")
    _refuse_nul(raw, "")
    base = Path(os.path.abspath(path)).parent
    sections = {name: dict(raw.get(name, {})) for name in SECTIONS}
    machine = SECTIONS["machine"](sections["machine"])
    if machine.endpoints_file:
        _fill_from_endpoints(_resolve(base, machine.endpoints_file), machine.endpoints_file, sections)
    for name in REQUIRED:
        if name not in raw and not sections[name]:
            raise DriverConfigError(f"[{name}] is missing")
    library = sections["library"]
    library.setdefault("machine_id", machine.id)
    for section, key in PATH_KEYS:
        if isinstance(sections[section].get(key), str):
            sections[section][key] = _resolve(base, sections[section][key])
    _require_keys(sections)
    built = {name: SECTIONS[name](values) for name, values in sections.items()}
    _check_credentials(built["library"], raw.get("library", {}).get("credentials_file"))
    _check_idle(built["session"], built["ui"])
    return KioskConfig(path=path, **built)


def _check_idle(session: SessionConfig, ui: UiConfig) -> None:
    """The controller's idle timer backs up the screen's: it must not end a session first."""
    in_session = {k: v for k, v in ui.idle_seconds().items() if k != "notice"}  # notice: no session
    screen, longest = max(in_session.items(), key=lambda item: item[1])
    if session.idle_timeout < longest + SCREEN_PING_SECONDS:
        raise DriverConfigError(
            f"[session] idle_timeout = {session.idle_timeout:g} must be at least the screen's "
            f"[ui] idle.{screen} = {longest:g} + {SCREEN_PING_SECONDS:g}: the session would end "
            "before the screen's warning")


# Paths in the config are relative to the config file's folder (device paths are absolute).
PATH_KEYS = (("machine", "state_dir"), ("machine", "endpoints_file"), ("control", "socket"),
             ("library", "credentials_file"), ("library", "ca_file"), ("speech", "files_dir"))


def _resolve(base: Path, value: str) -> str:
    """`value` as an absolute path, relative ones taken from the config file's folder."""
    return os.path.normpath(base / os.path.expanduser(value))


def _require_keys(sections: Mapping[str, Mapping[str, Any]]) -> None:
    """Name the keys without a default that a section lacks."""
    classes = type_hints(KioskConfig)
    for name, values in sections.items():
        cls, extra = classes[name], set()
        if name == "library":
            kind, extra = values.get("kind", "http"), {"kind"}
            kinds = {"http": HttpConnectorConfig, "sip2": Sip2ConnectorConfig}
            cls = kinds.get(kind) if isinstance(kind, str) else None
        if cls is None or set(values) - {f.name for f in dataclasses.fields(cls)} - extra:
            continue  # a bad kind or an unknown key: building the section names it
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise DriverConfigError(f"[{name}] {', '.join(missing)}: required, has no default")


def _refuse_nul(value: Any, where: str) -> None:
    """No text in a config may hold a NUL (TOML allows "\\u0000"; no path or name can)."""
    if isinstance(value, str) and "\x00" in value:
        raise DriverConfigError(f"{where}: a NUL character is not allowed")
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, inner in items:
        _refuse_nul(inner, f"[{key}]" if not where else f"{where} {key}")


def _check_credentials(library: HttpConnectorConfig | Sip2ConnectorConfig, given: Any) -> None:
    """The credentials file must exist and hold a token (http) or user:password (sip2)."""
    try:
        if isinstance(library, HttpConnectorConfig):
            read_token(library.credentials_file)
        else:
            read_login(library.credentials_file)
    except DriverConfigError as exc:
        raise DriverConfigError(f"[library] credentials_file = {given!r}: {exc}") from None


def _library_config(values: Mapping[str, Any]) -> HttpConnectorConfig | Sip2ConnectorConfig:
    values = dict(values)
    kind = values.pop("kind", "http")
    if kind == "http":
        return HttpConnectorConfig.from_mapping(values, "library")
    if kind == "sip2":
        return Sip2ConnectorConfig.from_mapping(values, "library")
    raise DriverConfigError(f"[library] kind = {kind!r}: must be 'http' or 'sip2'")


def _fill_from_endpoints(endpoints_path: str, given: str, sections: dict[str, dict]) -> None:
    """Device addresses a simulator wrote; keys already in the config win."""
    where = f"[machine] endpoints_file = {given!r}"
    try:
        endpoints = json.loads(Path(endpoints_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DriverConfigError(f"{where}: {endpoints_path} does not exist "
                                "(the simulator writes it while it runs: make demo)") from None
    except (OSError, ValueError) as exc:  # also not JSON, not UTF-8, a NUL in the path
        raise DriverConfigError(f"{where}: cannot read {endpoints_path!r}: {exc}") from None
    try:
        addresses = {
            "carousel": {"host": endpoints["modbus"]["host"], "port": endpoints["modbus"]["port"]},
            "rfid": {"port": endpoints["rfid"]["path"]},
            "barcode": {"port": endpoints["barcode"]["path"]},
            "card": {"reader": endpoints["card"]["reader"]},
        }
        library = endpoints["library"]
        url, sip2_host, sip2_port = library["url"], library["sip2_host"], library["sip2_port"]
    except KeyError as exc:
        raise DriverConfigError(f"{where}: {endpoints_path} lacks {exc}") from None
    except TypeError:  # null, a list or a number where a device's addresses should be
        raise DriverConfigError(f"{where}: {endpoints_path} is no simulator's endpoints: "
                                "each device must be an object of its addresses") from None
    for name, values in addresses.items():
        for key, value in values.items():
            sections[name].setdefault(key, value)
    _fill_timing(endpoints.get("speed", 1.0), where, sections["carousel"])
    if isinstance(endpoints.get("world"), dict) and "url" in endpoints["world"]:
        # the simulator's keypad reaches the page as a stream, as the USB keypad's keys would
        sections["ui"].setdefault("keypad_events_url", f"{endpoints['world']['url']}/keypad/events")
    library = sections["library"]
    if library.get("kind", "http") == "http":
        library.setdefault("base_url", url)
    else:
        library.setdefault("host", sip2_host)
        library.setdefault("port", sip2_port)


def _fill_timing(speed: Any, where: str, carousel: dict[str, Any]) -> None:
    """A simulator at speed s moves as the reference machine at 1/s: [carousel.timing] keys
    not in the config are the reference times / s."""
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0:
        raise DriverConfigError(f"{where}: speed {speed!r} is not a positive number")
    given = carousel.get("timing", {})
    if isinstance(given, dict):  # anything else: building [carousel] names the problem
        carousel["timing"] = {**dataclasses.asdict(REFERENCE_TIMING.scaled(1 / speed)), **given}
