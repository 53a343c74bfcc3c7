"""A bare SIP2 SC and an emulator per ACS profile, for the profile tests."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from library_fixtures import MACHINE, BackgroundLoop, RunningLibrary, item, start_library

from drivers.sip2 import Message, build, decode, encode
from sim.library import DEMO_TOKEN

T = " " * 18
ISIL = "111001"
KIM, OH = "111001000001", "111001000009"  # demo patrons: good member, second good member
NOW = "2026-03-02T10:00:00+09:00"  # the library's clock in these tests (Asia/Seoul)
FIXED = {
    "93": {"uid_algorithm": "0", "pwd_algorithm": "0"},
    "99": {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"},
    "23": {"language": "000", "transaction_date": T},
    "63": {"language": "000", "transaction_date": T, "summary": " " * 10},
    "11": {"renewal_policy": "N", "no_block": "N", "transaction_date": T, "nb_due_date": T},
    "29": {"third_party_allowed": "N", "no_block": "N", "transaction_date": T, "nb_due_date": T},
    "09": {"no_block": "N", "transaction_date": T, "return_date": T},
    "17": {"transaction_date": T},
    "15": {"hold_mode": "+", "transaction_date": T},
    "35": {"transaction_date": T},
    "01": {"card_retained": "N", "transaction_date": T},
}
LOCAL_STAMP = re.compile(r"\d{8} {4}\d{6}\Z")
UTC_STAMP = re.compile(r"\d{8} {3}Z\d{6}\Z")


class Sc:
    """A bare SC on a real socket; keeps every answer it got."""

    def __init__(self, endpoint: dict, encoding: str = "utf-8") -> None:
        self.sock = socket.create_connection((endpoint["sip2_host"], endpoint["sip2_port"]), 10)
        self.encoding = encoding
        self.buffer = b""
        self.answers: list[Message] = []

    def send(self, data: bytes) -> bytes | None:
        """Send bytes; the CR-terminated answer, or None when the ACS closed the connection."""
        self.sock.sendall(data)
        return self.receive()

    def receive(self) -> bytes | None:
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        answer, _, self.buffer = self.buffer.partition(b"\r")
        return answer + b"\r"

    def ask(self, code: str, *fields: tuple[str, str], seq: int = 1, **fixed: str) -> Message:
        """One request (default fixed fields), its checked answer."""
        msg = build(code, {**FIXED[code], **fixed}, fields, seq)
        wire = self.send(encode(msg, encoding=self.encoding))
        assert wire is not None, f"the ACS hung up on {code}"
        answer = decode(wire, encoding=self.encoding, require_checksum=True)
        self.answers.append(answer)
        return answer

    def login(self) -> Sc:
        assert self.ask("93", ("CN", MACHINE), ("CO", DEMO_TOKEN), ("CP", MACHINE),
                        seq=0).fixed["ok"] == "1"
        return self

    def close(self) -> None:
        self.sock.close()


class Acs:
    """A started emulator in one profile, its admin API and SCs."""

    def __init__(self, running: RunningLibrary) -> None:
        self.running = running
        self.admin = running.admin
        self.scs: list[Sc] = []

    def sc(self, encoding: str = "utf-8") -> Sc:
        """A new logged-in SC connection."""
        sc = Sc(self.running.endpoint, encoding)
        self.scs.append(sc)
        return sc.login()

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """A kiosk-facing HTTP API call of the machine."""
        url = f"{self.running.endpoint['url']}/api/v1/machines/{MACHINE}{path}"
        return requests.request(method, url, json=body, timeout=10,
                                headers={"Authorization": f"Bearer {DEMO_TOKEN}"})


@pytest.fixture
def make_acs(background_loop: BackgroundLoop, tmp_path: Path) -> Iterator[Callable[..., Acs]]:
    started: list[Acs] = []

    def make(profile: str = "project", **options: Any) -> Acs:
        path = tmp_path / f"acs{len(started)}"
        path.mkdir()
        acs = Acs(start_library(background_loop, path, sip2_profile=profile, **options))
        acs.admin.call("POST", "/admin/clock", {"set": NOW})
        started.append(acs)
        return acs

    yield make
    for acs in started:
        for sc in acs.scs:
            sc.close()
        background_loop.run(acs.running.sim.stop())


def lend(sc: Sc, patron: str, n: int, *fields: tuple[str, str], **fixed: str) -> Message:
    return sc.ask("11", ("AO", ISIL), ("AA", patron), ("AB", item(n)), *fields, **fixed)


def give_back(sc: Sc, n: int | str) -> Message:
    return sc.ask("09", ("AO", ISIL), ("AB", item(n) if isinstance(n, int) else n))


def hold(sc: Sc, patron: str, n: int, mode: str = "+") -> Message:
    return sc.ask("15", ("AO", ISIL), ("AA", patron), ("AB", item(n)), hold_mode=mode)


def info(sc: Sc, patron: str, summary: int | None = None, *fields: tuple[str, str]) -> Message:
    wanted = [" "] * 10
    if summary is not None:
        wanted[summary] = "Y"
    return sc.ask("63", ("AO", ISIL), ("AA", patron), *fields, summary="".join(wanted))


def ids(msg: Message) -> set[str]:
    return {k for k, _ in msg.fields}
