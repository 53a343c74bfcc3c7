"""End to end: the first chosen book is fetched while the patron still browses."""

from __future__ import annotations

from conftest import wait_for


def slot_of(world: dict, item_id: str) -> str | None:
    return next((s for s, e in world["slots"].items() if e["item_id"] == item_id), None)


def waiting_behind_the_door(rig, item_id: str) -> dict:
    """Wait until the book is in the pickup port with the door shut; return the world."""
    def check():
        world = rig.sim.world_get()
        port = world["pickup_port"]
        return world if port and port["item_id"] == item_id else None
    world = wait_for(check, 60, interval=0.2, message=f"{item_id} to be prefetched")
    assert world["sensors"]["pickup_door_closed"]
    rig.wait_state("browsing")  # the patron still browses meanwhile
    return world


def test_the_first_choice_is_fetched_while_browsing_and_lent_first(kiosk):
    kiosk.start_session()
    first, second = [b["item_id"] for b in kiosk.books()[:2]]
    kiosk.api("/api/cart/add", {"item_id": first})
    waiting_behind_the_door(kiosk, first)
    kiosk.api("/api/cart/add", {"item_id": second})
    order = kiosk.api("/api/cart/confirm")["result"]["order"]
    assert order[0] == first
    kiosk.wait_state("awaiting_take")
    assert kiosk.sim.world_post("/pickup/take")["item_id"] == first
    kiosk.wait_state(lambda s: s["state"] != "awaiting_take")
    kiosk.wait_state("awaiting_take")
    assert kiosk.sim.world_post("/pickup/take")["item_id"] == second
    state = kiosk.wait_state(lambda s: s["state"] == "browsing" and len(s["session"]["vended"]) == 2)
    assert state["session"]["vended"] == [first, second]


def test_a_prefetched_book_goes_back_when_the_patron_changes_their_mind(kiosk):
    kiosk.start_session()
    first, second = [b["item_id"] for b in kiosk.books()[:2]]
    home = slot_of(kiosk.sim.world_get(), first)
    kiosk.api("/api/cart/add", {"item_id": first})
    waiting_behind_the_door(kiosk, first)
    kiosk.api("/api/cart/remove", {"item_id": first})
    kiosk.api("/api/cart/add", {"item_id": second})
    kiosk.api("/api/cart/confirm")
    kiosk.wait_state("awaiting_take")
    assert kiosk.sim.world_post("/pickup/take")["item_id"] == second
    kiosk.wait_state(lambda s: s["state"] == "browsing" and s["session"]["vended"] == [second])
    world = kiosk.sim.world_get()
    assert world["slots"][home]["item_id"] == first and world["slots"][home]["afi"] == 0x07
    assert kiosk.control("status")["on_loan"] == 1


def test_a_prefetched_book_goes_back_when_the_session_ends(kiosk):
    kiosk.start_session()
    first = kiosk.books()[0]["item_id"]
    home = slot_of(kiosk.sim.world_get(), first)
    kiosk.api("/api/cart/add", {"item_id": first})
    waiting_behind_the_door(kiosk, first)
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    world = kiosk.sim.world_get()
    assert world["slots"][home]["item_id"] == first and world["pickup_port"] is None
    assert kiosk.control("status")["on_loan"] == 0
    assert kiosk.control("status")["open_intents"] == 0
