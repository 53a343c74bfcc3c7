"""End to end: holds placed at the library reach the machine; a ready hold ends at the end of
its last day, as the library says, with the machine in service and no conflict shown.

The controller runs under libfaketime moved to just before the hold's last moment, and the
library emulator's clock is moved the same way (as the late-return test does).
"""

from __future__ import annotations

from datetime import datetime, timezone

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER_CARD

HOLDER_CARD, HOLDER = "04A2B3C4D5E6F7", "111001000009"  # Oh Taeyang, in good standing
BEFORE_THE_END = 8.0  # seconds before the hold's last moment the clocks are moved to


def synced(rig) -> None:
    wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")


def shelf(rig) -> list[str]:
    return [b["item_id"] for b in rig.books()]


def end_session(rig) -> None:
    rig.api("/api/session/end")
    rig.wait_state("ready")


def lend_and_return_with_a_hold(rig, place_hold) -> str:
    """Kim borrows a book, Oh holds it (through `place_hold`), Kim brings it back."""
    rig.start_session(GOOD_MEMBER_CARD)
    book = shelf(rig)[0]
    assert rig.borrow([book])["session"]["vended"] == [book]
    end_session(rig)
    synced(rig)
    place_hold(rig, book)
    assert rig.return_book({"item_id": book})["state"] == "ready"
    synced(rig)
    return book


def hold_at_the_library_desk(rig, book: str) -> None:
    rig.library("POST", f"/admin/items/{book}/hold", {"patron": HOLDER})


def hold_at_this_screen(rig, book: str) -> None:
    rig.start_session(HOLDER_CARD)
    rig.api("/api/hold", {"item_id": book})
    end_session(rig)
    synced(rig)


def move_clocks_to_just_before_the_end(rig, book: str, after: float = -BEFORE_THE_END) -> None:
    """Restart the controller at the hold's last moment + `after` seconds, library too."""
    [hold] = [h for h in rig.library("GET", f"/admin/items/{book}")["holds"]
              if h["state"] == "ready"]
    ahead = round((datetime.fromisoformat(hold["expires_at"]) - datetime.now(timezone.utc)
                   ).total_seconds() + after)  # whole seconds: both clocks move the same
    rig.stop()
    rig.library("POST", "/admin/clock", {"advance_seconds": ahead})
    rig.clock_ahead_days = ahead / 86400
    rig.start()


def test_a_library_hold_refuses_a_renewal_keeps_the_return_and_ends_on_time(kiosk):
    kiosk.start_session(GOOD_MEMBER_CARD)
    book = shelf(kiosk)[0]
    kiosk.borrow([book])
    synced(kiosk)
    hold_at_the_library_desk(kiosk, book)
    kiosk.api("/api/renew", {"item_id": book})  # the library knows of Oh's hold: no
    state = kiosk.wait_state(lambda s: s["state"] == "browsing" and s["notice"] is not None
                             and s["notice"].get("item_id") == book)
    assert state["notice"]["code"] == "held_for_other"
    end_session(kiosk)

    assert kiosk.return_book({"item_id": book})["state"] == "ready"
    synced(kiosk)
    [ready] = kiosk.library("GET", f"/admin/items/{book}")["holds"]
    assert (ready["patron"], ready["state"]) == (HOLDER, "ready")
    assert ready["notified_at"] is not None  # the library told its patron
    kiosk.start_session(GOOD_MEMBER_CARD)
    wait_for(lambda: book not in shelf(kiosk), 30, message="the book kept for its holder")
    end_session(kiosk)
    kiosk.start_session(HOLDER_CARD)
    assert {b["item_id"]: b["held_for_you"] for b in kiosk.books()}[book] is True
    end_session(kiosk)

    move_clocks_to_just_before_the_end(kiosk, book)
    kiosk.start_session(GOOD_MEMBER_CARD)
    assert book not in shelf(kiosk)  # still the holder's, for a few seconds
    wait_for(lambda: book in shelf(kiosk), 30, message="the hold to end at its last moment")
    assert kiosk.borrow([book])["session"]["vended"] == [book]  # the machine stays in service
    end_session(kiosk)
    synced(kiosk)
    status = kiosk.control("status")
    assert (status["state"], status["sync"]["conflicts"]) == ("ready", 0)


def test_a_restart_past_the_end_of_a_hold_placed_here_shows_no_conflict(kiosk):
    book = lend_and_return_with_a_hold(kiosk, hold_at_this_screen)
    kiosk.start_session(GOOD_MEMBER_CARD)
    assert book not in shelf(kiosk)
    end_session(kiosk)

    move_clocks_to_just_before_the_end(kiosk, book, after=3600)  # an hour past it
    synced(kiosk)  # the kiosk's cancel: the library had ended the hold itself
    kiosk.start_session(GOOD_MEMBER_CARD)
    assert book in shelf(kiosk)
    status = kiosk.control("status")
    assert (status["sync"]["conflicts"], status["sync"]["refused"]) == (0, 0)
    assert status["state"] == "browsing"


def test_choosing_a_book_as_its_hold_ends_never_faults_the_machine(kiosk):
    book = lend_and_return_with_a_hold(kiosk, hold_at_this_screen)
    move_clocks_to_just_before_the_end(kiosk, book, after=-2)
    kiosk.start_session(GOOD_MEMBER_CARD)
    answer = kiosk.api("/api/cart/add", {"item_id": book}, expect=None)
    if answer.get("ok"):  # the hold had ended: the book is lent
        kiosk.api("/api/cart/confirm")
    else:  # still held that instant: refused to the patron, nothing moved
        assert answer["refusal"] == "not_available"
    state = kiosk.wait_state(lambda s: s["state"] in ("browsing", "ready", "out_of_service"))
    assert state["state"] != "out_of_service" and state["fault"] is None


def test_a_hold_placed_here_ends_at_its_last_second_with_nobody_at_the_screen(kiosk):
    book = lend_and_return_with_a_hold(kiosk, hold_at_this_screen)
    # The library ends the hold at the same second by its own rule: a pull of its holds at
    # that moment (every second in the rig) would end it here as released, not by the timer.
    # After the restart's first pull, the next comes long after the end.
    kiosk.config_path.write_text(kiosk.config_path.read_text().replace(
        "holds_every = 1.0", "holds_every = 3600.0"))
    move_clocks_to_just_before_the_end(kiosk, book, after=-BEFORE_THE_END)

    def cancelled() -> bool:
        return any(t["kind"] == "hold_cancelled" and t["item_id"] == book
                   for t in kiosk.library("GET", "/admin/transactions?limit=50"))
    assert not cancelled()  # kept until its last second...
    wait_for(cancelled, 30, message="the kiosk's timer to end the hold")  # ...then ended
    status = kiosk.control("status")
    assert (status["state"], status["sync"]["conflicts"]) == ("ready", 0)
