"""The simulated HF RFID reader on a pseudo-terminal, answering from the world's ground truth."""

from __future__ import annotations

import logging

from drivers.rfid.errors import MessageError
from drivers.rfid.frames import Command, DamagedFrame, Frame, FrameDecoder, Status, encode_frame
from drivers.rfid.messages import (BLOCK_SIZE, GetReaderInfo, GetSystemInfo, Inventory, ReadBlocks,
                                   ReaderInfo, Request, SystemInfo, TagInfo, WriteAfi, WriteBlocks,
                                   decode_request, encode_inventory, encode_reader_info,
                                   encode_response, encode_system_info)
from sim.pty import PtyLine
from sim.world import Book, World

log = logging.getLogger(__name__)

READER_INFO = ReaderInfo(firmware_major=1, firmware_minor=2, antenna_count=3)
_KNOWN_COMMANDS = frozenset(Command)


class RfidSim:
    """The reader of hardware/readers.md: antenna 0 pickup port, 1 return port, 2 picker."""

    def __init__(self, world: World):
        self.world = world
        self._line = PtyLine(self._received)
        self._decoder = FrameDecoder()
        self._read_errors = 0
        self._collisions = 0
        self._collision_antenna: int | None = None  # None: whichever antenna is asked

    def start(self) -> str:
        """Serve on a new pty (call on the simulator's running loop); returns its path."""
        return self._line.open()

    def stop(self) -> None:
        """Stop serving and close the pty."""
        self._line.close()

    def inject_read_errors(self, count: int) -> None:
        """The next `count` READ_BLOCKS / INVENTORY requests answer TAG_ERROR (0 clears)."""
        if count < 0:
            raise ValueError(f"count {count} is negative")
        self._read_errors = count

    def inject_collisions(self, count: int, antenna: int | None = None) -> None:
        """The next `count` INVENTORY requests (on `antenna`, or any) answer COLLISION
        (0 clears)."""
        if count < 0:
            raise ValueError(f"count {count} is negative")
        self._collisions, self._collision_antenna = count, antenna

    @property
    def collisions_pending(self) -> dict:
        """How many inventories will still answer COLLISION, and on which antenna (None: any)."""
        return {"count": self._collisions, "antenna": self._collision_antenna}

    @property
    def read_errors_pending(self) -> int:
        """How many of the next tag reads will still answer TAG_ERROR."""
        return self._read_errors

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to the line now."""
        self._line.write(bytes(data))

    # -- answering --------------------------------------------------------
    def _received(self, data: bytes) -> None:
        for item in self._decoder.feed(data):
            response = self._answer(item)
            if response is not None:
                self._line.write(encode_frame(response.cmd, response.body))

    def _answer(self, item: Frame | DamagedFrame) -> Frame | None:
        """The response to one decoded item; None when a damaged frame's CMD can't be told."""
        if isinstance(item, DamagedFrame):
            log.debug("damaged request: %s", item)
            return None if item.cmd is None else encode_response(item.cmd, Status.BAD_FRAME)
        if item.cmd not in _KNOWN_COMMANDS:
            return encode_response(item.cmd, Status.UNKNOWN_COMMAND)
        try:
            request = decode_request(item)
        except MessageError:
            return encode_response(item.cmd, Status.BAD_FRAME)
        status, payload = self._execute(request)
        return encode_response(item.cmd, status, payload)

    def _execute(self, request: Request) -> tuple[Status, bytes]:
        """Carry out a well-formed request against the world."""
        if isinstance(request, GetReaderInfo):
            return Status.OK, encode_reader_info(READER_INFO)
        if request.antenna >= READER_INFO.antenna_count:
            return Status.BAD_ANTENNA, b""
        if isinstance(request, (Inventory, ReadBlocks)) and self._read_errors:
            self._read_errors -= 1
            return Status.TAG_ERROR, b""
        if isinstance(request, Inventory) and self._collides(request.antenna):
            self._collisions -= 1
            return Status.COLLISION, b""
        if isinstance(request, Inventory):
            books = self.world.antenna_books(request.antenna)
            return Status.OK, encode_inventory([TagInfo(b.uid, b.dsfid, b.afi) for b in books])
        book = self._book_in_field(request.antenna, request.uid)
        if book is None:
            return Status.NO_TAG, b""
        return self._execute_on_tag(request, book)

    def _execute_on_tag(self, request: Request, book: Book) -> tuple[Status, bytes]:
        """Carry out an addressed request on a tag that is in the field."""
        match request:
            case ReadBlocks(first=first, count=count):
                memory = _blocks(book, first, count)
                return (Status.TAG_ERROR, b"") if memory is None else (Status.OK, memory)
            case WriteBlocks(first=first, data=data):
                if _blocks(book, first, len(data) // BLOCK_SIZE) is None:
                    return Status.TAG_ERROR, b""
                book.memory[first * BLOCK_SIZE:first * BLOCK_SIZE + len(data)] = data
                self.world.changed()
            case WriteAfi(afi=afi):
                book.afi = afi
                self.world.changed()
            case GetSystemInfo():
                info = SystemInfo(book.dsfid, book.afi, len(book.memory) // BLOCK_SIZE, BLOCK_SIZE)
                return Status.OK, encode_system_info(info)
        return Status.OK, b""

    def _collides(self, antenna: int) -> bool:
        return self._collisions > 0 and self._collision_antenna in (None, antenna)

    def _book_in_field(self, antenna: int, uid: bytes) -> Book | None:
        return next((b for b in self.world.antenna_books(antenna) if b.uid == uid), None)


def _blocks(book: Book, first: int, count: int) -> bytes | None:
    """Blocks `first`..`first+count-1` of a tag's memory, or None past its end."""
    start, end = first * BLOCK_SIZE, (first + count) * BLOCK_SIZE
    return bytes(book.memory[start:end]) if end <= len(book.memory) else None
