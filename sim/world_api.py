"""World-control HTTP API: what a patron, a technician or a test does to the machine."""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from drivers.rfid.tag28560 import TAG_BYTES, tag_crc
from sim import keypad, panel_server
from sim.world import Place, PlaceKind, World, WorldError, make_book

if TYPE_CHECKING:
    from sim.app import Simulator

Handler = Callable[["Simulator", dict], Awaitable[Any]]
ROUTES: dict[str, Handler] = {}
_foreign_serial = itertools.count(1)
SIM: web.AppKey = web.AppKey("sim", object)


class BadRequest(Exception):
    """The request is malformed (400)."""


class NotFound(Exception):
    """The request names something that does not exist (404)."""


def route(path: str) -> Callable[[Handler], Handler]:
    """Register a POST handler under `path`."""
    def register(handler: Handler) -> Handler:
        ROUTES[path] = handler
        return handler
    return register


def field(body: dict, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    """A typed field of the JSON body; missing or mistyped fields are a BadRequest."""
    if name not in body:
        if default is ...:
            raise BadRequest(f"missing field '{name}'")
        return default
    value = body[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise BadRequest(f"field '{name}' has the wrong type")
    return value


def parse_hex(text: str, name: str, lengths: tuple[int, ...]) -> bytes:
    """Bytes from hex; wrong characters or length are a BadRequest."""
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise BadRequest(f"field '{name}' is not hex") from None
    if len(data) not in lengths:
        raise BadRequest(f"field '{name}' must be {' or '.join(map(str, lengths))} bytes")
    return data


# -- the membership card and the scanner -------------------------------------
@route("/card/tap")
async def card_tap(sim: "Simulator", body: dict) -> dict:
    """A patron holds a card with this UID to the reader."""
    uid = parse_hex(field(body, "uid", str), "uid", (4, 7, 10))
    status_words = field(body, "status_words", int, 0x9000)  # anything else: a faulty card
    if not 0 <= status_words <= 0xFFFF:
        raise BadRequest("status_words must be 0..65535")
    await sim.card.tap(uid, status_words=status_words)
    return {"reader": sim.card.reader_name, "uid": uid.hex().upper()}


@route("/card/remove")
async def card_remove(sim: "Simulator", body: dict) -> dict:
    """The patron takes the card away."""
    await sim.card.remove()
    return {}


@route("/barcode/scan")
async def barcode_scan(sim: "Simulator", body: dict) -> dict:
    """The scanner reads a code (a member QR code or an item barcode)."""
    data = field(body, "data", str)
    symbology = field(body, "symbology", (str, type(None)), None)
    sim.scanner.scan(data, symbology, crlf=field(body, "crlf", bool, False))
    return {}


# -- the accessibility keypad and its headphone jack -----------------------------
@route("/keypad/key")
async def keypad_key(sim: "Simulator", body: dict) -> dict:
    """A key of the tactile keypad is pressed: every /keypad/events stream gets it."""
    try:
        return sim.keypad.press(field(body, "key", str))
    except keypad.KeypadError as exc:
        raise BadRequest(str(exc)) from None


@route("/keypad/jack")
async def keypad_jack(sim: "Simulator", body: dict) -> dict:
    """Headphones go into (plugged=true) or come out of the keypad's jack: F9 or F10 is sent."""
    sent = sim.keypad.plug(field(body, "plugged", bool))
    if sent is not None:
        sim.world.changed()  # the panel shows the jack at once
    return {"jack": sim.keypad.jack, "sent": sent}


# -- the patron at the ports ---------------------------------------------------
@route("/pickup/take")
async def pickup_take(sim: "Simulator", body: dict) -> dict:
    """The patron takes the book from the open pickup port."""
    world = sim.world
    if world.sensors.pickup_door_closed:
        raise WorldError("the pickup door is closed")
    book = world.book_at(Place(PlaceKind.PICKUP_PORT))
    if book is None:
        raise WorldError("the pickup port is empty")
    world.move(book.uid, Place(PlaceKind.OUT))
    return {"item_id": book.item_id, "uid": book.uid_hex}


@route("/return/insert")
async def return_insert(sim: "Simulator", body: dict) -> dict:
    """A book is pushed into the open return port: one that is out, a foreign one, or a new one
    the technician loads."""
    world = sim.world
    if world.sensors.return_shutter_closed:
        raise WorldError("the return shutter is closed")
    book = _book_to_insert(sim, body)
    together = [_book_out(world, item_id) for item_id in _item_ids(body, "with")]
    if book in together or len(set(map(id, together))) < len(together):
        raise BadRequest("a book cannot be inserted together with itself")
    world.move(book.uid, Place(PlaceKind.RETURN_PORT))
    for other in together:  # pushed in at once: a stack in the port, every tag in the field
        world.move(other.uid, Place(PlaceKind.RETURN_PORT), stacked=True)
    return {"item_id": book.item_id, "uid": book.uid_hex,
            "with": [{"item_id": b.item_id, "uid": b.uid_hex} for b in together]}


def _item_ids(body: dict, name: str) -> list[str]:
    """An optional list of item ids in the body."""
    ids = field(body, name, list, [])
    if not all(isinstance(item_id, str) for item_id in ids) or len(ids) > 3:
        raise BadRequest(f"field '{name}' must be a list of at most 3 item ids")
    return ids


def _book_out(world: World, item_id: str):
    """A book of the world that a patron has (it is out of the machine)."""
    book = world.find_item(item_id)
    if book is None:
        raise NotFound(f"no book {item_id}")
    if world.place_of(book.uid).kind is not PlaceKind.OUT:
        raise WorldError(f"book {item_id} is inside the machine, not with a patron")
    return book


def _book_to_insert(sim: "Simulator", body: dict):
    world = sim.world
    if "new" in body:
        return _new_book(sim, field(body, "new", dict))
    if "foreign" in body:
        spec = field(body, "foreign", dict)
        item_id = field(spec, "item_id", str)
        uid = _foreign_uid(world)
        book = make_book(uid, item_id, isil=field(spec, "isil", str, "999999"))
        if field(spec, "damaged_tag", bool, False):
            _break_tag(book)
        world.add(book, Place(PlaceKind.OUT))
        return book
    book = _book_out(world, field(body, "item_id", str))
    if field(body, "damaged_tag", bool, False):
        _break_tag(book)
    return book


def _new_book(sim: "Simulator", spec: dict):
    """A copy of this library the machine never had: a spare the library knows (the one named,
    or the next), or with `catalogued` false a tag of this library for an item it does not know."""
    world = sim.world
    item_id = field(spec, "item_id", (str, type(None)), None)
    if not field(spec, "catalogued", bool, True):
        item_id = item_id or f"EMU{next(_foreign_serial):07d}"
        if world.find_item(item_id) is not None:
            raise WorldError(f"book {item_id} exists already")
        book = make_book(_foreign_uid(world), item_id)
    else:
        spare = next((s for s in sim.spares if item_id in (None, s.item_id)
                      and _outside(world, s.item_id)), None)
        if spare is None:
            raise NotFound(f"no spare copy {item_id or ''} outside the machine".replace("  ", " "))
        if (book := world.find_item(spare.item_id)) is not None:
            return book  # brought before, taken out again (or the port was full)
        book = make_book(spare.uid, spare.item_id, title=spare.title.title)
    world.add(book, Place(PlaceKind.OUT))
    return book


def _outside(world: World, item_id: str) -> bool:
    """The book was never in the world, or it is out of the machine now."""
    book = world.find_item(item_id)
    return book is None or world.place_of(book.uid).kind is PlaceKind.OUT


def _break_tag(book) -> None:
    """Break the tag's CRC (once; breaking it again changes nothing): the reader must refuse it."""
    block = bytes(book.memory[:TAG_BYTES])
    if int.from_bytes(block[19:21], "little") == tag_crc(block):
        book.memory[19] ^= 0xFF


def _foreign_uid(world: World) -> bytes:
    """A tag UID no book in the world has (a restored world may hold earlier foreign books)."""
    while True:
        uid = bytes([0xE0, 0x04, 0x01, 0xF0]) + next(_foreign_serial).to_bytes(4, "big")
        if uid not in world.books:
            return uid


@route("/return/take-back")
async def return_take_back(sim: "Simulator", body: dict) -> dict:
    """The patron takes back what the machine pushed out of the return slot (a stack whole)."""
    books = sim.world.move_stack(Place(PlaceKind.RETURN_OPENING), Place(PlaceKind.OUT))
    if not books:
        raise WorldError("no book is waiting in the return opening")
    return {"item_id": books[0].item_id, "uid": books[0].uid_hex,
            "with": [{"item_id": b.item_id, "uid": b.uid_hex} for b in books[1:]]}


@route("/slots/move")
async def slots_move(sim: "Simulator", body: dict) -> dict:
    """Someone moves a book from one slot to another behind the controller's back (an audit
    should find it); `to` null takes it out of the machine altogether."""
    world = sim.world
    source = field(body, "from", int)
    destination = field(body, "to", (int, type(None)))
    book = world.slot_book(source)
    if book is None:
        raise WorldError(f"slot {source} is empty")
    place = Place(PlaceKind.OUT) if destination is None else Place(PlaceKind.SLOT, destination)
    world.move(book.uid, place)
    return {"item_id": book.item_id, "uid": book.uid_hex}


@route("/hand")
async def hand(sim: "Simulator", body: dict) -> dict:
    """A hand enters (present=true) or leaves a door's light curtain."""
    door = field(body, "door", str)
    if door not in ("pickup", "return"):
        raise BadRequest("door must be 'pickup' or 'return'")
    setattr(sim.world.sensors, f"{door}_hand", field(body, "present", bool))
    sim.world.changed()
    return {}


# -- the technician and safety -------------------------------------------------
@route("/service-door")
async def service_door(sim: "Simulator", body: dict) -> dict:
    """Open or close the cabinet's service door."""
    sim.world.sensors.service_door_closed = not field(body, "open", bool)
    sim.world.changed()
    return {}


@route("/picker/unload")
async def picker_unload(sim: "Simulator", body: dict) -> dict:
    """Through the open service door, the technician takes the book a power cut or a jam left
    on the picker and puts it into a slot (`to`), or out of the machine (`to` null)."""
    world = sim.world
    if world.sensors.service_door_closed:
        raise WorldError("the service door is closed")
    book = world.book_at(Place(PlaceKind.PICKER))
    if book is None:
        raise WorldError("the picker holds no book")
    destination = field(body, "to", (int, type(None)))
    place = Place(PlaceKind.OUT) if destination is None else Place(PlaceKind.SLOT, destination)
    world.move(book.uid, place)
    return {"item_id": book.item_id, "uid": book.uid_hex}


@route("/estop")
async def estop(sim: "Simulator", body: dict) -> dict:
    """Press or release the emergency stop."""
    sim.world.sensors.estop_released = not field(body, "pressed", bool)
    sim.world.changed()
    return {}


# -- the aiohttp application ------------------------------------------------------
async def get_world(request: web.Request) -> web.Response:
    """GET /world: the ground truth, the PLC's registers and the card."""
    sim: Simulator = request.app[SIM]
    return web.json_response(sim.world_state())


async def get_books(request: web.Request) -> web.Response:
    """GET /world/books: every book's title by item id."""
    sim: Simulator = request.app[SIM]
    return web.json_response({book.item_id: book.title for book in sim.world.books.values()})


def make_app(sim: "Simulator") -> web.Application:
    """The world API as an aiohttp application."""
    app = web.Application()
    app[SIM] = sim
    app.router.add_get("/world", get_world)
    app.router.add_get("/world/books", get_books)
    panel_server.add_routes(app, SIM)
    keypad.add_routes(app, SIM)
    for path, handler in ROUTES.items():
        app.router.add_post(path, _wrap(handler))
    return app


def _wrap(handler: Handler):
    async def view(request: web.Request) -> web.Response:
        try:
            body = await _json_body(request)
            return web.json_response({"ok": True, **(await handler(request.app[SIM], body))})
        except BadRequest as exc:
            return _error(400, exc)
        except NotFound as exc:
            return _error(404, exc)
        except WorldError as exc:
            return _error(409, exc)
    return view


async def _json_body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        body = json.loads(await request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def _error(status: int, exc: Exception) -> web.Response:
    return web.json_response({"ok": False, "error": str(exc)}, status=status)


from sim import fault_routes  # noqa: E402,F401  (the fault injection routes register here)
