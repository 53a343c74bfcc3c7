"""The virtual membership card: the card side of vsmartcard-vpcd, on the simulator's loop.

vpcd (a pcscd reader driver) listens on 127.0.0.1:35963 ("Virtual PCD 00 00") and 35964
("Virtual PCD 00 01"). A card is a TCP client: connecting puts it in the reader's field,
closing the socket takes it out. Each message is a 2-byte big-endian length and a payload;
1-byte payloads are power off (0), power on (1), reset (2) and "send the ATR" (4), longer ones
are command APDUs that the card answers (hardware/readers.md section 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass, field
from enum import IntEnum

from drivers.card.apdu import CLA_PCSC, GET_UID_P1P2, INS_GET_DATA, WRONG_LE_SW1, StatusWord
from sim.world import WorldError

log = logging.getLogger(__name__)

VPCD_READERS = {35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"}
# PC/SC part 3 ATR of a contactless card (ISO 14443 A, no application), TCK included.
CONTACTLESS_ATR = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")
MAX_UID_LENGTH = 0xFF  # the 6C XX answer carries the UID's length in one byte
CONTACT_TIMEOUT = 3.0  # vpcd polls for a card at once; silence means the reader is taken
_LENGTH = struct.Struct(">H")


class VpcdControl(IntEnum):
    """The 1-byte messages vpcd sends to the card."""

    POWER_OFF = 0
    POWER_ON = 1
    RESET = 2
    GET_ATR = 4


class VirtualCardError(WorldError):
    """The virtual card cannot do what was asked."""


class CardAlreadyPresent(VirtualCardError):
    """tap() while a card is already in the field."""


class VpcdUnreachable(VirtualCardError):
    """vpcd does not take the card: pcscd is not running, or the reader has another card."""


def frame(payload: bytes) -> bytes:
    """One vpcd message: the 2-byte big-endian length, then `payload`."""
    if len(payload) > 0xFFFF:
        raise ValueError(f"a vpcd message holds at most 65535 bytes, not {len(payload)}")
    return _LENGTH.pack(len(payload)) + payload


async def read_message(reader: asyncio.StreamReader) -> bytes:
    """The next vpcd message; asyncio.IncompleteReadError when vpcd closes the connection."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return await reader.readexactly(length)


def _sw(status_words: int) -> bytes:
    return status_words.to_bytes(2, "big")


def answer_apdu(apdu: bytes, uid: bytes, status_words: int = StatusWord.OK) -> bytes:
    """The card's response APDU: GET DATA (UID) per PC/SC part 3; nothing else is supported.

    `status_words` other than 90 00 makes GET DATA fail with them (a faulty card).
    """
    if len(apdu) < 4:
        return _sw(StatusWord.WRONG_LENGTH)
    cla, ins, p1, p2 = apdu[:4]
    if cla != CLA_PCSC or ins != INS_GET_DATA:
        return _sw(StatusWord.INS_NOT_SUPPORTED)
    if (p1, p2) != GET_UID_P1P2:
        return _sw(StatusWord.FUNCTION_NOT_SUPPORTED)  # ATS and the rest: not on this card
    if len(apdu) != 5:
        return _sw(StatusWord.WRONG_LENGTH)
    if status_words != StatusWord.OK:
        return _sw(status_words)
    le = apdu[4]
    if le == 0 or le == len(uid):
        return uid + _sw(StatusWord.OK)
    if le < len(uid):
        return bytes((WRONG_LE_SW1, len(uid)))
    return uid + _sw(StatusWord.END_OF_DATA)


def answer(message: bytes, uid: bytes, atr: bytes = CONTACTLESS_ATR,
           status_words: int = StatusWord.OK) -> bytes | None:
    """The card's reply to one vpcd message, or None when it needs none (power control)."""
    if len(message) > 1:
        return answer_apdu(message, uid, status_words)
    if message == bytes((VpcdControl.GET_ATR,)):
        return atr
    return None


@dataclass(eq=False)
class _Field:
    """One card in the reader's field: one connection to vpcd."""

    uid: bytes
    status_words: int
    writer: asyncio.StreamWriter
    task: asyncio.Task | None = None
    contact: asyncio.Event = field(default_factory=asyncio.Event)  # vpcd spoke to the card
    uid_read: asyncio.Event = field(default_factory=asyncio.Event)  # GET DATA was answered


class VirtualCard:
    """A membership card that a test or the world API holds to a vpcd reader."""

    def __init__(self, host: str = "127.0.0.1", port: int = 35963, *,
                 reader_name: str | None = None, atr: bytes = CONTACTLESS_ATR,
                 contact_timeout: float = CONTACT_TIMEOUT):
        name = reader_name or VPCD_READERS.get(port)
        if name is None:
            raise ValueError(f"port {port} is no vpcd reader I know: give reader_name")
        self.host = host
        self.port = port
        self.atr = atr
        self.contact_timeout = contact_timeout
        self._reader_name = name
        self._field: _Field | None = None
        self._busy = False  # a tap() is connecting

    @property
    def reader_name(self) -> str:
        """The PC/SC name of the reader this card is tapped on."""
        return self._reader_name

    @property
    def present(self) -> bytes | None:
        """The UID of the card in the field, or None."""
        return None if self._field is None else self._field.uid

    async def tap(self, uid: bytes, *, status_words: int = StatusWord.OK) -> None:
        """Put a card with `uid` in the field; returns once vpcd has noticed it."""
        if self._field is not None or self._busy:
            raise CardAlreadyPresent(f"a card is already on {self._reader_name}")
        uid = bytes(uid)
        if not 1 <= len(uid) <= MAX_UID_LENGTH:
            raise ValueError(f"a UID has 1..{MAX_UID_LENGTH} bytes, not {len(uid)}")
        if not 0 <= status_words <= 0xFFFF:
            raise ValueError(f"status words {status_words:#x} are not two bytes")
        self._busy = True
        try:
            await self._enter(uid, status_words)
        finally:
            self._busy = False

    async def remove(self) -> None:
        """Take the card out of the field (close the connection); no-op without a card."""
        card, self._field = self._field, None
        if card is None:
            return
        log.info("card %s leaves %s", card.uid.hex().upper(), self._reader_name)
        card.writer.close()
        if card.task is not None:
            card.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await card.task
        with contextlib.suppress(OSError):
            await card.writer.wait_closed()

    async def wait_uid_read(self, timeout: float) -> None:
        """Wait until the reader has read the present card's UID (TimeoutError after `timeout`)."""
        card = self._field
        if card is None:
            raise VirtualCardError(f"no card on {self._reader_name}")
        await asyncio.wait_for(card.uid_read.wait(), timeout)

    async def close(self) -> None:
        """Remove the card if one is present."""
        await self.remove()

    # -- internals --------------------------------------------------------
    async def _enter(self, uid: bytes, status_words: int) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.contact_timeout)
        except (OSError, TimeoutError) as exc:
            raise VpcdUnreachable(
                f"vpcd at {self.host}:{self.port} is not reachable ({exc.__class__.__name__}): "
                "is pcscd running with vsmartcard-vpcd?") from None
        card = _Field(uid=uid, status_words=status_words, writer=writer)
        self._field = card
        card.task = asyncio.create_task(self._serve(card, reader), name="vcard")
        try:
            await asyncio.wait_for(card.contact.wait(), self.contact_timeout)
        except TimeoutError:
            await self.remove()
            raise VpcdUnreachable(f"vpcd at {self.host}:{self.port} did not take the card within "
                                  f"{self.contact_timeout} s: another card is on that reader"
                                  ) from None
        if self._field is not card:
            raise VpcdUnreachable(f"vpcd at {self.host}:{self.port} closed the connection")
        log.info("card %s on %s", uid.hex().upper(), self._reader_name)

    async def _serve(self, card: _Field, reader: asyncio.StreamReader) -> None:
        """Answer vpcd until it or remove() closes the connection."""
        try:
            sock = card.writer.get_extra_info("socket")
            while True:
                _ack_at_once(sock)
                message = await read_message(reader)
                card.contact.set()
                reply = answer(message, card.uid, self.atr, card.status_words)
                if reply is not None:
                    card.writer.write(frame(reply))
                    await card.writer.drain()
                    if _is_get_uid(message):
                        card.uid_read.set()
        except (asyncio.IncompleteReadError, OSError) as exc:
            if self._field is card:
                log.warning("vpcd dropped the card on %s (%s)", self._reader_name,
                            exc.__class__.__name__)
        finally:
            if self._field is card:  # vpcd went away (pcscd stopped): the card is out
                self._field = None
                card.writer.close()
            card.contact.set()


def _ack_at_once(sock: object) -> None:
    """Acknowledge vpcd's next message at once (Linux TCP_QUICKACK, re-armed per message)."""
    # vpcd's socket has Nagle on: a message it sends while its last one is unacknowledged
    # waits for that ACK, which Linux delays ~40 ms when the card has nothing to send back
    # (after power on, for one). Measured before: ~86 ms from vpcd taking the card to pcscd
    # reporting it, ~44 ms per GET DATA. A real card has no TCP link: those were the sim's.
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def _is_get_uid(message: bytes) -> bool:
    return len(message) == 5 and message[:4] == bytes((CLA_PCSC, INS_GET_DATA, *GET_UID_P1P2))
