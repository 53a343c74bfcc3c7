"""The machine's memory across restarts: the world and the PLC's retentive registers in world.json.

A real machine keeps its books where they are when it is switched off; so does the simulator.
The file is written whole to a temporary name and renamed over the old one, so a reader (or a
simulator started after a kill) sees either the previous state or the new one, never half.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.world import STACKING_PLACES, Book, Place, PlaceKind, World, WorldError

log = logging.getLogger(__name__)
FORMAT = 1
WORLD_FILE = "world.json"
# Sensors that are physical positions (a door stays open through a power cut); hands are not kept.
KEPT_SENSORS = ("pickup_door_closed", "return_shutter_closed", "service_door_closed",
                "estop_released")


class StoreError(Exception):
    """A saved world that cannot be loaded (its message says why and where)."""


@dataclass(frozen=True)
class Retained:
    """What the PLC keeps through a power cut: its last BOOT_ID, CYCLES and the carriage."""

    boot_id: int = 0
    cycles: int = 0
    level: int = 0
    position: int = 0


def dump(world: World, retained: Retained, books: bool = True) -> dict[str, Any]:
    """The world and the PLC's retentive registers as plain JSON (`books` False: an empty list)."""
    return {
        "format": FORMAT,
        "books": [_book_json(world.books[uid], world.place_of(uid))
                  for uid in (_book_order(world) if books else ())],
        "sensors": {name: getattr(world.sensors, name) for name in KEPT_SENSORS},
        "picker_facing": world.picker_facing,
        "plc": vars(retained).copy(),
    }


def _book_order(world: World) -> list[bytes]:
    """Every book's UID: the bin's last, oldest first."""
    bin_uids = [book.uid for book in world.bin_books()]
    in_bin = set(bin_uids)
    return [uid for uid in world.books if uid not in in_bin] + bin_uids


def restore(world: World, data: dict[str, Any]) -> Retained:
    """Put a dumped world into an empty `world`; returns the PLC's retentive registers."""
    if data.get("format") != FORMAT:
        raise StoreError(f"unknown world format {data.get('format')!r}")
    for entry in data["books"]:
        book = Book(uid=bytes.fromhex(entry["uid"]), item_id=entry["item_id"], title=entry["title"],
                    memory=bytearray.fromhex(entry["memory"]), afi=entry["afi"],
                    dsfid=entry["dsfid"])
        place = Place(PlaceKind(entry["place"]), entry["slot"])
        world.add(book, place, stacked=place.kind in STACKING_PLACES)
    for name in KEPT_SENSORS:
        setattr(world.sensors, name, bool(data["sensors"][name]))
    world.picker_facing = data["picker_facing"]
    return Retained(**data["plc"])


def save(path: Path, world: World, retained: Retained, texts: BookTexts | None = None) -> None:
    """Write world.json atomically (temporary file, then rename); with `texts`, the books that
    did not change since the last save are not encoded again."""
    tmp = path.with_name(path.name + ".tmp")
    text = _compact(dump(world, retained)) if texts is None else texts.encode(world, retained)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class BookTexts:
    """Each book's JSON text as dump() writes it, kept until the book or its place changes: a
    save after one motion encodes the books it moved, not the whole drum."""

    def __init__(self) -> None:
        self._texts: dict[bytes, tuple[tuple, str]] = {}

    def encode(self, world: World, retained: Retained) -> str:
        """The JSON text of dump(world, retained), compact."""
        books = ",".join(self._text(world.books[uid], world.place_of(uid))
                         for uid in _book_order(world))
        if len(self._texts) > len(world.books):  # a book left the world
            self._texts = {uid: self._texts[uid] for uid in world.books if uid in self._texts}
        head, tail = _compact(dump(world, retained, books=False)).split('"books":[]', 1)
        return f'{head}"books":[{books}]{tail}'

    def _text(self, book: Book, place: Place) -> str:
        state = (book.item_id, book.title, bytes(book.memory), book.afi, book.dsfid, place)
        kept = self._texts.get(book.uid)
        if kept is None or kept[0] != state:
            kept = state, _compact(_book_json(book, place))
            self._texts[book.uid] = kept
        return kept[1]


def _compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def load(path: Path, world: World) -> Retained | None:
    """Restore the world saved at `path` into `world`; None when nothing was saved yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return restore(world, json.loads(text))
    except (StoreError, ValueError, KeyError, TypeError, WorldError) as exc:
        raise StoreError(f"{path}: saved world unreadable ({exc}); remove it to start afresh") \
            from None


def _book_json(book: Book, place: Place) -> dict[str, Any]:
    return {"uid": book.uid_hex, "item_id": book.item_id, "title": book.title,
            "memory": book.memory.hex(), "afi": book.afi, "dsfid": book.dsfid,
            "place": place.kind.value, "slot": place.slot}
