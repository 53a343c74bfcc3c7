"""The technician's control socket against the real controller."""

from __future__ import annotations

from kiosk.control import ask
from kiosk_rig import TECHNICIAN_PIN


def test_a_bad_loading_list_is_refused_whole_with_the_row_named(make_kiosk):
    rig = make_kiosk(stock=False)
    items = [{"item_id": "X1", "uid": "E004015000000001", "title": "A", "slot": "0"},
             {"item_id": "X2", "uid": "not-hex", "title": "B", "slot": "1"}]
    answer = rig.ask("stock", {"items": items}, pin=TECHNICIAN_PIN)
    assert not answer["ok"] and "row 2" in answer["error"] and "uid" in answer["error"]
    assert rig.control("status")["items_in_slots"] == 0  # nothing recorded, not even row 1


def test_a_malformed_request_gets_an_answer_not_a_dropped_line(kiosk):
    answer = kiosk.ask("stock", "not an object", pin=TECHNICIAN_PIN)
    assert not answer["ok"] and "malformed" in answer["error"]
    assert ask(kiosk.control_socket, "no-such-thing")["ok"] is False


def test_maintenance_cannot_be_left_when_not_in_it(kiosk):
    answer = kiosk.ask("maintenance", {"on": False}, pin=TECHNICIAN_PIN)
    assert not answer["ok"] and "ready" in answer["error"]
    assert kiosk.state()["state"] == "ready"
