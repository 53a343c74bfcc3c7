"""The simulator's ground truth: where every book is, and the machine's physical state."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from drivers.carousel.geometry import REFERENCE_GEOMETRY, Geometry
from drivers.rfid.tag28560 import TagData, Usage, encode_tag
from sim.collection import OWNER_COUNTRY, OWNER_ISIL, DemoBook

AFI_SECURED = 0x07
AFI_ON_LOAN = 0xC2
TAG_BLOCKS = 8


class WorldError(Exception):
    """A world action that the physical machine could not do (the place is taken, a door shut)."""


class PlaceKind(StrEnum):
    """Every place a book can be."""

    SLOT = "slot"
    PICKER = "picker"
    PICKUP_PORT = "pickup_port"
    RETURN_PORT = "return_port"
    RETURN_OPENING = "return_opening"  # pushed out by EJECT_RETURN, waiting for the patron
    OVERFLOW_BIN = "overflow_bin"
    OUT = "out"  # outside the machine: with a patron, or a book that never was inside


SINGLE_PLACES = (PlaceKind.PICKER, PlaceKind.PICKUP_PORT, PlaceKind.RETURN_PORT, PlaceKind.RETURN_OPENING)
# A patron may push several books into the return port at once: they lie there, and are pushed
# out, as one stack (the first one in at the bottom).
STACKING_PLACES = (PlaceKind.RETURN_PORT, PlaceKind.RETURN_OPENING)


@dataclass(frozen=True)
class Place:
    """A place; `slot` is set only for SLOT."""

    kind: PlaceKind
    slot: int | None = None

    def to_json(self) -> dict:
        """Plain JSON form."""
        return {"kind": self.kind.value, "slot": self.slot}


@dataclass
class Book:
    """A physical item with its RFID tag (UID, memory, AFI)."""

    uid: bytes
    item_id: str
    title: str = ""
    memory: bytearray = field(default_factory=lambda: bytearray(TAG_BLOCKS * 4))
    afi: int = AFI_SECURED
    dsfid: int = 0

    @property
    def uid_hex(self) -> str:
        """UID as upper-case hex, most significant byte first."""
        return self.uid.hex().upper()


def make_book(uid: bytes, item_id: str, *, title: str = "", isil: str = OWNER_ISIL,
              country: str = OWNER_COUNTRY, afi: int = AFI_SECURED) -> Book:
    """A book whose tag holds a valid ISO 28560-3 basic block for `item_id`."""
    tag = TagData(usage=Usage.CIRCULATING, parts=1, part=1, item_id=item_id,
                  country=country, isil=isil)
    memory = bytearray(TAG_BLOCKS * 4)
    memory[:32] = encode_tag(tag)
    return Book(uid=uid, item_id=item_id, title=title, memory=memory, afi=afi)


def book_from_demo(demo: DemoBook) -> Book:
    """The physical copy of a demo-collection entry."""
    return make_book(demo.uid, demo.item_id, title=demo.title.title)


@dataclass
class Sensors:
    """Doors, curtains and safety inputs as the machine's sensors see them."""

    pickup_door_closed: bool = True
    return_shutter_closed: bool = True
    service_door_closed: bool = True
    estop_released: bool = True
    pickup_hand: bool = False  # something in the pickup door's light curtain
    return_hand: bool = False


class World:
    """Ground truth. Every book is in exactly one place; single places hold one book."""

    def __init__(self, geometry: Geometry = REFERENCE_GEOMETRY, bin_capacity: int = 30):
        self.geometry = geometry
        self.bin_capacity = bin_capacity
        self.books: dict[bytes, Book] = {}
        self.sensors = Sensors()
        self.lamps = {"fault_beacon": False, "pickup_lamp": False, "return_lamp": False}
        self.picker_facing: int | None = None  # slot the picker's antenna faces
        self._place_of: dict[bytes, Place] = {}
        self._at: dict[Place, bytes] = {}  # the book at a single place (a stack's bottom one)
        self._stacked: dict[Place, list[bytes]] = {}  # books on top of it (STACKING_PLACES)
        self._bin: list[bytes] = []
        self._listeners: list[Callable[[], None]] = []
        self.version = 0

    # -- books and places -------------------------------------------------
    def add(self, book: Book, place: Place, *, stacked: bool = False) -> None:
        """Put a new book into the world at `place` (`stacked`: onto the books there)."""
        if book.uid in self.books:
            raise WorldError(f"tag {book.uid_hex} already exists")
        self._check_free(place, stacked)
        self.books[book.uid] = book
        self._put(book.uid, place)
        self.changed()

    def load(self, demos: Iterable[DemoBook]) -> None:
        """Stock the drum with the demo collection."""
        for demo in demos:
            self.add(book_from_demo(demo), Place(PlaceKind.SLOT, demo.slot))

    def move(self, uid: bytes, place: Place, *, stacked: bool = False) -> None:
        """Move a book; the destination must be free (`stacked`: or a stacking place, the book
        put on top of what lies there)."""
        if uid not in self.books:
            raise WorldError(f"no book with tag {uid.hex().upper()}")
        self._check_free(place, stacked)
        self._take(uid)
        self._put(uid, place)
        self.changed()

    def move_stack(self, source: Place, place: Place) -> list[Book]:
        """Move every book at a stacking place to `place` together (pushed out, taken back);
        returns them, bottom first."""
        books = self.books_at(source)
        if not books:
            return books
        self._check_free(place)
        if len(books) > 1 and place.kind in SINGLE_PLACES and place.kind not in STACKING_PLACES:
            raise WorldError(f"{len(books)} books do not fit in the {place.kind.value}")
        if place.kind is PlaceKind.OVERFLOW_BIN and len(self._bin) + len(books) > self.bin_capacity:
            raise WorldError("overflow bin is full")
        for book in books:
            self._take(book.uid)
            self._put(book.uid, place)
        self.changed()
        return books

    def place_of(self, uid: bytes) -> Place:
        """Where a book is."""
        return self._place_of[uid]

    def book_at(self, place: Place) -> Book | None:
        """The book at a single place (a slot, the picker, a port), or None."""
        uid = self._at.get(place)
        return None if uid is None else self.books[uid]

    def books_at(self, place: Place) -> list[Book]:
        """Every book at a single place: none, one, or a stack (bottom first)."""
        bottom = self._at.get(place)
        if bottom is None:
            return []
        return [self.books[uid] for uid in (bottom, *self._stacked.get(place, ()))]

    def slot_book(self, slot: int) -> Book | None:
        """The book in a slot, or None."""
        return self.book_at(Place(PlaceKind.SLOT, slot))

    def bin_books(self) -> list[Book]:
        """Books in the overflow bin, oldest first."""
        return [self.books[u] for u in self._bin]

    def bin_full(self) -> bool:
        """Whether the overflow bin can take no more."""
        return len(self._bin) >= self.bin_capacity

    def find_item(self, item_id: str) -> Book | None:
        """The book whose barcode is `item_id` (first match), or None."""
        return next((b for b in self.books.values() if b.item_id == item_id), None)

    def antenna_books(self, antenna: int) -> list[Book]:
        """Tags in the field of antenna 0 (pickup port), 1 (return port), 2 (picker)."""
        if antenna == 0:
            places = [Place(PlaceKind.PICKUP_PORT)]
        elif antenna == 1:
            places = [Place(PlaceKind.RETURN_PORT)]
        elif antenna == 2:
            places = [Place(PlaceKind.PICKER)]
            if self.picker_facing is not None:
                places.append(Place(PlaceKind.SLOT, self.picker_facing))
        else:
            return []
        return [book for place in places for book in self.books_at(place)]

    # -- observers --------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every change (same thread: the simulator's loop)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        """Stop calling `listener` (no-op if it was not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def changed(self) -> None:
        """Note a change and tell the listeners."""
        self.version += 1
        for listener in list(self._listeners):
            listener()

    def snapshot(self) -> dict:
        """The ground truth as plain JSON."""
        def entry(uid: bytes) -> dict:
            book = self.books[uid]
            return {"item_id": book.item_id, "uid": book.uid_hex, "afi": book.afi}

        single = {kind.value: (entry(self._at[Place(kind)]) if Place(kind) in self._at else None)
                  for kind in SINGLE_PLACES}
        slots = {str(p.slot): entry(u) for p, u in sorted(self._at.items(), key=_slot_key)
                 if p.kind is PlaceKind.SLOT}
        out = [entry(u) for u, p in self._place_of.items() if p.kind is PlaceKind.OUT]
        stacked = {kind.value: [entry(u) for u in self._stacked.get(Place(kind), ())]
                   for kind in STACKING_PLACES}
        return {
            "geometry": {"levels": self.geometry.levels, "positions": self.geometry.positions,
                         "pickup_level": self.geometry.pickup_level,
                         "return_level": self.geometry.return_level},
            "slots": slots,
            **single,
            "stacked": stacked,
            "overflow_bin": [entry(u) for u in self._bin],
            "bin_capacity": self.bin_capacity,
            "out": out,
            "sensors": vars(self.sensors).copy(),
            "lamps": dict(self.lamps),
            "picker_facing": self.picker_facing,
            "version": self.version,
        }

    # -- internals --------------------------------------------------------
    def _check_free(self, place: Place, stacked: bool = False) -> None:
        if place.kind is PlaceKind.SLOT:
            if place.slot is None or not 0 <= place.slot < self.geometry.slot_count:
                raise WorldError(f"no slot {place.slot}")
        if place.kind is PlaceKind.OVERFLOW_BIN and self.bin_full():
            raise WorldError("overflow bin is full")
        if place in self._at and not (stacked and place.kind in STACKING_PLACES):
            raise WorldError(f"{place.kind.value} {place.slot if place.slot is not None else ''} is taken".replace("  ", " "))

    def _put(self, uid: bytes, place: Place) -> None:
        self._place_of[uid] = place
        if place.kind is PlaceKind.OVERFLOW_BIN:
            self._bin.append(uid)
        elif place in self._at:
            self._stacked.setdefault(place, []).append(uid)
        elif place.kind is not PlaceKind.OUT:
            self._at[place] = uid

    def _take(self, uid: bytes) -> None:
        place = self._place_of.pop(uid)
        if place.kind is PlaceKind.OVERFLOW_BIN:
            self._bin.remove(uid)
        elif place.kind is PlaceKind.OUT:
            return
        elif self._at[place] != uid:
            self._stacked[place].remove(uid)
        elif self._stacked.get(place):
            self._at[place] = self._stacked[place].pop(0)
        else:
            del self._at[place]
        if place in self._stacked and not self._stacked[place]:
            del self._stacked[place]


def _slot_key(item: tuple[Place, bytes]) -> int:
    return item[0].slot if item[0].slot is not None else -1
