"""The emulator's SIP2 ACS: asyncio TCP on loopback, checksums, resends, faults."""

from __future__ import annotations

import asyncio
import logging
import re

from drivers.sip2 import (
    Message,
    Sip2Error,
    append_error_detection,
    build,
    decode,
    encode,
)
from sim.library.faults import GARBAGE, Fault, Faults, reset
from sim.library.sip2_handlers import Session, Sip2Handlers

log = logging.getLogger(__name__)
MAX_MESSAGE = 64 * 1024
_UNAUTHENTICATED = ("93", "99")
_RESEND = encode(build("96", {}))  # "96AZFEF6": please send your message again
_SEQUENCED_TAIL = re.compile(rb"AY[0-9]AZ[0-9A-F]{4}\r\Z")


class Sip2Server:
    """Answers SC messages, one connection per SC, until stopped."""

    def __init__(self, handlers: Sip2Handlers, faults: Faults, encoding: str) -> None:
        self.handlers = handlers
        self.faults = faults
        self.encoding = encoding
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); return the port."""
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_MESSAGE)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every SC connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self._tasks.add(asyncio.current_task())
        session, last = self.handlers.new_session(), None
        idle = self.handlers.settings.idle_timeout
        try:
            while (line := await _read_message(reader, idle)) is not None:
                reply, keep, good = await self._reply(line, session, last)
                if keep is None:  # a reset, or an answer withheld: this connection is done
                    _end(writer, rst=reply is None)
                    return
                if reply is not None:
                    writer.write(reply)
                    await writer.drain()
                if not keep:
                    break
                last = good or last
        except (ConnectionError, asyncio.LimitOverrunError, ValueError) as exc:
            log.debug("SIP2 connection ended: %s", exc)
        finally:
            self._writers.discard(writer)
            self._tasks.discard(asyncio.current_task())
            writer.close()

    async def _reply(self, line: bytes, session: Session, last: bytes | None):
        """(bytes to send or None, keep the connection? (None: end it now), the reply a later
        97 gets)."""
        try:
            msg = decode(line, encoding=self.encoding)
        except Sip2Error:
            return _RESEND, True, None  # ask the SC to send it again
        if msg.code == "97":
            return self._resend(last, msg, session), True, None
        if not self.handlers.handles(msg.code):
            return _RESEND, True, None
        if session.machine_id is None and msg.code not in _UNAUTHENTICATED:
            return None, False, None
        fault = self.faults.take("sip2", message=msg.code)
        if fault is not None and fault.kind in ("drop", "garbage", "nonsense"):
            return _faulty(fault), fault.kind != "drop", None
        if fault is not None and fault.kind == "reset":
            return None, None, None
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.seconds)
        try:
            reply = encode(self.handlers.handle(msg, session), encoding=self.encoding,
                           errors="replace")
        except Sip2Error as exc:  # a field that does not parse (a date): as for a bad checksum
            log.info("SIP2 request %s is malformed: %s", msg.code, exc)
            return _RESEND, True, None
        except Exception:  # a bug or odd data must not take the ACS down: end this session
            log.exception("SIP2 request %s failed", msg.code)
            return None, False, None
        return await self._deliver(reply, fault)

    async def _deliver(self, reply: bytes, fault: Fault | None):
        """The answer of an applied request as the fault lets it go (see _reply)."""
        stale = self.faults.held("sip2")  # an earlier answer owed: it goes out first
        sent = reply if stale is None else stale + reply
        if fault is None or fault.kind == "latency":
            return sent, True, reply
        if fault.kind == "drop_after":
            return None, False, None
        if fault.kind == "reset_after":
            return None, None, None
        if fault.kind == "bad_checksum":
            return _corrupt(sent), True, reply
        if fault.kind in ("duplicate", "reorder"):
            self.faults.hold("sip2", reply)
        if fault.kind == "reorder":  # no answer on this connection: the SC gives up first
            await asyncio.sleep(fault.seconds)
            return b"", None, None
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        return sent, True, reply

    def _resend(self, last: bytes | None, request: Message, session: Session) -> bytes:
        """The last reply again (for a 97), still corrupted while a checksum fault lasts."""
        if last is None:
            return _RESEND
        if session.profile.resend == "rebuild":
            last = _rebuilt(last, request.sequence or 0)
        return _corrupt(last) if self.faults.take("sip2", "bad_checksum") else last


def _rebuilt(reply: bytes, sequence: int) -> bytes:
    """SIPServer's resend: the reply's body with the 97's sequence number and a new checksum."""
    if _SEQUENCED_TAIL.search(reply) is None:
        return reply  # a reply sent without AY goes again as it was
    return append_error_detection(reply[:-10], sequence) + b"\r"


async def _read_message(reader: asyncio.StreamReader, idle: float | None) -> bytes | None:
    """One CR-terminated message (a leading LF from CRLF is dropped); None at EOF or idle."""
    try:
        data = await asyncio.wait_for(reader.readuntil(b"\r"), idle)
    except (asyncio.IncompleteReadError, TimeoutError):
        return None  # an idle connection is closed without a word, as Koha and Evergreen do
    return data.lstrip(b"\n")


def _end(writer: asyncio.StreamWriter, rst: bool) -> None:
    """Close the connection at once: with a reset (RST), or in order (FIN)."""
    if rst:
        reset(writer.transport)
    else:
        writer.close()


def _faulty(fault: Fault) -> bytes | None:
    if fault.kind == "garbage":
        return GARBAGE + b"\r"
    if fault.kind == "nonsense":  # well-formed, but not an answer to the request
        return encode(build("36", {"end_session": "Y", "transaction_date": " " * 18}))
    return None


def _corrupt(reply: bytes) -> bytes:
    """The reply with its checksum's last digit changed."""
    last = reply[-2:-1]
    return reply[:-2] + (b"0" if last != b"0" else b"1") + b"\r"
