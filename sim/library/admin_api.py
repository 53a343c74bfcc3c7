"""The admin/world API for tests and demos: patrons, clock, loans elsewhere, faults, truth."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from aiohttp import web

from sim.collection import FOREIGN_ISIL
from sim.library import patrons, world
from sim.library.core import Library
from sim.library.demo import DEMO_PATRONS
from sim.library.faults import Faults
from sim.library.sip2_profiles import PROFILES, Sip2Settings
from sim.library.validate import (
    BadRequest,
    day,
    flag,
    json_object,
    moment,
    number,
    only,
    path_text,
    text,
)

MAX_AMOUNT = 1e9


class AdminApi:
    """Route handlers of /admin/ (loopback only, no token: a test and demo tool)."""

    def __init__(self, lib: Library, faults: Faults, sip2: Sip2Settings | None = None) -> None:
        self.lib = lib
        self.faults = faults
        self.sip2 = sip2 or Sip2Settings()

    def routes(self) -> list[web.RouteDef]:
        """The admin routes."""
        return [
            web.get("/admin/clock", self.clock),
            web.post("/admin/clock", self.move_clock),
            web.get("/admin/demo-patrons", self.demo_patrons),
            web.post("/admin/patrons", self.create_patron),
            web.get("/admin/patrons/{member_number}", self.patron),
            web.post("/admin/patrons/{member_number}/checkins", self.check_in),
            web.post("/admin/patrons/{member_number}/loans-elsewhere", self.lend_elsewhere),
            web.post("/admin/patrons/{member_number}/fees", self.set_fees),
            web.get("/admin/items/{item_id}", self.item),
            web.post("/admin/items/{item_id}/overdue", self.make_overdue),
            web.post("/admin/items/{item_id}/return", self.return_elsewhere),
            web.post("/admin/items/{item_id}/fee", self.set_loan_fee),
            web.post("/admin/items/{item_id}/hold", self.hold_at_desk),
            web.get("/admin/transactions", self.transactions),
            web.get("/admin/faults", self.get_faults),
            web.post("/admin/faults", self.inject_fault),
            web.delete("/admin/faults", self.clear_faults),
            web.get("/admin/sip2", self.sip2_settings),
            web.put("/admin/sip2", self.set_sip2),
        ]

    async def clock(self, request: web.Request) -> web.Response:
        return self._now()

    async def move_clock(self, request: web.Request) -> web.Response:
        body = json_object(await request.read())
        target = moment(body, "set")
        if target is not None:
            self.lib.clock.set(target)
        days = number(body, "advance_days", default=0, low=-3650, high=3650)
        seconds = number(body, "advance_seconds", default=0, low=-1e9, high=1e9)
        self.lib.clock.advance(timedelta(days=days, seconds=seconds))
        self.lib.save_clock()
        return self._now()

    def _now(self) -> web.Response:
        return web.json_response({"now": self.lib.iso(self.lib.now()),
                                  "timezone": str(self.lib.tz)})

    async def demo_patrons(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(p) for p in DEMO_PATRONS])

    async def create_patron(self, request: web.Request) -> web.Response:
        body = json_object(await request.read())
        checked_in = body.get("checked_in", [])
        if not isinstance(checked_in, list) or not all(isinstance(i, str) for i in checked_in):
            raise BadRequest("checked_in must be a list of ISILs")
        spec = {
            "member_number": text(body, "member_number"), "name": text(body, "name"),
            "home_library": text(body, "home_library", required=False),
            "card_uid": text(body, "card_uid", required=False),
            "pin": text(body, "pin", required=False, max_len=32),
            "expires_on": day(body, "expires_on"), "blocked": flag(body, "blocked"),
            "suspended_until": day(body, "suspended_until"), "checked_in": checked_in,
            "fees_owed": number(body, "fees_owed", default=0, low=0, high=MAX_AMOUNT),
        }
        return web.json_response(world.create_patron(self.lib, spec), status=201)

    async def patron(self, request: web.Request) -> web.Response:
        member = path_text(request.match_info["member_number"], "member_number")
        return web.json_response(world.patron_report(self.lib, member))

    async def check_in(self, request: web.Request) -> web.Response:
        member = path_text(request.match_info["member_number"], "member_number")
        body = json_object(await request.read())
        patrons.check_in(self.lib, member, text(body, "library"))
        return web.json_response(world.patron_report(self.lib, member))

    async def lend_elsewhere(self, request: web.Request) -> web.Response:
        member = path_text(request.match_info["member_number"], "member_number")
        body = json_object(await request.read())
        library = text(body, "library", required=False) or FOREIGN_ISIL
        days = int(number(body, "days_overdue", default=0, low=0, high=3650))
        return web.json_response(world.lend_elsewhere(self.lib, member, library, days),
                                 status=201)

    async def set_fees(self, request: web.Request) -> web.Response:
        member = path_text(request.match_info["member_number"], "member_number")
        body = json_object(await request.read())
        patrons.set_fees(self.lib, member, _amount(body))
        return web.json_response(world.patron_report(self.lib, member))

    async def item(self, request: web.Request) -> web.Response:
        item_id = path_text(request.match_info["item_id"], "item_id")
        return web.json_response(world.item_report(self.lib, item_id))

    async def make_overdue(self, request: web.Request) -> web.Response:
        item_id = path_text(request.match_info["item_id"], "item_id")
        body = json_object(await request.read())
        days = int(number(body, "days", default=1, low=1, high=3650))
        return web.json_response(world.make_overdue(self.lib, item_id, days))

    async def return_elsewhere(self, request: web.Request) -> web.Response:
        item_id = path_text(request.match_info["item_id"], "item_id")
        body = json_object(await request.read())
        return web.json_response(world.return_elsewhere(self.lib, item_id, moment(body, "at")))

    async def hold_at_desk(self, request: web.Request) -> web.Response:
        item_id = path_text(request.match_info["item_id"], "item_id")
        body = json_object(await request.read())
        only(body, ("patron",))
        return web.json_response(world.hold_at_desk(self.lib, item_id, text(body, "patron")),
                                 status=201)

    async def set_loan_fee(self, request: web.Request) -> web.Response:
        item_id = path_text(request.match_info["item_id"], "item_id")
        body = json_object(await request.read())
        return web.json_response(world.set_loan_fee(self.lib, item_id, _amount(body)))

    async def transactions(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            raise BadRequest("limit must be an integer") from None
        return web.json_response(world.transactions(self.lib, max(1, min(limit, 1000))))

    async def get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.describe())

    async def inject_fault(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.inject(json_object(await request.read())))

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({})

    async def sip2_settings(self, request: web.Request) -> web.Response:
        return web.json_response(self.sip2.describe())

    async def set_sip2(self, request: web.Request) -> web.Response:
        """Profile, idle timeout, terminal password: for SIP2 connections opened from now on."""
        body = json_object(await request.read())
        only(body, ("profile", "idle_timeout", "terminal_password"))
        if "profile" in body:
            if body["profile"] not in PROFILES:
                raise BadRequest(f"profile must be one of {sorted(PROFILES)}")
            self.sip2.profile = PROFILES[body["profile"]]
        if "idle_timeout" in body:
            self.sip2.idle_override = None if body["idle_timeout"] is None else number(
                body, "idle_timeout", default=0, low=0, high=86400)
        if "terminal_password" in body:
            self.sip2.terminal_password = text(body, "terminal_password", required=False)
        return web.json_response(self.sip2.describe())


def _amount(body: dict) -> float:
    """The required "amount" of a fee body: a number >= 0."""
    if "amount" not in body:
        raise BadRequest("amount is required")
    return number(body, "amount", default=0, low=0, high=MAX_AMOUNT)
