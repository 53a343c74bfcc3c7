"""A scripted patron against a running demo: borrows two books and returns one.

A book still on loan from an earlier run (the demo machine and its library live across
restarts) is brought back first, so every run starts from the same place. Uses only the touchscreen's patron API and the simulator's world API (what a person does),
then asks the library emulator whether it agrees about every loan.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests

STATE = Path(__file__).resolve().parent.parent / ".state"
CARD = "04A1B2C3"  # a demo member in good standing (docs/library.md)
MEMBER = "111001000001"
TOKEN = "demo-library-token"


class Patron:
    """The patron's hands and eyes."""

    def __init__(self) -> None:
        sim = json.loads((STATE / "sim" / "endpoints.json").read_text())
        self.world = sim["world"]["url"]
        self.library = sim["library"]["url"]
        self.kiosk = json.loads((STATE / "kiosk" / "kiosk.json").read_text())["ui"]["url"]

    def state(self) -> dict:
        return requests.get(f"{self.kiosk}/api/state", timeout=10).json()

    def wait(self, test, what: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if test(state):
                return state
            if state["state"] == "out_of_service":
                sys.exit(f"scripted patron: the kiosk is out of service: {state['fault']} "
                         "(a technician's job: kiosk status, kiosk flags; docs/controller.md)")
            time.sleep(0.2)
        sys.exit(f"scripted patron: gave up waiting for {what}: {self.state()}")

    def post(self, base: str, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{base}{path}", json=body or {}, timeout=30)
        if response.status_code != 200:
            sys.exit(f"scripted patron: {path} answered {response.status_code} {response.text}")
        return response.json()

    def say(self, text: str) -> None:
        print(f"[patron] {text}", flush=True)


def bring_back(p: Patron, item_id: str) -> None:
    """Return one book through the return slot and wait for the kiosk's answer."""
    p.wait(lambda s: s["state"] == "ready", "the kiosk to be ready")
    p.post(p.kiosk, "/api/return")
    p.wait(lambda s: s["state"] == "awaiting_insert", "the return shutter")
    p.post(p.world, "/return/insert", {"item_id": item_id})
    p.say(f"returns {item_id}")
    state = p.wait(lambda s: s["state"] == "ready" and s["notice"], "the return")
    p.say(f"the screen says {state['notice']}")


def earlier_loans(p: Patron) -> list[str]:
    """Books this patron still has from an earlier visit (on loan, and out of the machine)."""
    out = {book["item_id"] for book in requests.get(f"{p.world}/world", timeout=10).json()["out"]}
    return [item for item in open_loans(p) if item in out]


def open_loans(p: Patron) -> list[str]:
    """The patron's open loans, as the library system knows them."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    patron = requests.get(f"{p.library}/admin/patrons/{MEMBER}", headers=headers, timeout=10).json()
    return sorted(loan["item_id"] for loan in patron["loans"] if not loan.get("returned_at"))


def main() -> None:
    p = Patron()
    p.wait(lambda s: s["state"] == "ready" and not s["backlog"], "the kiosk to be ready and synced")
    for item_id in earlier_loans(p):
        p.say(f"brings back {item_id}, borrowed on an earlier visit")
        bring_back(p, item_id)
    before = p.state()["identifications"]
    p.say(f"taps card {CARD}")
    p.post(p.world, "/card/tap", {"uid": CARD})
    p.wait(lambda s: s["identifications"] > before, "the card to be read")
    p.post(p.world, "/card/remove")
    session = p.wait(lambda s: s["state"] == "browsing", "a session")["session"]
    p.say(f"is greeted as {session['name']}, may borrow {session['remaining']}")
    books = requests.get(f"{p.kiosk}/api/books", timeout=10).json()["books"][:2]
    for book in books:
        p.post(p.kiosk, "/api/cart/add", {"item_id": book["item_id"]})
        p.say(f"chooses {book['item_id']} {book['title']}")
    plan = p.post(p.kiosk, "/api/cart/confirm")["result"]
    p.say(f"confirms; the machine estimates {plan['estimate_seconds']} s of mechanics")
    for _ in books:
        p.wait(lambda s: s["state"] == "awaiting_take", "a book at the pickup door")
        taken = p.post(p.world, "/pickup/take")
        p.say(f"takes {taken['item_id']} from the pickup door")
        p.wait(lambda s: s["state"] != "awaiting_take", "the door to close")
    state = p.wait(lambda s: s["state"] == "browsing" and len(s["session"]["vended"]) == 2, "both")
    p.say(f"sees the due dates {state['session']['due']} and ends the session")
    p.post(p.kiosk, "/api/session/end")
    p.wait(lambda s: s["state"] == "ready", "the end of the session")
    bring_back(p, books[0]["item_id"])
    p.wait(lambda s: s["backlog"] == 0, "the library to hear of it all")
    agree(p, books)


def agree(p: Patron, books: list[dict]) -> None:
    """The library must say: the first book is back, the second is on loan to this patron."""
    loans = open_loans(p)
    expected = [books[1]["item_id"]]
    if loans != expected:
        sys.exit(f"scripted patron: the library has loans {loans}, expected {expected}")
    p.say(f"the library agrees: {MEMBER} has {loans} on loan, {books[0]['item_id']} is back")


if __name__ == "__main__":
    main()
