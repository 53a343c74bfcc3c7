"""A scripted patron against a running demo: borrows two books and returns one.

Uses only the touchscreen's patron API and the simulator's world API (what a person does),
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
            time.sleep(0.2)
        sys.exit(f"scripted patron: gave up waiting for {what}: {self.state()}")

    def post(self, base: str, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{base}{path}", json=body or {}, timeout=30)
        if response.status_code != 200:
            sys.exit(f"scripted patron: {path} answered {response.status_code} {response.text}")
        return response.json()

    def say(self, text: str) -> None:
        print(f"[patron] {text}", flush=True)


def main() -> None:
    p = Patron()
    p.wait(lambda s: s["state"] == "ready", "the kiosk to be ready")
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
    p.post(p.kiosk, "/api/return")
    p.wait(lambda s: s["state"] == "awaiting_insert", "the return shutter")
    p.post(p.world, "/return/insert", {"item_id": books[0]["item_id"]})
    p.say(f"returns {books[0]['item_id']}")
    state = p.wait(lambda s: s["state"] == "ready" and s["notice"], "the return")
    p.say(f"the screen says {state['notice']}")
    p.wait(lambda s: s["backlog"] == 0, "the library to hear of it all")
    agree(p, books)


def agree(p: Patron, books: list[dict]) -> None:
    """The library must say: the first book is back, the second is on loan to this patron."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    patron = requests.get(f"{p.library}/admin/patrons/{MEMBER}", headers=headers, timeout=10).json()
    open_loans = sorted(loan["item_id"] for loan in patron["loans"] if not loan.get("returned_at"))
    expected = [books[1]["item_id"]]
    if open_loans != expected:
        sys.exit(f"scripted patron: the library has loans {open_loans}, expected {expected}")
    p.say(f"the library agrees: {MEMBER} has {open_loans} on loan, {books[0]['item_id']} is back")


if __name__ == "__main__":
    main()
