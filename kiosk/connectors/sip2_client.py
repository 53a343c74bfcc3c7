"""A blocking SIP2 client: one TCP connection, login, sequence numbers, checksums, resends."""

from __future__ import annotations

import logging
import socket
import threading

from drivers.sip2 import ChecksumError, Message, Sip2Error, build, decode, encode, response_code
from drivers.sip2 import layouts as f
from kiosk.connectors.base import (
    LibraryAuthError, LibraryProtocolError, LibraryTimeout, LibraryUnavailable,
)
from kiosk.connectors.config import Sip2ConnectorConfig

log = logging.getLogger(__name__)
MAX_MESSAGE = 64 * 1024
_RESEND_REQUEST = build("97", {})


class Sip2Client:
    """Sends one request at a time and returns the ACS's matching, verified response."""

    def __init__(self, config: Sip2ConnectorConfig, user: str, password: str) -> None:
        self.config = config
        self._login = (user, password)
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._sequence = 0
        self._lock = threading.Lock()

    def exchange(self, request: Message) -> Message:
        """The response to `request`, (re)connecting and logging in when needed."""
        with self._lock:
            try:
                if self._sock is None:
                    self._connect()
                return self._exchange(request)
            except BaseException:
                self._disconnect()  # the stream's state is unknown: start afresh next time
                raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._disconnect()

    def _connect(self) -> None:
        address = (self.config.host, self.config.port)
        try:
            self._sock = socket.create_connection(address, timeout=self.config.connect_timeout)
        except TimeoutError:
            raise LibraryTimeout("SIP2 connect timed out") from None
        except OSError as exc:
            raise LibraryUnavailable(f"SIP2 connect failed: {exc.strerror or exc}") from None
        self._sock.settimeout(self.config.timeout)
        self._buffer = b""
        user, password = self._login
        reply = self._exchange(build("93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [
            (f.LOGIN_USER, user), (f.LOGIN_PASSWORD, password),
            (f.LOCATION_CODE, self.config.machine_id)]))
        if not reply.flag("ok"):
            raise LibraryAuthError("SIP2 login refused")

    def _disconnect(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _exchange(self, request: Message) -> Message:
        sequence = self._sequence
        self._sequence = (self._sequence + 1) % 10
        data = self._encode(Message(request.code, request.fixed, request.fields, sequence))
        self._send(data)
        for _ in range(self.config.resend_attempts + 1):
            try:
                reply = decode(self._receive(), encoding=self.config.encoding,
                               require_checksum=self.config.error_detection)
            except ChecksumError:
                self._send(self._encode(_RESEND_REQUEST))  # 97: please send that again
                continue
            except Sip2Error as exc:
                raise LibraryProtocolError(f"SIP2 answer malformed: {exc}") from None
            if reply.code == "96":  # the ACS could not read ours
                self._send(data)
                continue
            return self._matching(reply, request.code, sequence)
        raise LibraryProtocolError("SIP2 answer still corrupt after resends")

    def _matching(self, reply: Message, request_code: str, sequence: int) -> Message:
        if reply.code != response_code(request_code):
            raise LibraryProtocolError(f"SIP2 answer {reply.code} to request {request_code}")
        if self.config.error_detection and reply.sequence != sequence:
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
            except OSError as exc:
                raise LibraryUnavailable(f"SIP2 receive failed: {exc.strerror or exc}") from None
            if not chunk:
                raise LibraryUnavailable("SIP2 connection closed by the ACS")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\r")
        log.debug("SIP2 <- %d bytes", len(message))
        return message.lstrip(b"\n")
