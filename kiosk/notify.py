"""systemd service notification (sd_notify) without libsystemd: READY, STATUS, WATCHDOG, STOPPING."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def _address(env: Mapping[str, str]) -> str | None:
    """The socket from $NOTIFY_SOCKET: a path, or an abstract name written with a leading '@'."""
    value = env.get("NOTIFY_SOCKET", "")
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # unset, or a kind this module does not speak (vsock:…)


def notify(*assignments: str, env: Mapping[str, str] | None = None) -> bool:
    """Send `KEY=value` lines to systemd in one datagram; False when not run by systemd or it fails."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    message = "\n".join(assignments).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message, address)
    except OSError as exc:
        log.warning("sd_notify to %r failed: %s", address.replace("\0", "@"), exc)
        return False
    return True


def _one_line(text: str) -> str:
    """A status must not contain newlines: they separate assignments."""
    return " ".join(text.splitlines())


def ready(status: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Startup is finished (Type=notify): systemd starts the units ordered after this one."""
    lines = ["READY=1"] + ([f"STATUS={_one_line(status)}"] if status else [])
    return notify(*lines, env=env)


def status(text: str, env: Mapping[str, str] | None = None) -> bool:
    """A one-line status shown by `systemctl status`."""
    return notify(f"STATUS={_one_line(text)}", env=env)


def watchdog(env: Mapping[str, str] | None = None) -> bool:
    """Tell the watchdog this process is alive and well."""
    return notify("WATCHDOG=1", env=env)


def stopping(status: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Shutdown has begun."""
    lines = ["STOPPING=1"] + ([f"STATUS={_one_line(status)}"] if status else [])
    return notify(*lines, env=env)


def extend_timeout(seconds: float, env: Mapping[str, str] | None = None) -> bool:
    """Ask for `seconds` more to finish starting or stopping (e.g. homing a carousel)."""
    return notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}", env=env)


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of $WATCHDOG_USEC), or None without a watchdog."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None  # no watchdog, or it watches another process
    return usec / 2_000_000


async def keep_alive(healthy: Callable[[], bool] = lambda: True,
                     env: Mapping[str, str] | None = None) -> None:
    """Ping the watchdog every interval while `healthy()`; returns at once without a watchdog."""
    # A task on the controller's loop: a blocked loop stops the pings and systemd restarts us.
    interval = watchdog_interval(env)
    if interval is None:
        return
    while True:
        if healthy():
            watchdog(env)
        await asyncio.sleep(interval)
