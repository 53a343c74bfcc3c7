"""End to end: a slow library never holds the loop; the machine stays answerable and safe."""

from __future__ import annotations

from sim.library.demo import DEMO_PATRONS

PIN_CARD = next(p.card_uid for p in DEMO_PATRONS if "has a PIN" in p.note)


def library_slow(rig, seconds: float = 30.0) -> None:
    rig.library("POST", "/admin/faults", {"transport": "http", "kind": "latency",
                                          "seconds": seconds})


def test_a_pin_check_is_a_visible_state_and_an_estop_meanwhile_is_handled_at_once(kiosk):
    kiosk.tap_card(PIN_CARD)
    kiosk.wait_state("pin_entry")
    library_slow(kiosk)
    try:
        kiosk.api("/api/pin", {"pin": "1234"})  # answered at once: the check is the machine's
        answered_before = kiosk.wait_state("checking_pin")["identifications"]
        assert kiosk.api("/api/pin", {"pin": "1234"}, expect=409)["refusal"] == "not_now"
        kiosk.sim.world_post("/estop", {"pressed": True})
        state = kiosk.wait_state("out_of_service")
    finally:
        kiosk.library("DELETE", "/admin/faults")
        kiosk.sim.world_post("/estop", {"pressed": False})
    assert state["fault"]["code"] == "interlock"
    assert state["identifications"] == answered_before  # the library had not answered yet
    assert state["session"] is None and not state["pin_needed"]


def test_a_patron_lookup_that_misses_its_deadline_goes_offline_not_stuck(make_kiosk):
    rig = make_kiosk(library_deadline=1.0)
    rig.start_session()  # seen once in good standing, so offline rules may lend
    rig.api("/api/session/end")
    rig.wait_state("ready")
    library_slow(rig, seconds=20.0)
    try:
        rig.tap_card("04A1B2C3")
        state = rig.wait_state("browsing")
    finally:
        rig.library("DELETE", "/admin/faults")
    assert state["session"]["offline"]
    assert "no answer within 1.0 s" in rig.log()
