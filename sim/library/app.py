"""LibrarySim: the library-system emulator (HTTP + SIP2 over one SQLite) on a running loop."""

from __future__ import annotations

from collections.abc import Sequence

import logging
from pathlib import Path

from aiohttp import web

from sim.collection import FOREIGN_ISIL, OWNER_ISIL, DemoBook
from sim.library import demo, world
from sim.library.admin_api import AdminApi
from sim.library.clock import LibraryClock
from sim.library.core import Library
from sim.library.db import open_db
from sim.library.faults import Faults
from sim.library.http_api import (
    KioskApi,
    auth_middleware,
    error_middleware,
    fault_middleware,
)
from sim.library.sip2_handlers import Sip2Handlers
from sim.library.sip2_profiles import DEFAULT_PROFILE, PROFILES, Sip2Settings
from sim.library.sip2_server import Sip2Server

DEMO_TOKEN = "demo-library-token"  # bearer token (HTTP) and SIP2 login password of the demo
# s a request still being answered at switch-off may take (an injected latency is cut short)
SHUTDOWN_GRACE = 1.0
log = logging.getLogger(__name__)


class LibrarySim:
    """The library system of the simulator: rules, database, HTTP and SIP2 servers."""

    def __init__(self, db_path: Path, *, machine_id: str = "kiosk-1",
                 home_isil: str = OWNER_ISIL, token: str = DEMO_TOKEN,
                 timezone: str = "Asia/Seoul", sip2_encoding: str = "utf-8",
                 sip2_profile: str = DEFAULT_PROFILE, sip2_idle_timeout: float | None = None,
                 sip2_terminal_password: str | None = None, clock_rate: float = 1.0) -> None:
        if sip2_profile not in PROFILES:
            raise ValueError(f"unknown SIP2 profile {sip2_profile!r}; one of {sorted(PROFILES)}")
        self.machine_id = machine_id
        self.token = token
        self.faults = Faults()
        self.library = Library(open_db(Path(db_path)), LibraryClock(timezone, clock_rate),
                               home_isil)
        self.library.restore_clock()
        with self.library.atomic():
            for isil, name in demo.LIBRARY_NAMES.items():
                world.ensure_library(self.library, isil, name)
            world.ensure_library(self.library, home_isil, demo.LIBRARY_NAMES.get(
                home_isil, f"Library {home_isil}"))
            world.ensure_machine(self.library, machine_id, home_isil)
        self.sip2_settings = Sip2Settings.named(sip2_profile, sip2_idle_timeout,
                                                sip2_terminal_password)
        self._sip2 = Sip2Server(Sip2Handlers(self.library, token, self.sip2_settings),
                                self.faults, sip2_encoding)
        self._runner: web.AppRunner | None = None
        self._http_port = 0
        self._sip2_port = 0
        self._host = "127.0.0.1"

    def load_demo(self, collection: list[DemoBook], spares: Sequence[DemoBook] = ()) -> None:
        """Titles and copies homed to this machine (owned by OWNER_ISIL), spare copies on the
        library's shelves, and demo patrons."""
        demo.load_demo(self.library, collection, self.machine_id, spares)

    def web_app(self) -> web.Application:
        """The aiohttp application: kiosk-facing API and admin API."""
        app = web.Application(middlewares=[
            error_middleware(), auth_middleware(self.token), fault_middleware(self.faults)])
        app.add_routes(KioskApi(self.library).routes())
        app.add_routes(AdminApi(self.library, self.faults, self.sip2_settings).routes())
        return app

    async def start(self, host: str = "127.0.0.1", http_port: int = 0,
                    sip2_port: int = 0) -> None:
        """Start both servers on the running loop (port 0: any free port); returns at once."""
        self._host = host
        self._runner = web.AppRunner(self.web_app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=SHUTDOWN_GRACE)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, http_port).start()
        self._http_port = self._runner.addresses[0][1]  # the port 0 resolved to
        self._sip2_port = await self._sip2.start(host, sip2_port)
        log.info("library emulator: %s, SIP2 %s:%d", self.endpoint()["url"], host,
                 self._sip2_port)

    def endpoint(self) -> dict[str, object]:
        """Where the kiosk finds the library system (for endpoints.json)."""
        return {"url": f"http://{self._host}:{self._http_port}", "sip2_host": self._host,
                "sip2_port": self._sip2_port}

    async def stop(self) -> None:
        """Stop both servers and close the database."""
        await self._sip2.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.library.conn.close()


__all__ = ["DEMO_TOKEN", "FOREIGN_ISIL", "LibrarySim"]
