"""Who may change the machine: the socket's peer, the technician PIN, the audit log."""

from __future__ import annotations

import pwd
import socket
import struct
from typing import TYPE_CHECKING

from kiosk.control_api import Caller

if TYPE_CHECKING:
    from kiosk.controller import Controller


def peer(sock: socket.socket | None) -> tuple[int | None, str]:
    """The uid and user name at the other end of a Unix socket (SO_PEERCRED)."""
    if sock is None:
        return None, "unknown"
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
    except OSError:
        return None, "unknown"
    try:
        return uid, pwd.getpwuid(uid).pw_name
    except KeyError:
        return uid, f"uid {uid}"


async def authorize(ctl: "Controller", request: str, caller: Caller) -> None:
    """Let a changing request through. (The technician PIN check and the audit log: issue 11.)"""

