"""End to end: who may borrow, as the library and the policy decide, seen at the touchscreen.

The refusals share one machine (`shared_kiosk`): a refused card leaves it as it was."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER

from sim.library.demo import DEMO_PATRONS

PATRONS = {p.member_number: p for p in DEMO_PATRONS}


def card_of(note_word: str) -> str:
    """The demo card whose note names this case."""
    return next(p.card_uid for p in DEMO_PATRONS if note_word in p.note)


def test_a_federated_member_checked_in_here_may_borrow(kiosk):
    state = kiosk.start_session(card_of("checked in here once"))
    assert state["session"]["remaining"] == 2


def test_a_pin_is_asked_for_and_checked(kiosk):
    kiosk.tap_card(card_of("has a PIN"))
    assert kiosk.wait_state("pin_entry")["pin_needed"]
    kiosk.api("/api/pin", {"pin": "9999"})  # checked by the library in state checking_pin
    state = kiosk.wait_state(lambda s: s["notice"] is not None)
    assert state["notice"] == {"code": "bad_pin"} and state["state"] == "pin_entry"
    kiosk.api("/api/pin", {"pin": "1234"})
    assert kiosk.wait_state("browsing")["session"]["name"] == "L******o"


def test_a_member_qr_code_starts_a_session_like_a_card(kiosk):
    member = next(p.member_number for p in DEMO_PATRONS if p.card_uid == "04A1B2C3")
    kiosk.sim.world_post("/barcode/scan", {"data": member, "symbology": "]Q1"})
    assert kiosk.wait_state("browsing")["session"]["remaining"] == 2


def test_the_session_ends_when_the_patron_says_so(kiosk):
    kiosk.start_session()
    kiosk.api("/api/session/end")
    assert kiosk.wait_state("ready")["session"] is None


def test_outside_opening_hours_the_kiosk_is_closed_to_lending(make_kiosk):
    closed_all_week = "\n".join(f'{day} = "closed"' for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    rig = make_kiosk(policy=closed_all_week)
    assert rig.state()["state"] == "closed"
    rig.sim.world_post("/card/tap", {"uid": "04A1B2C3"})
    try:
        # the card is read (the simulator says so) and ignored: no session, no answer
        wait_for(lambda: "device event card_presented ignored in state closed" in rig.log(), 30,
                 message="the controller to see the card")
        refused = rig.api("/api/cart/add", {"item_id": "EM00000001"}, expect=409)
        assert refused["refusal"] == "not_now"
        state = rig.state()
        assert state["state"] == "closed" and state["session"] is None
        assert state["identifications"] == 0
    finally:
        rig.sim.world_post("/card/remove")
    rig.api("/api/return")  # returns are still taken while closed
    rig.wait_state("awaiting_insert")


def test_three_wrong_pins_end_the_attempt(kiosk):
    kiosk.tap_card(card_of("has a PIN"))
    for _ in range(3):
        kiosk.wait_state("pin_entry")
        kiosk.api("/api/pin", {"pin": "9999"})
    state = kiosk.wait_state("ready")
    assert state["notice"] == {"code": "too_many_pin_attempts"} and state["session"] is None


def test_a_pin_in_other_digits_is_refused_as_malformed(kiosk):
    kiosk.tap_card(card_of("has a PIN"))
    kiosk.wait_state("pin_entry")
    assert kiosk.api("/api/pin", {"pin": "١٢٣٤"}, expect=409)["refusal"] == "bad_pin_format"


def test_a_patron_at_the_limit_still_sees_loans_and_renews(kiosk):
    kiosk.start_session()
    first, second = [b["item_id"] for b in kiosk.books()[:2]]
    kiosk.borrow([first, second])
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    session = kiosk.start_session()["session"]
    assert session["remaining"] == 0
    loans = kiosk.api_get("/api/loans")["result"]
    assert sorted(loan["item_id"] for loan in loans) == sorted([first, second])
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="sync")
    due_at_library = library_due(kiosk, first)
    assert kiosk.api("/api/renew", {"item_id": first})["result"] == {
        "item_id": first, "asked": True}  # the library is asked; its answer is the notice
    renewed = kiosk.wait_state(lambda s: s["state"] == "browsing" and s["notice"])["notice"]
    assert (renewed["code"], renewed["item_id"]) == ("renewed", first)
    assert renewed["due"] > next(l["due"] for l in loans if l["item_id"] == first)
    assert library_due(kiosk, first) != due_at_library  # the library has the new date
    assert library_due(kiosk, first).startswith(renewed["due"])
    assert kiosk.control("status")["sync"]["backlog"] == 0  # recorded there: nothing owed
    assert next(l["due"] for l in kiosk.api_get("/api/loans")["result"]
                if l["item_id"] == first) == renewed["due"]
    kiosk.api("/api/renew", {"item_id": first})
    refused = kiosk.wait_state(lambda s: s["state"] == "browsing"
                               and s["notice"]["code"] != "renewed")["notice"]
    assert (refused["code"], refused["item_id"]) == ("renewal_limit", first)
    assert kiosk.api("/api/cart/add", {"item_id": kiosk.books()[0]["item_id"]},
                     expect=409)["refusal"] == "limit_reached"


def library_due(rig, item_id: str) -> str:
    """The due date the library has for this member's loan of `item_id`."""
    loans = rig.library("GET", f"/admin/patrons/{GOOD_MEMBER}")["loans"]
    return next(loan["due_at"] for loan in loans if loan["item_id"] == item_id)


def test_ending_the_session_during_a_vend_fetches_nothing_more(kiosk):
    kiosk.start_session()
    first, second = [b["item_id"] for b in kiosk.books()[:2]]
    kiosk.api("/api/cart/add", {"item_id": first})
    kiosk.api("/api/cart/add", {"item_id": second})
    kiosk.api("/api/cart/confirm")
    kiosk.wait_state("awaiting_take")
    kiosk.api("/api/session/end")
    taken = kiosk.sim.world_post("/pickup/take")["item_id"]
    state = kiosk.wait_state("ready")
    assert state["session"] is None
    assert kiosk.control("status")["on_loan"] == 1  # the book taken; the second never fetched
    world = kiosk.sim.world_get()
    out = {entry["item_id"] for entry in world["out"]}
    assert taken in out and world["pickup_port"] is None
    other = ({first, second} - {taken}).pop()
    assert other not in out
    assert any(e["item_id"] == other for e in world["slots"].values())  # never left its slot


# -- refused cards: one machine for all of them (shared_kiosk), last in the module -------------
@pytest.mark.parametrize("note_word, reason", [
    ("never checked in", "checkin_required"),
    ("overdue", "overdue"),
    ("suspended", "suspended"),
    ("expired", "membership_expired"),
    ("blocked", "patron_blocked"),
])
def test_a_patron_who_may_not_borrow_is_refused_with_the_reason(shared_kiosk, note_word, reason):
    shared_kiosk.tap_card(card_of(note_word))
    state = shared_kiosk.wait_state("ready")
    notice = dict(state["notice"])
    assert notice.pop("code") == reason
    if reason == "suspended":  # the screen says until when
        assert date.fromisoformat(notice.pop("until")) >= date.today() - timedelta(days=1)
    if reason == "overdue":  # and how many are overdue
        assert notice.pop("count") >= 1
    assert notice == {}
    assert state["session"] is None


def test_an_unknown_card_is_refused(shared_kiosk):
    shared_kiosk.tap_card("DEADBEEF")
    assert shared_kiosk.wait_state("ready")["notice"] == {"code": "unknown_patron"}


def test_a_card_that_cannot_be_read_gets_a_clear_notice(shared_kiosk):
    before = shared_kiosk.state()["identifications"]
    shared_kiosk.sim.world_post("/card/tap", {"uid": "04A1B2C3", "status_words": 0x6A81})
    try:
        state = shared_kiosk.wait_state(lambda s: s["identifications"] > before)
    finally:
        shared_kiosk.sim.world_post("/card/remove")
    assert state["notice"] == {"code": "card_unreadable"} and state["state"] == "ready"
