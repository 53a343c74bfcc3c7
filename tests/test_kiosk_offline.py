"""End to end: the library system is down; the kiosk lends within the offline rules, then syncs."""

from __future__ import annotations

from conftest import wait_for
from kiosk.journal import Journal, VendTaken

SEEN_MEMBER_CARD = "04A2B3C4D5E6F7"  # Oh Taeyang, in good standing, no loans
SEEN_MEMBER = "111001000009"
NEVER_SEEN_CARD = "0A1B2C3D"  # Park Seoyeon: a good member, but this kiosk never saw her


def library_down(rig) -> None:
    rig.library("POST", "/admin/faults", {"transport": "http", "kind": "status", "status": 503})


def library_up(rig) -> None:
    rig.library("DELETE", "/admin/faults")


def test_offline_lending_stays_within_the_offline_limit_and_syncs_exactly_once(kiosk):
    kiosk.start_session(SEEN_MEMBER_CARD)  # seen in good standing while the library answers
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")

    library_down(kiosk)
    try:
        session = kiosk.start_session(SEEN_MEMBER_CARD)["session"]
        assert session["offline"] and session["remaining"] == 1
        first, second = [b["item_id"] for b in kiosk.books()[:2]]
        kiosk.api("/api/cart/add", {"item_id": first})
        assert kiosk.api("/api/cart/add", {"item_id": second}, expect=409)["refusal"] == "limit_reached"
        kiosk.api("/api/cart/remove", {"item_id": first})
        state = kiosk.borrow([first])
        assert state["session"]["vended"] == [first]
        kiosk.api("/api/session/end")
        kiosk.wait_state("ready")
        wait_for(lambda: kiosk.state()["offline"], 30, message="the kiosk to know it is offline")
        assert kiosk.control("status")["sync"]["backlog"] >= 1  # queued, not lost

        kiosk.tap_card(NEVER_SEEN_CARD)
        assert kiosk.wait_state("ready")["notice"] == {"code": "offline_unknown_patron"}
    finally:
        library_up(kiosk)

    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 60, message="catch-up")
    assert not kiosk.state()["offline"]
    item = kiosk.library("GET", f"/admin/items/{first}")
    assert item["status"] == "on_loan"
    checkouts = [t for t in kiosk.library("GET", "/admin/transactions?limit=200")
                 if t.get("item_id") == first and t.get("kind") == "checkout"]
    assert len(checkouts) == 1, checkouts
    patron = kiosk.library("GET", f"/admin/patrons/{SEEN_MEMBER}")
    assert [(loan["item_id"], loan["offline"]) for loan in patron["loans"]
            if not loan.get("returned_at")] == [(first, True)]  # marked as lent offline
    kiosk.stop()
    with Journal.open(kiosk.directory / "state" / "journal.db", slot_count=1000) as journal:
        taken = [e.payload for e in journal.events(limit=100000)
                 if isinstance(e.payload, VendTaken) and e.payload.item_id == first]
        assert [p.offline for p in taken] == [True]  # delivered marked as lent offline
        assert journal.pending_outbox() == []
