"""kiosk.notify: sd_notify datagrams to a real AF_UNIX socket, and the watchdog interval."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator

import pytest

from conftest import wait_for
from kiosk import notify


class Receiver:
    """A datagram socket standing where systemd's notify socket would be."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(5)

    def next(self) -> bytes:
        """The next datagram (fails the test after 5 s)."""
        return self.sock.recv(4096)

    def pending(self) -> bytes | None:
        """A datagram already waiting, or None."""
        self.sock.setblocking(False)
        try:
            return self.sock.recv(4096)
        except BlockingIOError:
            return None
        finally:
            self.sock.settimeout(5)


@pytest.fixture
def receiver(tmp_path) -> Iterator[tuple[Receiver, dict[str, str]]]:
    """A bound socket in tmp_path and the environment that points at it."""
    path = tmp_path / "notify.sock"
    rx = Receiver(str(path))
    yield rx, {"NOTIFY_SOCKET": str(path)}
    rx.sock.close()


def test_each_message_arrives_as_one_datagram(receiver):
    rx, env = receiver
    assert notify.ready(env=env)
    assert rx.next() == b"READY=1"
    assert notify.ready("journal reconciled", env=env)
    assert rx.next() == b"READY=1\nSTATUS=journal reconciled"
    assert notify.status("3 books waiting for sync", env=env)
    assert rx.next() == b"STATUS=3 books waiting for sync"
    assert notify.watchdog(env=env)
    assert rx.next() == b"WATCHDOG=1"
    assert notify.extend_timeout(90, env=env)
    assert rx.next() == b"EXTEND_TIMEOUT_USEC=90000000"
    assert notify.stopping("closing the doors", env=env)
    assert rx.next() == b"STOPPING=1\nSTATUS=closing the doors"


def test_a_status_stays_one_line(receiver):
    rx, env = receiver
    notify.status("jam\nat slot 12\r\n", env=env)
    assert rx.next() == b"STATUS=jam at slot 12"


def test_reads_notify_socket_from_the_process_environment(receiver, monkeypatch):
    rx, env = receiver
    monkeypatch.setenv("NOTIFY_SOCKET", env["NOTIFY_SOCKET"])
    assert notify.watchdog()
    assert rx.next() == b"WATCHDOG=1"


def test_abstract_socket_names_start_with_at():
    name = f"kiosk-notify-test-{uuid.uuid4().hex}"
    rx = Receiver("\0" + name)
    try:
        assert notify.ready(env={"NOTIFY_SOCKET": "@" + name})
        assert rx.next() == b"READY=1"
    finally:
        rx.sock.close()


def test_does_nothing_without_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.ready() is False
    assert notify.watchdog(env={"NOTIFY_SOCKET": ""}) is False
    assert notify.watchdog(env={"NOTIFY_SOCKET": "vsock:2:1234"}) is False


def test_a_vanished_socket_is_reported_not_raised(tmp_path, caplog):
    assert notify.watchdog(env={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False
    assert "sd_notify" in caplog.text


@pytest.mark.parametrize(("env", "expected"), [
    ({"WATCHDOG_USEC": "30000000"}, 15.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # another process's watchdog
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
    ({}, None),
])
def test_watchdog_interval_is_half_of_watchdog_usec(env, expected):
    assert notify.watchdog_interval(env) == expected


def test_watchdog_interval_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert notify.watchdog_interval() == 2.0


def test_keep_alive_pings_while_healthy(receiver):
    rx, env = receiver
    env = {**env, "WATCHDOG_USEC": "20000"}  # a ping every 10 ms

    async def run() -> list[bytes]:
        task = asyncio.create_task(notify.keep_alive(env=env))
        pings = [await asyncio.to_thread(rx.next) for _ in range(3)]
        task.cancel()
        return pings

    assert asyncio.run(run()) == [b"WATCHDOG=1"] * 3


def test_keep_alive_stays_silent_while_unhealthy(receiver):
    rx, env = receiver
    env = {**env, "WATCHDOG_USEC": "20000"}
    checks = []

    async def run() -> None:
        task = asyncio.create_task(notify.keep_alive(lambda: checks.append(1) and False, env=env))
        await asyncio.to_thread(wait_for, lambda: len(checks) >= 3, 5.0)
        task.cancel()

    asyncio.run(run())
    assert rx.pending() is None


def test_keep_alive_returns_at_once_without_a_watchdog():
    asyncio.run(asyncio.wait_for(notify.keep_alive(env={}), timeout=5))
