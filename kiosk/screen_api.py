"""The touchscreen's page and what it reads beyond the state: the page's files, the machine's
facts (hours, limits, idle lengths), the catalogue, the patron's holds, the receipt.

Handlers only read (through `ctl.query` on the controller's loop) or send a request's event.
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import segno
from aiohttp import web

from kiosk import catalogue, policy, speech_api
from kiosk.journal import utc_now
from kiosk.steps import Event, Refused

if TYPE_CHECKING:
    from kiosk.controller import Controller

UI = Path(__file__).resolve().parent / "ui"
STATIC = UI / "static"
I18N = UI / "i18n"
LANGUAGES = ("ko", "en")  # the first is the default
WEEK = 7
# The page loads nothing from elsewhere and runs no inline script: library text stays text.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")


def add_routes(app: web.Application, ctl_key: web.AppKey) -> None:
    """The page, its files and its read-only API, on the patron API's application."""
    app.router.add_get("/", _page)
    app.router.add_static("/ui/", STATIC, append_version=False)
    app.router.add_static("/i18n/", I18N)
    reads: dict[str, Callable[["Controller"], Awaitable[Any]]] = {
        "/api/info": lambda ctl: ctl.query(machine_facts),
        "/api/catalogue": lambda ctl: ctl.query(catalogue.books),
        "/api/holds": lambda ctl: ctl.request(Event.HOLDS_ASKED),
        "/api/receipt": lambda ctl: ctl.query(receipt),
    }
    for path, read in reads.items():
        app.router.add_get(path, _reader(read, ctl_key))
    app.router.add_get("/api/receipt.svg", _receipt_svg(ctl_key))
    config = getattr(app[ctl_key], "config", None)  # a unit test's stand-in has none
    app.on_response_prepare.append(_securing(config.ui.keypad_events_url if config else ""))


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html",
                            headers={"Content-Type": "text/html; charset=utf-8",
                                     "Cache-Control": "no-cache"})


def _securing(keypad_url: str):
    keypad = _keypad_origin(keypad_url)
    headers = dict(SECURITY_HEADERS)
    if keypad:  # the one other loopback origin the page may read: a stand-in keypad's stream
        headers["Content-Security-Policy"] += f"; connect-src 'self' {keypad}"

    async def secure(request: web.Request, response: web.StreamResponse) -> None:
        """Every answer says: nothing from elsewhere, no sniffing, no referrer."""
        for name, value in headers.items():
            response.headers.setdefault(name, value)
    return secure


def _keypad_origin(url: str) -> str:
    """The origin ("http://127.0.0.1:8765") of the keypad's stream, or ""."""
    return "/".join(url.split("/", 3)[:3]) if url else ""


def _reader(read: Callable[["Controller"], Awaitable[Any]], ctl_key: web.AppKey):
    async def view(request: web.Request) -> web.Response:
        try:
            result = await read(request.app[ctl_key])
        except Refused as exc:
            return web.json_response({"ok": False, "refusal": exc.code}, status=409)
        return web.json_response({"ok": True, "result": result})
    return view


def machine_facts(ctl: "Controller") -> dict:
    """What every screen may say of the machine: hours, limits, idle lengths, languages."""
    config, now = ctl.config.policy, utc_now()
    return {
        "languages": list(LANGUAGES),
        "idle": ctl.config.ui.idle_seconds(),
        "idle_warning": ctl.config.ui.idle_warning,
        "policy": {"max_loans": config.max_loans, "loan_days": config.loan_days,
                   "hold_days": config.hold_days, "renewal_days": config.renewal_days,
                   "max_renewals": config.max_renewals,
                   "offline_max_loans": config.offline_max_loans,
                   "returns_when_closed": ctl.config.session.returns_when_closed},
        "hours": opening_hours(now, config),
        "timezone": config.timezone,
        "keypad_events_url": ctl.config.ui.keypad_events_url or None,
        "accessibility": speech_api.accessibility_facts(ctl.config),
    }


def opening_hours(now, config: policy.PolicyConfig) -> dict:
    """Open now?, until when, when next, and this week's hours ("HH:MM" local, or closed)."""
    opening = policy.next_opening(now, config)
    closes = policy.closing_time(now, config)
    today = policy.local_date(now, config)
    week = []
    for offset in range(WEEK):
        day = today + timedelta(days=offset)
        hours = policy.hours_on(day, config)
        week.append({"date": day.isoformat(),
                     "open": _clock(hours[0]) if hours else None,
                     "close": _clock(hours[1]) if hours else None,
                     "past_midnight": bool(hours) and hours[1] > policy.DAY_MINUTES})
    return {"always_open": config.always_open, "open_now": opening == now,
            "closes_at": closes.isoformat() if closes else None,
            "next_opening": opening.isoformat() if opening and opening != now else None,
            "week": week}


def _clock(minutes: int) -> str:
    """ "HH:MM" of minutes since the day's midnight; past 24:00, the next day's time."""
    if minutes > policy.DAY_MINUTES:
        minutes -= policy.DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def receipt(ctl: "Controller") -> dict:
    """The session's books taken, with due dates: titles and dates only, nothing of the patron."""
    session = ctl.flows.session
    if session is None:
        raise Refused("no_session")
    books = []
    for item_id in session.vended:
        item = ctl.journal.item(item_id)
        books.append({"title": item.title if item else item_id, "due": session.due.get(item_id)})
    return {"books": books}


def receipt_text(books: list[dict]) -> str:
    """The QR code's text: one line per book, its due date, then its title."""
    return "\n".join(f"{book['due']}  {book['title']}" for book in books)


def _receipt_svg(ctl_key: web.AppKey):
    async def view(request: web.Request) -> web.Response:
        try:
            books = (await request.app[ctl_key].query(receipt))["books"]
        except Refused as exc:
            return web.json_response({"ok": False, "refusal": exc.code}, status=409)
        if not books:
            return web.json_response({"ok": False, "refusal": "nothing_borrowed"}, status=409)
        svg = io.BytesIO()
        segno.make(receipt_text(books), error="m", micro=False).save(
            svg, kind="svg", scale=8, border=4, dark="#000", light="#fff",
            xmldecl=False, svgns=True, title=None)
        return web.Response(body=svg.getvalue(), content_type="image/svg+xml",
                            headers={"Cache-Control": "no-store"})
    return view
