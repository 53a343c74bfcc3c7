"""A blocking SIP2 client: one TCP connection, login, SC status, sequence numbers, resends."""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

from drivers.sip2 import ChecksumError, Message, Sip2Error, build, decode, encode, response_code
from drivers.sip2 import layouts as f
from kiosk.connectors.base import (
    LibraryAuthError, LibraryProtocolError, LibraryTimeout, LibraryUnavailable,
)
from kiosk.connectors.config import Sip2ConnectorConfig

log = logging.getLogger(__name__)
MAX_MESSAGE = 64 * 1024
UNKNOWN = 999  # a 98's timeout or retries the ACS leaves open
MAX_OWED = 10  # late answers awaited on one connection (each a timeout) before it is given up
_RESEND_REQUEST = build("97", {})


class ConnectionClosed(LibraryUnavailable):
    """The ACS closed the connection (an idle timeout, a restart)."""


class AnswerOverdue(LibraryTimeout):
    """No answer in time; the connection is kept, and the late answer set aside when it comes.

    An ACS answers one request after another on a connection, and may still carry out a
    request after the SC stopped waiting. The next request on the same connection is carried
    out after it, so what the connector then asks (did that checkout happen?) is answered
    truly; on a new connection it could be asked before the late request is carried out.
    """


@dataclass(frozen=True)
class AcsStatus:
    """What the ACS said of itself in its 98 after login."""

    online: bool
    checkin_ok: bool
    checkout_ok: bool
    renewal_ok: bool
    offline_ok: bool
    timeout_tenths: int  # 0: no limit; UNKNOWN: not said
    retries: int  # UNKNOWN: not said
    supported: str  # BX: Y/N per message of SUPPORTED_MESSAGE_CODES

    def supports(self, code: str) -> bool:
        """Whether the ACS answers request `code` (True when it did not say)."""
        position = f.SUPPORTED_MESSAGE_CODES.index(code)
        return len(self.supported) <= position or self.supported[position] == "Y"


class Sip2Client:
    """Sends one request at a time and returns the ACS's matching, verified response."""

    def __init__(self, config: Sip2ConnectorConfig, user: str, password: str) -> None:
        self.config = config
        self.acs: AcsStatus | None = None
        self._login = (user, password)
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._sequence = 0
        self._owed: deque[tuple[str, int | None]] = deque()  # late answers: (code, sequence)
        self._lock = threading.Lock()
        self._last_exchange = time.monotonic()
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None
        if config.keepalive > 0:
            self._keeper = threading.Thread(target=self._keep_alive, name="sip2-keepalive",
                                            daemon=True)
            self._keeper.start()

    def exchange(self, request: Message, *, repeatable: bool = True) -> Message:
        """The response to `request`, (re)connecting and logging in when needed.

        A connection the ACS closed while idle is reopened before sending. A connection that
        drops after sending is reopened and the request sent again only when `repeatable`
        (a read); a transaction's fate is then unknown and the caller must ask the ACS. An
        answer that does not come in time leaves the connection open (AnswerOverdue).
        """
        with self._lock:
            if self._stop.is_set():
                raise LibraryUnavailable("SIP2 connector closed")
            try:
                self._ensure_connected()
                try:
                    return self._exchange(request, owe=True)
                except ConnectionClosed:
                    if not repeatable:
                        raise
                    log.info("SIP2 connection closed by the ACS: logging in again")
                    self._disconnect()
                    self._connect()
                    return self._exchange(request, owe=True)
            except AnswerOverdue:
                raise  # the late answer is read and set aside before the next one
            except BaseException:
                self._disconnect()  # the stream's state is unknown: start afresh next time
                raise

    def close(self) -> None:
        """Close the connection and stop the keep-alive."""
        self._stop.set()
        with self._lock:
            self._disconnect()
        if self._keeper is not None and self._keeper is not threading.current_thread():
            self._keeper.join(5)

    def _ensure_connected(self) -> None:
        while self._sock is not None and self._owed and self._closed_by_acs():
            self._take_late_answer()
        if self._sock is not None and self._closed_by_acs():
            log.info("SIP2 connection was closed by the ACS while idle: logging in again")
            self._disconnect()
        if self._sock is None:
            self._connect()

    def _take_late_answer(self) -> None:
        """Read a late answer that has come (or learn the ACS closed the connection)."""
        try:
            self._receive()
        except LibraryUnavailable:  # closed, or a late answer cut short: start afresh
            self._disconnect()
            return
        code, _ = self._owed.popleft()
        log.info("SIP2 late answer (%s) set aside", code)

    def _closed_by_acs(self) -> bool:
        """Whether the idle socket has seen the ACS's close (or unasked-for bytes)."""
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
            if not readable:
                return False
            return True  # EOF, a reset or stray bytes: none can be trusted before a request
        except (OSError, ValueError):
            return True

    def _connect(self) -> None:
        address = (self.config.host, self.config.port)
        try:
            self._sock = socket.create_connection(address, timeout=self.config.connect_timeout)
        except TimeoutError:
            raise LibraryTimeout("SIP2 connect timed out") from None
        except OSError as exc:
            raise LibraryUnavailable(f"SIP2 connect failed: {exc.strerror or exc}") from None
        self._sock.settimeout(self._read_timeout())
        self._buffer = b""
        user, password = self._login
        reply = self._exchange(build("93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [
            (f.LOGIN_USER, user), (f.LOGIN_PASSWORD, password),
            (f.LOCATION_CODE, self.config.here)]))
        if not reply.flag("ok"):
            raise LibraryAuthError("SIP2 login refused")
        self.acs = acs_status(self._exchange(sc_status_request()))
        self._sock.settimeout(self._read_timeout())

    @property
    def answer_timeout(self) -> float:
        """Seconds to wait for an answer: the configured timeout, or the ACS's shorter one."""
        return self._read_timeout()

    def _read_timeout(self) -> float:
        """The configured timeout, shortened to the ACS's own when its 98 names one."""
        tenths = self.acs.timeout_tenths if self.acs else UNKNOWN
        if 0 < tenths < UNKNOWN:
            return min(self.config.timeout, tenths / 10)
        return self.config.timeout

    def _resend_attempts(self) -> int:
        retries = self.acs.retries if self.acs else UNKNOWN
        return self.config.resend_attempts if retries >= UNKNOWN else min(
            self.config.resend_attempts, retries)

    def _disconnect(self) -> None:
        self._owed.clear()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _exchange(self, request: Message, owe: bool = False) -> Message:
        """The verified answer to `request`; `owe`: keep the connection when it is late."""
        sequence = self._sequence
        self._sequence = (self._sequence + 1) % 10
        data = self._encode(Message(request.code, request.fixed, request.fields, sequence))
        self._send(data)
        resent = False
        resends = self._resend_attempts()
        for attempt in range(resends + 1):
            try:
                reply = self._next_answer(request.code, None if resent else sequence, owe)
            except ChecksumError:
                if attempt == resends:
                    break
                self._send(self._encode(_RESEND_REQUEST))  # 97: please send that again
                resent = True
                continue
            except Sip2Error as exc:
                raise LibraryProtocolError(f"SIP2 answer malformed: {exc}") from None
            if reply.code == "96":  # the ACS could not read ours
                if attempt == resends:
                    break
                self._send(data)
                resent = False
                continue
            self._last_exchange = time.monotonic()
            # An ACS answers a 97 with its own sequence number (Koha, Evergreen: the 97's).
            reply = self._matching(reply, request.code, None if resent else sequence)
            if reply.code == "98":  # what the ACS allows now, whoever asked
                self.acs = acs_status(reply)
            return reply
        raise LibraryProtocolError("SIP2 answer still corrupt after resends")

    def _next_answer(self, request_code: str, sequence: int | None, owe: bool) -> Message:
        """The ACS's next message after the late answers owed on this connection, which are
        set aside; a timeout owes this request's answer too (AnswerOverdue) when `owe`."""
        while True:
            try:
                raw = self._receive()
            except LibraryTimeout:
                if owe and len(self._owed) < MAX_OWED:
                    self._owed.append((response_code(request_code), sequence))
                    raise AnswerOverdue("SIP2 answer timed out (kept waiting for it)") from None
                raise
            if not self._owed:
                return decode(raw, encoding=self.config.encoding,
                              require_checksum=self.config.error_detection)
            if self._set_aside(raw, request_code, sequence):
                continue
            return decode(raw, encoding=self.config.encoding,
                          require_checksum=self.config.error_detection)

    def _set_aside(self, raw: bytes, request_code: str, sequence: int | None) -> bool:
        """Whether `raw` is the oldest late answer (taken off the owed list), not this one's.

        A message that does not decode is taken for the late answer; an answer that fits this
        request and not the late one means the ACS never answered that (it is forgotten).
        """
        code, owed_sequence = self._owed[0]
        try:
            message = decode(raw, encoding=self.config.encoding, require_checksum=False)
        except Sip2Error:
            message = None
        if message is not None and not _fits(message, code, owed_sequence) and _fits(
                message, response_code(request_code), sequence):
            log.warning("SIP2 ACS never answered an earlier %s request", code)
            self._owed.clear()
            return False
        self._owed.popleft()
        log.info("SIP2 late answer to an earlier request set aside (%s)",
                 message.code if message else "unreadable")
        return True

    def _matching(self, reply: Message, request_code: str, sequence: int | None) -> Message:
        if reply.code != response_code(request_code):
            raise LibraryProtocolError(f"SIP2 answer {reply.code} to request {request_code}")
        if self.config.error_detection and sequence is not None and reply.sequence != sequence:
            raise LibraryProtocolError(f"SIP2 answer has sequence {reply.sequence}, not {sequence}")
        return reply

    def _encode(self, message: Message) -> bytes:
        try:
            return encode(message, encoding=self.config.encoding,
                          error_detection=self.config.error_detection)
        except Sip2Error as exc:
            raise ValueError(f"cannot send this request over SIP2: {exc}") from None

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise LibraryTimeout("SIP2 send timed out") from None
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ConnectionClosed(f"SIP2 send failed: {exc.strerror or exc}") from None
        except OSError as exc:
            raise LibraryUnavailable(f"SIP2 send failed: {exc.strerror or exc}") from None

    def _receive(self) -> bytes:
        """One CR-terminated message from the ACS."""
        while b"\r" not in self._buffer:
            if len(self._buffer) > MAX_MESSAGE:
                raise LibraryProtocolError("SIP2 answer too long")
            try:
                chunk = self._sock.recv(4096)
            except TimeoutError:
                raise LibraryTimeout("SIP2 answer timed out") from None
            except ConnectionResetError:
                raise ConnectionClosed("SIP2 connection reset by the ACS") from None
            except OSError as exc:
                raise LibraryUnavailable(f"SIP2 receive failed: {exc.strerror or exc}") from None
            if not chunk:
                raise ConnectionClosed("SIP2 connection closed by the ACS")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\r")
        log.debug("SIP2 <- %d bytes", len(message))
        return message.lstrip(b"\n")

    def _keep_alive(self) -> None:
        """An SC status (99) whenever the connection has been idle for `keepalive` seconds."""
        interval = self.config.keepalive
        while not self._stop.wait(interval / 2):
            if time.monotonic() - self._last_exchange < interval or self._sock is None:
                continue
            try:
                self.exchange(sc_status_request())
            except Exception as exc:  # the next real request reconnects; nothing to tell here
                log.debug("SIP2 keep-alive failed: %s", exc)


def _fits(message: Message, code: str, sequence: int | None) -> bool:
    """Whether a message has this response code (and sequence number, when known)."""
    return message.code == code and (sequence is None or message.sequence in (None, sequence))


def sc_status_request() -> Message:
    """A 99: the SC is online and speaks 2.00."""
    return build("99", {"status_code": "0", "max_print_width": "080",
                        "protocol_version": "2.00"})


def acs_status(reply: Message) -> AcsStatus:
    """The flags of a 98."""
    return AcsStatus(
        online=reply.flag("online_status"), checkin_ok=reply.flag("checkin_ok"),
        checkout_ok=reply.flag("checkout_ok"), renewal_ok=reply.flag("renewal_policy"),
        offline_ok=reply.flag("offline_ok"), timeout_tenths=_number(reply.fixed["timeout_period"]),
        retries=_number(reply.fixed["retries_allowed"]),
        supported=reply.get(f.SUPPORTED_MESSAGES) or "")


def _number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() else UNKNOWN  # not "²²²"
