"""Fixtures for the library tests: the emulator on a background loop, admin calls, connectors."""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.connectors import (
    HttpConnector, HttpConnectorConfig, LibraryConnector, Sip2Connector, Sip2ConnectorConfig,
)
from sim.collection import OWNER_ISIL, demo_collection
from sim.library import DEMO_TOKEN, LibrarySim

MACHINE = "kiosk-1"
BOOKS = 24
# The connector contract runs over HTTP and over SIP2 against every ACS profile of the
# emulator: "sip2" is the project's own ACS (X fields), the others send only what that ACS
# sends (sim/library/sip2_profiles.py).
PROFILES = ("strict", "koha", "evergreen")
CONNECTORS = ("http", "sip2", *(f"sip2-{p}" for p in PROFILES))
_serial = itertools.count(1)


class BackgroundLoop:
    """An asyncio loop in a daemon thread, as the simulator would run the emulator."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Admin:
    """The emulator's admin/world API over real HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        """One admin request; the status must be `expect`."""
        response = self.http.request(method, self.url + path, json=body, timeout=10)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json()

    def patron(self, **spec: Any) -> str:
        """Create a patron of this library (unless told otherwise); return the member number."""
        number = spec.pop("member_number", None) or f"T{next(_serial):07d}"
        self.call("POST", "/admin/patrons",
                  {"member_number": number, "name": "Test Patron", **spec}, expect=201)
        return number

    def advance(self, days: float) -> str:
        """Move the library's clock forward."""
        return self.call("POST", "/admin/clock", {"advance_days": days})["now"]

    def fault(self, transport: str, kind: str, **params: Any) -> None:
        """Inject a fault into the kiosk-facing transport."""
        self.call("POST", "/admin/faults", {"transport": transport, "kind": kind, **params})

    def item(self, item_id: str) -> dict[str, Any]:
        """What the library knows of a copy."""
        return self.call("GET", f"/admin/items/{item_id}")

    def report(self, member: str) -> dict[str, Any]:
        """What the library knows of a patron."""
        return self.call("GET", f"/admin/patrons/{member}")


@dataclass
class RunningLibrary:
    """A started emulator, its endpoint and admin client."""

    sim: LibrarySim
    endpoint: dict[str, Any]
    admin: Admin


@pytest.fixture(scope="session")
def background_loop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    yield loop
    loop.close()


def start_library(loop: BackgroundLoop, path: Path, **options: Any) -> RunningLibrary:
    """A fresh emulator with a small demo collection, started on the loop."""
    sim = LibrarySim(path / "library.sqlite", machine_id=MACHINE, **options)
    sim.load_demo(demo_collection(BOOKS))
    loop.run(sim.start())
    endpoint = sim.endpoint()
    return RunningLibrary(sim, endpoint, Admin(endpoint["url"]))


@pytest.fixture
def library(background_loop: BackgroundLoop, tmp_path: Path) -> Iterator[RunningLibrary]:
    running = start_library(background_loop, tmp_path)
    yield running
    background_loop.run(running.sim.stop())


def make_connector(kind: str, endpoint: dict[str, Any], tmp_path: Path,
                   **options: Any) -> LibraryConnector:
    """An HTTP or SIP2 connector to the emulator at `endpoint` (sip2-<profile>: that ACS)."""
    if kind.startswith("sip2-"):
        Admin(endpoint["url"]).call("PUT", "/admin/sip2", {"profile": kind.removeprefix("sip2-")})
    if kind == "http":
        token = tmp_path / "library-token"
        token.write_text(DEMO_TOKEN + "\n")
        config = HttpConnectorConfig.from_mapping({
            "base_url": endpoint["url"], "machine_id": MACHINE,
            "credentials_file": str(token), "backoff": 0.01, **options})
        return HttpConnector(config)
    login = tmp_path / "sip2-login"
    login.write_text(f"{MACHINE}:{DEMO_TOKEN}\n")
    config = Sip2ConnectorConfig.from_mapping({
        "host": endpoint["sip2_host"], "port": endpoint["sip2_port"], "machine_id": MACHINE,
        "institution_id": OWNER_ISIL, "credentials_file": str(login),
        "home_libraries": [OWNER_ISIL], **options})
    return Sip2Connector(config)


@pytest.fixture(params=CONNECTORS)
def connector(request: pytest.FixtureRequest, library: RunningLibrary,
              tmp_path: Path) -> Iterator[LibraryConnector]:
    conn = make_connector(request.param, library.endpoint, tmp_path)
    yield conn
    conn.close()


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> str:
    """The connector under test: http, sip2 (the project's ACS) or the ACS profile's name."""
    kind = request.node.callspec.params["connector"]
    return kind.removeprefix("sip2-")


# What only some library systems tell; the others are held to what the standard lets a
# connector derive (docs/library.md, "Why the ACS said no").
TELLS = {
    "lookup_home": {"http", "sip2"},  # the home library with the patron's lookup (XH)
    "home": {"http", "sip2", "evergreen"},  # ... with their status (XH, Evergreen's AQ)
    "expiry": {"http", "sip2", "evergreen"},  # the card's expiry (XE, PA)
    "suspension": {"http", "sip2"},  # suspended, until when (XU)
    "book_details": {"http", "sip2"},  # authors and ISBN (XA, XI)
    "conflict": {"http", "sip2"},  # why a no-block transaction was objected to (XR)
    "hold_patron": {"http", "sip2"},  # whom a copy on the hold shelf waits for (XP)
    "hold_queue": {"http", "sip2", "strict", "koha"},  # holds on a copy (CF)
    "renewal_limit": {"http", "sip2"},  # a renewal refused for the limit (XR)
    "not_on_loan": {"http", "sip2", "strict", "koha"},  # a return of a copy not on loan refused
    "return_hold": {"http", "sip2", "koha", "evergreen"},  # whom a return made a hold for (CY/XP)
    "return_hold_expiry": {"http", "sip2"},  # ... and until when it waits (XW)
    "offline_mark": {"http", "sip2"},  # a loan or renewal done offline is marked so (XO)
}


def told(profile: str, what: str) -> bool:
    """Whether the library system under test tells `what` (see TELLS)."""
    return profile in TELLS[what]


@pytest.fixture
def admin(library: RunningLibrary) -> Admin:
    return library.admin


def tx() -> uuid.UUID:
    """A fresh transaction id."""
    return uuid.uuid4()


def item(n: int) -> str:
    """Barcode of the machine's nth demo copy."""
    return f"EM{n:08d}"


# A self-signed certificate for 127.0.0.1 (valid 100 years), for tests only: it lets a test
# serve HTTPS without openssl at test time. The key protects nothing.
TEST_CERT = """-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUMbDeFb18cUkOilwM0k7Rnm01FlUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMzE0MDAyNVoYDzIxMjYxMDMw
MTQwMDI1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQACx5+ugasSQxad6rlP8TIONnBbwxbi4GhXCsMAyX3yyX0FHXe3uPj
evtdDZDZ0w6y7mbiPQmu72RIhp6+NTfFo2QwYjAdBgNVHQ4EFgQUwU7tf650r5s2
p6oD7krnCXK6Ux4wHwYDVR0jBBgwFoAUwU7tf650r5s2p6oD7krnCXK6Ux4wDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IH39KloUMcFqXU0ee2/JBvCyIqELePKWGnOh5SlK74U2AiB82GA8/xC1DlFFd4QU
wbs4A6jDWd5GVn0DRPATi3ud7w==
-----END CERTIFICATE-----
"""
TEST_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQga2NH3PcmVnCaBLur
QiCZqnAnT3e2eG31Z92yvb+4E3qhRANCAAQACx5+ugasSQxad6rlP8TIONnBbwxb
i4GhXCsMAyX3yyX0FHXe3uPjevtdDZDZ0w6y7mbiPQmu72RIhp6+NTfF
-----END PRIVATE KEY-----
"""
