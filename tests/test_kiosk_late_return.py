"""End to end: a late return is accepted and reported, and the library suspends the patron.

The controller runs under libfaketime (Debian's faketime) 20 days after the loan, and the
library emulator's clock is moved the same way: no clock hook in the controller.
"""

from __future__ import annotations

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER

DAYS_LATER = 20  # loans are 15 days: 5 days late


def test_a_late_return_is_accepted_reported_and_suspends_the_patron(kiosk):
    kiosk.start_session()
    item = kiosk.books()[0]["item_id"]
    kiosk.borrow([item])
    kiosk.api("/api/session/end")
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkout sync")

    kiosk.stop()
    kiosk.library("POST", "/admin/clock", {"advance_days": DAYS_LATER})
    kiosk.clock_ahead_days = DAYS_LATER
    kiosk.start()
    state = kiosk.return_book({"item_id": item})
    assert state["notice"] == {"code": "return_accepted", "item_id": item,
                               "days_late": DAYS_LATER - 15}
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkin sync")
    assert kiosk.library("GET", f"/admin/items/{item}")["status"] == "available"

    kiosk.tap_card("04A1B2C3")
    notice = kiosk.wait_state("ready")["notice"]
    patron = kiosk.library("GET", f"/admin/patrons/{GOOD_MEMBER}")
    assert patron["suspended_until"] is not None
    assert notice == {"code": "suspended", "until": patron["suspended_until"][:10]}  # the screen says until when
