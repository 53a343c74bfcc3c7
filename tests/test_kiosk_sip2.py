"""End to end over SIP2: the whole machine lends and takes back through an ACS that speaks
only standard SIP2 as Koha does, and respects what its 98 forbids."""

from __future__ import annotations

from conftest import wait_for

GOOD_MEMBER = "111001000001"
SEEN_MEMBER_CARD = "04A2B3C4D5E6F7"  # Oh Taeyang, in good standing


def synced(rig) -> None:
    wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")


def test_a_loan_and_its_return_reach_a_koha_like_acs_exactly_once(make_kiosk):
    rig = make_kiosk(library="sip2-koha")
    rig.start_session()
    book = rig.books()[0]["item_id"]
    assert rig.borrow([book])["session"]["vended"] == [book]
    rig.api("/api/session/end")
    rig.wait_state("ready")
    synced(rig)
    copy = rig.library("GET", f"/admin/items/{book}")
    assert copy["status"] == "on_loan"
    assert [(loan["patron"], loan["renewals"]) for loan in copy["loans"]] == [(GOOD_MEMBER, 0)]
    assert rig.return_book({"item_id": book})["state"] == "ready"
    synced(rig)
    copy = rig.library("GET", f"/admin/items/{book}")
    assert copy["status"] == "available" and copy["loans"][0]["returned_at"] is not None
    sync = rig.control("status")["sync"]
    assert (sync["conflicts"], sync["refused"], sync["offline_lending"]) == (0, 0, False)


def test_nobody_borrows_offline_when_the_acs_forbids_offline_lending(make_kiosk):
    rig = make_kiosk(library="sip2-koha")
    rig.start_session(SEEN_MEMBER_CARD)  # seen in good standing: offline rules would allow
    rig.api("/api/session/end")
    rig.wait_state("ready")
    wait_for(lambda: rig.control("status")["sync"]["offline_lending"] is False, 30,
             message="the ACS's 98 read")
    rig.library("POST", "/admin/faults", {"transport": "sip2", "kind": "drop"})
    try:
        rig.tap_card(SEEN_MEMBER_CARD)
        state = rig.wait_state(lambda s: s["notice"] is not None and s["state"] == "ready")
        assert state["notice"] == {"code": "offline_not_allowed"}
    finally:
        rig.library("DELETE", "/admin/faults")
