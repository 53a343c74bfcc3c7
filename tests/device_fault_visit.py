"""The device-faults campaign's hands and eyes (tests/device_fault_cases.py): the patron's and
the technician's actions on one machine, and what the machine must show during a fault."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from conftest import wait_for
from kiosk_rig import TECHNICIAN_PIN, KioskRig

VISIT_SECONDS = 1.5  # a fetch and presentation at speed 20: hangs and reboots strike within it
WAIT = 60.0


@dataclass
class Visit:
    """One case's machine, the patron's and technician's hands, and what was seen."""

    rig: KioskRig
    rng: Any
    facts: dict
    handled: list[int] | None = None  # slots a technician put a book into by hand
    home_slots: dict[str, int] | None = None  # each book's slot before the case

    # -- the world and the patron ----------------------------------------------------------
    def world(self) -> dict:
        return self.rig.sim.world_get()

    def post(self, path: str, body: dict | None = None, expect: int = 200) -> dict:
        return self.rig.sim.world_post(path, body, expect)

    def choose(self, count: int = 1, avoid: tuple[str, ...] = ()) -> list[str]:
        """Seeded books the patron may borrow now."""
        shelf = [b["item_id"] for b in self.rig.books()[:40] if b["item_id"] not in avoid]
        return self.rng.sample(shelf, count)

    def lend(self, count: int = 1) -> list[str]:
        """The patron borrows `count` books from a sound machine and leaves; all delivered."""
        books = self.choose(count)
        self.rig.start_session()
        self.rig.borrow(books)
        self.rig.api("/api/session/end")
        self.rig.wait_state("ready")
        self.synced()
        return books

    def open_return(self) -> None:
        self.rig.api("/api/return")
        self.rig.wait_state("awaiting_insert")

    def chosen_and_confirmed(self, item: str) -> None:
        """A session, the book chosen (its prefetch runs), the cart confirmed."""
        self.rig.start_session()
        self.confirmed(item)

    def confirmed(self, item: str) -> None:
        """The patron in session chooses the book and confirms; a fault that struck first
        refuses them (409), as it does a patron at the screen."""
        try:
            self.rig.api("/api/cart/add", {"item_id": item})
            self.rig.api("/api/cart/confirm")
        except AssertionError:
            assert self.rig.state()["state"] == "out_of_service"

    def prefetched(self, item: str) -> None:
        """A session, the book chosen and waiting behind the closed pickup door."""
        self.rig.start_session()
        self.rig.api("/api/cart/add", {"item_id": item})
        self.rig.wait_state(lambda s: ((s["session"] or {}).get("prefetch") or {}).get("ready"))

    def at_a_seeded_moment(self, strike: Callable[[], None]) -> threading.Timer:
        timer = threading.Timer(self.rng.uniform(0.05, VISIT_SECONDS), strike)
        timer.start()
        return timer

    def synced(self) -> None:
        wait_for(lambda: self.rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")

    # -- what the machine shows ------------------------------------------------------------
    def out_of_service(self, code: str) -> dict:
        """Safe state, the patron told, the technician alerted: out of service for `code`."""
        state = self.rig.wait_state("out_of_service", WAIT)
        fault = state["fault"]
        assert fault["code"] == code and fault["detail"], fault
        assert state["session"] is None  # the screen shows out of service, no patron's data
        self.facts["patron_told"] = 1
        wait_for(lambda: self.world()["plc"]["motion"] is None or self.world()["plc"]["hung"],
                 WAIT, message="nothing moving")
        world = self.world()
        if not world["plc"]["hung"]:  # a hung PLC takes no lamp command
            wait_for(lambda: self.world()["lamps"]["fault_beacon"], WAIT, message="the beacon")
        assert not self.world()["lamps"]["pickup_lamp"] or world["plc"]["hung"]
        self.facts["safe_state"] = 1
        self.alerted("out_of_service", lambda d: d["fault"] == code)
        health = requests.get(f"{self.rig.ui_url}/health", timeout=10)
        assert health.status_code == 503 and health.json()["fault"]["code"] == code
        return fault

    def out_of_service_any(self) -> dict:
        """As out_of_service, for whichever fault code the machine names."""
        state = self.rig.wait_state("out_of_service", WAIT)
        return self.out_of_service(state["fault"]["code"])

    def alerted(self, alert: str, about: Callable[[dict], bool] = lambda d: True) -> dict:
        """The technician's `kiosk alerts` lists it (and so do /health and the webhook)."""
        def firing() -> dict | None:
            return next((a for a in self.rig.control("alerts")
                         if a["alert"] == alert and about(a["detail"])), None)
        found = wait_for(firing, WAIT, message=f"alert {alert}")
        self.facts["alerted"] = 1
        return found

    def metric(self, name: str, **labels: str) -> float | None:
        text = requests.get(f"{self.rig.ui_url}/metrics", timeout=10).text
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        head = f"{name}{{{want}}}" if labels else name
        for line in text.splitlines():
            if line.startswith(head + " "):
                return float(line.split()[-1])
        return None

    # -- the technician ----------------------------------------------------------------------
    def reset(self, remedy: Callable[[], None] = lambda: None) -> None:
        """Remedy the cause, take off the picker what a jam left there, `kiosk reset`; a book
        handled by hand is audited where it was put."""
        remedy()
        for _ in range(3):
            self.unload_picker()
            self.rig.control("reset")
            state = self.rig.wait_state(lambda s: s["state"] in ("ready", "out_of_service"), WAIT)
            if state["state"] == "ready":
                break
            assert state["fault"]["code"] == "picker_loaded", state["fault"]
        else:
            raise AssertionError("never back in service")
        if self.handled:
            self.audit(self.handled)

    def audit(self, slots: list[int]) -> None:
        """`kiosk audit SLOTS`, then `kiosk audit-fix` when it found the journal wrong."""
        run = self.rig.control("audit", {"slots": slots})
        fixed = self.rig.ask("audit-fix", {"run_id": run["run_id"]}, pin=TECHNICIAN_PIN)
        assert fixed["ok"] or "already in the journal" in fixed["error"], fixed
        self.rig.wait_state("ready")

    def unload_picker(self) -> None:
        """A book left on the picker goes by hand into its own slot (the journal's), else into
        the lowest empty slot."""
        world = self.world()
        if not world["picker"]:
            return
        taken = set(map(int, world["slots"]))
        slot = self.home_slots.get(world["picker"]["item_id"])
        if slot is None or slot in taken:
            slot = next(s for s in range(1000) if s not in taken)
        self.post("/service-door", {"open": True})
        self.post("/picker/unload", {"to": slot})
        self.post("/service-door", {"open": False})
        self.handled = [*(self.handled or []), slot]

    def resumed(self, avoid: tuple[str, ...] = ()) -> str:
        """Another patron borrows another book: the machine serves again."""
        other = self.choose(1, avoid)[0]
        self.rig.start_session()
        assert other in self.rig.borrow([other])["session"]["vended"]
        self.rig.api("/api/session/end")
        self.rig.wait_state("ready")
        self.synced()
        self.facts["resumed"] = 1
        return other
