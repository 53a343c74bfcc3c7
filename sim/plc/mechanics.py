"""The carousel's mechanics: each command's motions in scaled time, moving books in the World."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from drivers.carousel.geometry import Timing
from drivers.carousel.registers import JAMMABLE, Command, FaultCode, Result
from sim.clock import SimClock
from sim.world import Place, PlaceKind, World, WorldError

DOOR_SENSORS = {"pickup": "pickup_door_closed", "return": "return_shutter_closed"}
HAND_SENSORS = {"pickup": "pickup_hand", "return": "return_hand"}
PICKER = Place(PlaceKind.PICKER)
PICKUP_PORT = Place(PlaceKind.PICKUP_PORT)
RETURN_PORT = Place(PlaceKind.RETURN_PORT)
RETURN_OPENING = Place(PlaceKind.RETURN_OPENING)


class Jammed(Exception):
    """A motion jammed; the PLC latches `fault`."""

    def __init__(self, fault: FaultCode):
        super().__init__(fault.name)
        self.fault = fault


class _Blocked(Exception):
    """A book could not be put where it was going (the place was taken meanwhile)."""


@dataclass
class Carriage:
    """Where the picker (level) and the drum (column at the mast) are."""

    level: int = 0
    position: int = 0


class Mechanics:
    """Runs one command's motions; `checkpoint` waits while the PLC hangs."""

    def __init__(self, world: World, clock: SimClock, timing: Timing,
                 checkpoint: Callable[[], Awaitable[None]]):
        self.world = world
        self.clock = clock
        self.timing = timing
        self.carriage = Carriage()
        self.pending_jam: FaultCode | None = None
        self.blocked_doors: set[str] = set()
        self._checkpoint = checkpoint
        self._world_changed = asyncio.Event()
        self._tripped: set[str] = set()  # doors whose light curtain saw a hand since the close began
        g = world.geometry
        self._pickup_at = (g.pickup_level, None)  # ports are on the mast: the drum need not turn
        self._return_at = (g.return_level, None)

    def notice_world(self) -> None:
        """Note hands in the curtains (a brief one still trips it) and wake a door motion."""
        self._tripped.update(door for door in HAND_SENSORS if self._hand_in(door))
        self._world_changed.set()

    async def run(self, command: Command, arg1: int, arg2: int) -> Result:
        """Do one accepted command; raises Jammed on a jam."""
        bodies = {
            Command.HOME: self._home, Command.FETCH: self._fetch, Command.STORE: self._store,
            Command.RETRACT: self._retract, Command.PRESENT: self._present,
            Command.OPEN_PICKUP: lambda *_: self._open("pickup"),
            Command.CLOSE_PICKUP: lambda *_: self._close("pickup"),
            Command.OPEN_RETURN: lambda *_: self._open("return"),
            Command.CLOSE_RETURN: lambda *_: self._close("return"),
            Command.EJECT_RETURN: self._eject, Command.DIVERT_RETURN: self._divert,
            Command.TRANSFER: self._transfer,
        }
        try:
            result = await bodies[command](arg1, arg2)
        except _Blocked:
            return Result.TIMEOUT
        if result is Result.OK and command in JAMMABLE:
            self._jam_if(lambda fault: True)  # a jam that found no stage of its kind
        return result

    # -- commands --------------------------------------------------------
    async def _home(self, *_: int) -> Result:
        self._jam_if(lambda fault: fault is not FaultCode.PICKER_JAM)
        self._face(None)
        await self._step(self.timing.home)
        self.carriage = Carriage(0, 0)
        return Result.OK

    async def _fetch(self, slot: int, _: int) -> Result:
        src = Place(PlaceKind.SLOT, slot)
        return (self._need(src, PICKUP_PORT, Result.SLOT_EMPTY, Result.PORT_OCCUPIED)
                or await self._carry(src, self._slot_at(slot), PICKUP_PORT, self._pickup_at))

    async def _store(self, slot: int, _: int) -> Result:
        dst = Place(PlaceKind.SLOT, slot)
        return (self._need(RETURN_PORT, dst, Result.PORT_EMPTY, Result.SLOT_OCCUPIED)
                or await self._carry(RETURN_PORT, self._return_at, dst, self._slot_at(slot)))

    async def _retract(self, slot: int, _: int) -> Result:
        dst = Place(PlaceKind.SLOT, slot)
        return (self._need(PICKUP_PORT, dst, Result.PORT_EMPTY, Result.SLOT_OCCUPIED)
                or await self._carry(PICKUP_PORT, self._pickup_at, dst, self._slot_at(slot)))

    async def _transfer(self, source: int, destination: int) -> Result:
        src, dst = Place(PlaceKind.SLOT, source), Place(PlaceKind.SLOT, destination)
        return (self._need(src, dst, Result.SLOT_EMPTY, Result.SLOT_OCCUPIED)
                or await self._carry(src, self._slot_at(source), dst, self._slot_at(destination)))

    async def _present(self, slot: int, _: int) -> Result:
        await self._travel(self._slot_at(slot))
        self._face(slot)
        return Result.OK

    async def _eject(self, *_: int) -> Result:
        book = self.world.book_at(RETURN_PORT)
        if book is None:
            return Result.PORT_EMPTY
        if self.world.book_at(RETURN_OPENING) is not None:
            return Result.PORT_OCCUPIED  # the last pushed-out book is still in the opening
        await self._open("return")
        await self._step(self.timing.handle)
        self._move_stack(RETURN_PORT, RETURN_OPENING)  # books pushed in together go out together
        return Result.OK

    async def _divert(self, *_: int) -> Result:
        book = self.world.book_at(RETURN_PORT)
        if book is None:
            return Result.PORT_EMPTY
        if self.world.bin_full():
            return Result.BIN_FULL
        await self._step(self.timing.handle)
        self._move_stack(RETURN_PORT, Place(PlaceKind.OVERFLOW_BIN))  # a stack falls in whole
        return Result.OK

    async def _open(self, door: str) -> Result:
        if getattr(self.world.sensors, DOOR_SENSORS[door]):
            await self._step(self.timing.door)
            self._set_door(door, closed=False)
        return Result.OK

    async def _close(self, door: str) -> Result:
        if getattr(self.world.sensors, DOOR_SENSORS[door]):
            return Result.OK
        if door in self.blocked_doors:
            self.blocked_doors.discard(door)
            await self._step(self.timing.door)  # it tries, trips the curtain and re-opens
            return Result.DOOR_BLOCKED
        await self._checkpoint()
        if not await self._door_time_without_hand(door):
            return Result.DOOR_BLOCKED  # it re-opens: the sensor never saw it closed
        await self._checkpoint()
        self._set_door(door, closed=True)
        return Result.OK

    # -- motions ---------------------------------------------------------
    async def _carry(self, src: Place, src_at: tuple[int, int | None], dst: Place,
                     dst_at: tuple[int, int | None]) -> Result:
        """Travel to the source, take the book, travel to the destination, put it."""
        book = self.world.book_at(src)
        if book is None or self.world.book_at(PICKER) is not None:
            return Result.TIMEOUT  # the picker still holds a book left by a jam or a power cut
        await self._travel(src_at)
        if len(self.world.books_at(src)) > 1:
            raise Jammed(FaultCode.PICKER_JAM)  # its gripper cannot close on a stack of books
        await self._step(self.timing.handle)
        self._move(book.uid, PICKER)
        await self._travel(dst_at)
        self._jam_if(lambda fault: fault is FaultCode.PICKER_JAM)
        await self._step(self.timing.handle)
        self._move(book.uid, dst)
        return Result.OK

    async def _travel(self, target: tuple[int, int | None]) -> None:
        self._jam_if(lambda fault: fault is not FaultCode.PICKER_JAM)
        self._face(None)
        c = self.carriage
        level, position = target[0], c.position if target[1] is None else target[1]
        await self._step(self.timing.travel_time((c.level, c.position), (level, position),
                                                 self.world.geometry))
        self.carriage = Carriage(level, position)

    async def _step(self, seconds: float) -> None:
        await self._checkpoint()
        await self.clock.sleep(seconds)
        await self._checkpoint()

    async def _door_time_without_hand(self, door: str) -> bool:
        """True when the door time passes without a hand in this door's curtain, even briefly."""
        self._tripped.discard(door)
        if self._hand_in(door):
            return False
        timer = asyncio.ensure_future(self.clock.sleep(self.timing.door))
        try:
            while not timer.done():
                self._world_changed.clear()
                if door in self._tripped:
                    return False
                changed = asyncio.ensure_future(self._world_changed.wait())
                await asyncio.wait({timer, changed}, return_when=asyncio.FIRST_COMPLETED)
                changed.cancel()
            return door not in self._tripped and not self._hand_in(door)
        finally:
            timer.cancel()

    # -- helpers ---------------------------------------------------------
    def _need(self, src: Place, dst: Place, empty: Result, occupied: Result) -> Result | None:
        """The source is checked before the destination."""
        if self.world.book_at(src) is None:
            return empty
        if self.world.book_at(dst) is not None:
            return occupied
        return None

    def _slot_at(self, slot: int) -> tuple[int, int]:
        return self.world.geometry.locate(slot)

    def _jam_if(self, applies: Callable[[FaultCode], bool]) -> None:
        fault = self.pending_jam
        if fault is not None and applies(fault):
            self.pending_jam = None
            raise Jammed(fault)

    def _move(self, uid: bytes, place: Place) -> None:
        try:
            self.world.move(uid, place)
        except WorldError as exc:
            raise _Blocked(str(exc)) from exc

    def _move_stack(self, source: Place, place: Place) -> None:
        try:
            self.world.move_stack(source, place)
        except WorldError as exc:
            raise _Blocked(str(exc)) from exc

    def _face(self, slot: int | None) -> None:
        if self.world.picker_facing != slot:
            self.world.picker_facing = slot
            self.world.changed()

    def _hand_in(self, door: str) -> bool:
        """A hand, or a book pushed out and not yet taken, breaks the door's curtain."""
        if door == "return" and self.world.book_at(RETURN_OPENING) is not None:
            return True
        return bool(getattr(self.world.sensors, HAND_SENSORS[door]))

    def _set_door(self, door: str, closed: bool) -> None:
        setattr(self.world.sensors, DOOR_SENSORS[door], closed)
        self.world.changed()
