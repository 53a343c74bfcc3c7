"""The soak's hands: patrons and faults on a running machine, watched through its event stream."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests

from conftest import wait_for
from kiosk_rig import KioskRig

OWNER_ISIL = "111001"
FIRST_MEMBER = 111001500000  # the soak's own members: 111001500000, 111001500001, ...
BLOCKED_MEMBER = "111001000008"  # the demo's Han Jaewon: card reported lost, refused
MAX_LOANS = 2  # [policy] max_loans of the soak's machine (the rig's default)
PATIENCE = 60.0  # s for any one step of a session
SCAN_TRIES = 3
SCAN_PATIENCE = 3.0  # s before a patron scans their code again


class StateStream:
    """Every snapshot of GET /api/events, numbered in order, on a reader thread."""

    def __init__(self, rig: KioskRig) -> None:
        self.rig = rig
        self.recent: deque[tuple[int, dict]] = deque(maxlen=200)
        self.count = 0
        self.changed = threading.Condition()
        self.open = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        """Follow the stream; reconnect when the controller restarts."""
        while self.open:
            try:
                with requests.get(f"{self.rig.ui_url}/api/events", stream=True,
                                  timeout=(5, 60)) as response:
                    for line in response.iter_lines(decode_unicode=True):
                        if not self.open:
                            return
                        if line and line.startswith("data: "):
                            self._add(json.loads(line[6:]))
            except (requests.RequestException, ValueError):
                time.sleep(0.2)

    def _add(self, snapshot: dict) -> None:
        with self.changed:
            self.count += 1
            self.recent.append((self.count, snapshot))
            self.changed.notify_all()

    def close(self) -> None:
        """Stop reading (at the next line or keep-alive)."""
        self.open = False

    def mark(self) -> int:
        """A place in the stream: a wait from it looks only at what comes after."""
        with self.changed:
            return self.count

    def wait(self, wanted: str | Callable[[dict], bool], since: int | None = None,
             timeout: float = PATIENCE, fail: bool = True) -> dict | None:
        """The first snapshot after `since` (else from the latest on) in which `wanted` holds;
        after `timeout`, the test fails (or None, when not `fail`)."""
        test = wanted if callable(wanted) else (lambda s: s["state"] == wanted)
        deadline = time.monotonic() + timeout
        with self.changed:
            after = self.count - 1 if since is None else since
            while True:
                for number, snapshot in self.recent:
                    if number > after and test(snapshot):
                        return snapshot
                after = max(after, self.count)
                left = deadline - time.monotonic()
                if left <= 0 and not fail:
                    return None
                if left <= 0:
                    last = self.recent[-1][1] if self.recent else {}
                    pytest.fail(f"kiosk never reached {wanted}: last {last}\n"
                                f"{self.rig.log()[-2000:]}")
                self.changed.wait(left)


@dataclass
class Tally:
    """What the soak did and saw."""

    sessions: int = 0
    borrowed: int = 0
    walked_away: int = 0
    returned: int = 0
    refused: int = 0
    looked: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    out_of_service: int = 0
    resets: int = 0
    picker_cleared: int = 0  # a book left on the picker by a jam, taken off by the technician
    rescans: int = 0
    handed_back: int = 0
    cart_refused: int = 0


class Patrons:
    """Seeded patrons of one machine: borrow, walk away, look, get refused, return."""

    def __init__(self, rig: KioskRig, stream: StateStream, rng: random.Random,
                 members: int) -> None:
        self.rig, self.stream, self.rng = rig, stream, rng
        self.members = [str(FIRST_MEMBER + n) for n in range(members)]
        self.loans: dict[str, list[str]] = {m: [] for m in self.members}
        self.catalogue = [b["item_id"] for b in rig.books()]
        self.tally = Tally()

    def enrol(self) -> None:
        """The library's members for the soak (each may hold MAX_LOANS from the machine)."""
        for number in self.members:
            self.rig.library("POST", "/admin/patrons", {
                "member_number": number, "name": f"Soak {number[-4:]}",
                "home_library": OWNER_ISIL})

    def session(self) -> None:
        """One patron at the machine: a seeded kind of visit."""
        self.tally.sessions += 1
        roll = self.rng.random()
        out = [b for m in self.members for b in self.loans[m]]
        if out and (roll < 0.35 or len(out) > len(self.members)):
            return self.give_back(self.rng.choice(out))
        if roll < 0.40:
            return self.refused()
        member = self.rng.choice([m for m in self.members if len(self.loans[m]) < MAX_LOANS])
        if roll < 0.55:
            return self.look(member)
        self.borrow(member, walk_away=roll > 0.985)

    def identify(self, member: str) -> dict:
        """Scan the member's QR code (again, as a patron would, when a garbled line lost it);
        the state once the kiosk has answered it."""
        before = self.rig.state()["identifications"]
        for _ in range(SCAN_TRIES):
            self.rig.sim.world_post("/barcode/scan", {"data": member, "symbology": "]Q1"})
            state = self.stream.wait(lambda s: s["identifications"] > before
                                     or s["state"] == "out_of_service", timeout=SCAN_PATIENCE,
                                     fail=False)
            if state is not None:
                return state
            self.tally.rescans += 1
        return self.stream.wait(lambda s: s["identifications"] > before)

    def end(self) -> dict:
        """The patron presses Finish once the machine is done with them."""
        state = self.stream.wait(lambda s: s["state"] in ("browsing", "ready", "out_of_service"))
        if state["state"] == "browsing":
            mark = self.stream.mark()
            self.rig.api("/api/session/end", expect=None)
            return self.stream.wait(lambda s: s["state"] in ("ready", "out_of_service"), mark)
        return state

    def look(self, member: str) -> None:
        """Browse and leave."""
        self.tally.looked += 1
        if self.identify(member)["state"] == "browsing":
            self.rig.books(self.rng.choice(["", "harry", "사랑", "the"]))
        self.end()

    def refused(self) -> None:
        """A blocked card's QR code: the patron is told, no session."""
        self.tally.refused += 1
        self.identify(BLOCKED_MEMBER)
        self.stream.wait(lambda s: s["state"] in ("ready", "out_of_service"))

    def borrow(self, member: str, walk_away: bool) -> None:
        """Put one or two books in the cart and take them (or walk away from the first)."""
        if self.identify(member)["state"] != "browsing":
            return self.end() and None
        out = {b for books in self.loans.values() for b in books}
        shelf = [item_id for item_id in self.catalogue[:200] if item_id not in out]
        room = MAX_LOANS - len(self.loans[member])
        picks = self.rng.sample(shelf, k=min(room, self.rng.choice([1, 1, 2]), len(shelf)))
        added = [item_id for item_id in picks  # refused past the (offline) limit: not in it
                 if self.rig.api("/api/cart/add", {"item_id": item_id}, expect=None)["ok"]]
        mark = self.stream.mark()
        if not added or not self.rig.api("/api/cart/confirm", expect=None)["ok"]:
            self.tally.cart_refused += 1  # nothing changes on the screen: the patron leaves
            return self.end() and None
        for taken in range(len(added)):
            # browsing with the cart still full is the prefetch ending just before the confirm
            # took effect (the vend comes next), not the vend's end
            state = self.stream.wait(lambda s: s["state"] in ("ready", "out_of_service")
                                     or s["state"] == "browsing" and not s["session"]["cart"]
                                     or s["state"] == "awaiting_take"
                                     and len(s["session"]["vended"]) == taken, mark)
            if state["state"] != "awaiting_take":
                break
            mark = self.stream.mark()
            if walk_away:
                self.tally.walked_away += 1
                self.stream.wait(lambda s: s["state"] != "awaiting_take", mark)
                break
            book = self.rig.sim.world_post("/pickup/take")
            self.loans[member].append(book["item_id"])
            self.tally.borrowed += 1
            self.stream.wait(lambda s: s["state"] != "awaiting_take"
                             or len(s["session"]["vended"]) > taken, mark)
        self.end()

    def forget(self, item_id: str) -> None:
        """The book is no patron's any more."""
        for books in self.loans.values():
            if item_id in books:
                books.remove(item_id)

    def give_back(self, item_id: str) -> None:
        """Return one book through the slot."""
        mark = self.stream.mark()
        if self.stream.wait(lambda s: True)["state"] == "out_of_service":
            return  # a fault that struck after the last session (a PLC hang seen late)
        self.rig.api("/api/return", expect=None)
        state = self.stream.wait(lambda s: s["state"] in ("awaiting_insert", "out_of_service"),
                                 mark)
        if state["state"] != "awaiting_insert":
            return
        mark = self.stream.mark()
        inserted = requests.post(f"{self.rig.sim.world_url}/return/insert",
                                 json={"item_id": item_id}, timeout=10)
        if inserted.status_code != 200:  # not out after all (a fault's recovery shelved it)
            self.forget(item_id)
            self.rig.api("/api/session/end", expect=None)  # nothing comes: the patron leaves
            self.stream.wait(lambda s: s["state"] in ("ready", "out_of_service"))
            return
        state = self.stream.wait(lambda s: s["state"] in ("ready", "out_of_service",
                                                          "handing_back"), mark)
        if state["state"] == "handing_back":  # refused: the patron takes it back, still a loan
            self.tally.handed_back += 1
            wait_for(lambda: self.rig.sim.world_get()["return_opening"], PATIENCE,
                     message="the book handed back")
            self.rig.sim.world_post("/return/take-back")
        elif state["state"] == "ready":
            self.forget(item_id)
            self.tally.returned += 1
        self.stream.wait(lambda s: s["state"] in ("ready", "out_of_service"))
