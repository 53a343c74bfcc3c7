"""End to end: a patron borrows and returns through the real controller on the simulator."""

from __future__ import annotations

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER

AFI_ON_LOAN = 0xC2
AFI_SECURED = 0x07


def out_items(world: dict) -> dict[str, dict]:
    """Books outside the machine, by item id."""
    return {entry["item_id"]: entry for entry in world["out"]}


def library_item(rig, item_id: str) -> dict:
    return rig.library("GET", f"/admin/items/{item_id}")


def test_two_books_out_and_one_back_with_the_library_agreeing(kiosk):
    session = kiosk.start_session()
    assert session["session"]["name"] == "K*******i"  # only the masked name is shown
    first, second = [b["item_id"] for b in kiosk.books()[:2]]

    state = kiosk.borrow([first, second])
    assert sorted(state["session"]["vended"]) == sorted([first, second])
    world = kiosk.sim.world_get()
    assert {first, second} <= set(out_items(world))
    assert all(out_items(world)[i]["afi"] == AFI_ON_LOAN for i in (first, second))
    assert kiosk.control("status")["on_loan"] == 2

    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    state = kiosk.return_book({"item_id": first})
    assert state["notice"] == {"code": "return_accepted", "item_id": first, "days_late": 0}
    world = kiosk.sim.world_get()
    shelved = [s for s, e in world["slots"].items() if e["item_id"] == first]
    assert len(shelved) == 1 and world["slots"][shelved[0]]["afi"] == AFI_SECURED

    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="sync")
    patron = kiosk.library("GET", f"/admin/patrons/{GOOD_MEMBER}")
    open_loans = {loan["item_id"] for loan in patron["loans"] if not loan.get("returned_at")}
    assert open_loans == {second}
    assert library_item(kiosk, first)["status"] == "available"
    assert library_item(kiosk, second)["status"] == "on_loan"


def test_the_cart_stops_at_the_patrons_limit(kiosk):
    kiosk.start_session()
    books = [b["item_id"] for b in kiosk.books()[:3]]
    kiosk.api("/api/cart/add", {"item_id": books[0]})
    kiosk.api("/api/cart/add", {"item_id": books[1]})
    refused = kiosk.api("/api/cart/add", {"item_id": books[2]}, expect=409)
    assert refused["refusal"] == "limit_reached"
    state = kiosk.wait_state(lambda s: s["state"] in ("browsing", "prefetching"))
    assert state["session"]["cart"] == books[:2]  # still choosing, with the two books
    assert kiosk.state()["state"] in ("browsing", "prefetching")


def take_back(rig) -> dict:
    """The patron takes the pushed-out book; the kiosk closes the shutter."""
    wait_for(lambda: rig.sim.world_get()["return_opening"] is not None, 30,
             message="the book to be pushed out")
    taken = rig.sim.world_post("/return/take-back")
    rig.wait_state("ready")
    return taken


def test_a_foreign_book_is_handed_back_with_the_reason(kiosk):
    kiosk.return_book({"foreign": {"item_id": "OTHER-123", "isil": "999999"}})
    assert kiosk.state()["notice"]["reason"] == "not_from_this_machine"
    assert take_back(kiosk)["item_id"] == "OTHER-123"
    world = kiosk.sim.world_get()
    assert "OTHER-123" in out_items(world)
    assert all(e["item_id"] != "OTHER-123" for e in world["slots"].values())
    assert world["sensors"]["return_shutter_closed"]


def test_a_book_with_a_broken_tag_and_an_unknown_barcode_is_handed_back_as_unreadable(kiosk):
    kiosk.api("/api/return")
    kiosk.wait_state("awaiting_insert")
    kiosk.sim.world_post("/return/insert", {"foreign": {"item_id": "EM99999999",
                                                        "damaged_tag": True}})
    kiosk.wait_state(lambda s: (s["progress"] or {}).get("step") == "scan_book_barcode")
    kiosk.sim.world_post("/barcode/scan", {"data": "EM99999999"})  # no book of this machine
    kiosk.wait_state("handing_back")
    assert kiosk.state()["notice"]["reason"] == "unreadable_tag"
    assert take_back(kiosk)["item_id"] == "EM99999999"


def test_an_untaken_book_goes_back_to_its_slot_and_no_loan_remains(make_kiosk):
    rig = make_kiosk(pickup_timeout=1.0)
    rig.start_session()
    item = rig.books()[0]["item_id"]
    slot_before = next(s for s, e in rig.sim.world_get()["slots"].items() if e["item_id"] == item)
    rig.api("/api/cart/add", {"item_id": item})
    rig.api("/api/cart/confirm")
    rig.wait_state("retracting", timeout=60)
    rig.wait_state(lambda s: s["state"] in ("browsing", "ready"))
    world = rig.sim.world_get()
    assert world["slots"][slot_before]["item_id"] == item
    assert world["slots"][slot_before]["afi"] == AFI_SECURED
    assert world["pickup_port"] is None
    assert rig.control("status")["on_loan"] == 0
    assert rig.control("flags") == []  # the right book went back: nothing for an audit
    wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")
    assert library_item(rig, item)["status"] == "available"


def test_a_jam_mid_vend_leaves_the_machine_safe_with_no_loan_and_an_audit_flag(kiosk):
    kiosk.start_session()
    item = kiosk.books()[0]["item_id"]
    kiosk.sim.world_post("/faults/jam", {"fault_code": 1})  # the next motion jams
    kiosk.api("/api/cart/add", {"item_id": item})  # its fetch starts at once, and jams
    state = kiosk.wait_state("out_of_service")
    assert state["fault"]["code"] == "device"
    assert state["session"] is None
    status = kiosk.control("status")
    assert status["on_loan"] == 0
    flags = kiosk.control("flags")
    assert any(f["item_id"] == item for f in flags)
    assert item not in out_items(kiosk.sim.world_get())
    refused = kiosk.api("/api/return", expect=409)
    assert refused["refusal"] == "busy"


def test_the_controller_stops_on_sigterm_while_a_screen_listens_to_events(kiosk):
    import threading

    import requests

    opened = threading.Event()

    def listen() -> None:
        with requests.get(f"{kiosk.ui_url}/api/events", stream=True, timeout=60) as response:
            for _ in response.iter_lines():
                opened.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10)
    kiosk.stop()
    assert kiosk.process.returncode == 0  # a clean exit, not the SIGKILL that follows a hang
    listener.join(10)
    assert not listener.is_alive()  # the stream was ended by the controller


def test_a_return_shows_no_notice_left_from_an_earlier_card(kiosk):
    kiosk.tap_card("DEADBEEF")  # a card nobody holds: the screen says so
    assert kiosk.wait_state("ready")["notice"] is not None
    kiosk.api("/api/return")
    assert kiosk.wait_state("awaiting_insert")["notice"] is None
    state = kiosk.wait_state("ready", timeout=60)  # nothing inserted: the shutter closes
    assert state["notice"] is None and state["progress"] is None


def test_a_book_grabbed_as_the_door_closes_is_a_loan_not_a_fault(make_kiosk):
    rig = make_kiosk(pickup_timeout=1.0)
    rig.start_session()
    item = rig.books()[0]["item_id"]
    rig.api("/api/cart/add", {"item_id": item})
    rig.api("/api/cart/confirm")
    rig.wait_state("awaiting_take")
    rig.sim.world_post("/hand", {"door": "pickup", "present": True})  # the patron hesitates
    rig.wait_state("retracting")  # too late: the door tries to close on the hand
    assert rig.sim.world_post("/pickup/take")["item_id"] == item
    rig.sim.world_post("/hand", {"door": "pickup", "present": False})
    state = rig.wait_state(lambda s: s["state"] in ("browsing", "ready", "out_of_service"))
    assert state["state"] != "out_of_service", state["fault"]
    assert state["session"]["vended"] == [item]
    assert rig.control("status")["on_loan"] == 1 and rig.control("flags") == []
    world = rig.sim.world_get()
    assert item in out_items(world) and out_items(world)[item]["afi"] == AFI_ON_LOAN
    wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")
    assert library_item(rig, item)["status"] == "on_loan"
