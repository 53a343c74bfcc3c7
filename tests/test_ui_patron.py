"""The patron on the touchscreen, beyond the checkout: every refusal in plain words, a renewal
and a refused one from My loans, and the idle warning with its "more time" on three screens
(the receipt's left alone ends the session).

In Chromium, on the real controller and simulator (as tests/test_ui_checkout.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER, GOOD_MEMBER_CARD
from ui_browser import chromium, new_page  # noqa: F401  (fixtures)
from ui_screens import Screen

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]

HOLDER_CARD, HOLDER = "04A2B3C4D5E6F7", "111001000009"  # Oh Taeyang, in good standing: holds a book at the library's desk
# The demo cards the library or the kiosk's rules refuse, and the notice each one brings.
REFUSED_CARDS = [
    ("0B2C3D4E", "checkin_required"),    # Choi Yuna, Mapo member, not checked in here
    ("0C3D4E5F", "overdue"),             # Jung Hoon, a book overdue at Mapo
    ("0D4E5F60", "suspended"),           # Kang Dawon, a late return: 5 days without borrowing
    ("0E5F6071", "membership_expired"),  # Yoon Sera, card expired
    ("0F607182", "patron_blocked"),      # Han Jaewon, card reported lost
    ("0A0B0C0D", "unknown_patron"),      # no one's card
]
NOTICE_STAYS_UI = "[ui.idle]\nnotice = 120"
IDLE_UI = "idle_warning = 20\n[ui.idle]\nbrowse = 24\ncart = 24\nreceipt = 24\nsummary = 24"


def korean_date(iso: str) -> str:
    """How a Korean screen writes a date (Intl ko-KR: '2026년 12월 21일')."""
    day = date.fromisoformat(iso[:10])
    return f"{day.year}년 {day.month}월 {day.day}일"


def says_pattern(screen: Screen, key: str, **patterns: str) -> re.Pattern:
    """The words of `key` with each named {value} as a regular expression (the rest literal)."""
    parts = re.split(r"\{(\w+)\}", screen.says(key))
    return re.compile("".join(patterns[part] if i % 2 else re.escape(part)
                              for i, part in enumerate(parts)))


def korean_day_pattern(iso: str) -> str:
    """A Korean date as the page writes it, its short weekday optional: '2026년 12월 21일 월'."""
    return re.escape(korean_date(iso)) + r"(?: \(?[월화수목금토일]\)?)?"


def wait_pattern(screen: Screen, pattern: re.Pattern) -> None:
    """Wait until the patron can read words matching `pattern`."""
    wait_for(lambda: pattern.search(screen.text()), 30,
             message=f"{pattern.pattern!r} on screen (it shows {screen.text()[:300]!r})")


# -- 1. refusals ----------------------------------------------------------------------------

def test_every_refused_card_is_told_why_in_plain_words_and_ok_goes_back(make_kiosk, new_page):
    # the notice stays longer than any wait below: only OK takes it away
    kiosk = make_kiosk(ui=NOTICE_STAYS_UI)
    screen = Screen(new_page(), kiosk)
    screen.wait("attract")
    for uid, code in REFUSED_CARDS:
        kiosk.tap_card(uid)
        screen.wait("notice")
        notice = kiosk.state()["notice"]
        assert notice["code"] == code, (uid, notice)
        assert kiosk.state()["session"] is None
        if code == "suspended":
            assert date.fromisoformat(notice["until"]) > date.today(), notice
            wait_pattern(screen, says_pattern(screen, "notice.suspended",
                                              until=korean_day_pattern(notice["until"])))
        else:
            screen.wait_text(screen.says(f"notice.{code}"))
        if code == "overdue":
            assert notice["count"] == 1, notice  # one book, four days late at Mapo
            screen.wait_text(screen.says("notice.overdue.help", count=notice["count"]))
        else:
            screen.wait_text(screen.says(f"notice.{code}.help"))
        screen.check()  # both languages, nothing untranslated, no code shown, axe
        assert screen.language() == "ko"
        screen.tap("[data-action=ok]")
        screen.wait("attract", timeout=30)
        assert kiosk.state()["state"] == "ready"
    assert [line for line in screen.console if "error" in line] == []


# -- 2. renewals ------------------------------------------------------------------------------

def synced(kiosk) -> None:
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="sync")


def availability(kiosk, item_id: str) -> str | None:
    books = kiosk.api_get("/api/catalogue")["result"]["books"]
    return next((book["availability"] for book in books if book["item_id"] == item_id), None)


def loan_row(screen: Screen, item_id: str):
    return screen.page.locator("#screen li.book", has=screen.page.locator(f"[data-item='{item_id}']"))


def toast_text(screen: Screen) -> str:
    return screen.page.evaluate("() => { const t = document.getElementById('toast');"
                                " return t.hidden ? '' : t.innerText; }")


def test_a_renewal_with_its_new_due_date_and_a_renewal_refused_for_a_hold(make_kiosk, new_page):
    kiosk = make_kiosk()
    kiosk.start_session(GOOD_MEMBER_CARD)
    books = kiosk.books()[:2]
    renewable, held = [book["item_id"] for book in books]
    session = kiosk.borrow([renewable, held])["session"]
    assert session["vended"] == [renewable, held]
    due = dict(session["due"])
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    synced(kiosk)  # the library knows both loans
    kiosk.library("POST", f"/admin/items/{held}/hold", {"patron": HOLDER})
    wait_for(lambda: availability(kiosk, held) == "on_loan_held", 30,
             message="the kiosk to hear of the desk's hold")
    renewal_days = kiosk.api_get("/api/info")["result"]["policy"]["renewal_days"]
    new_due = (date.fromisoformat(due[renewable]) + timedelta(days=renewal_days)).isoformat()

    screen = Screen(new_page(), kiosk)
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    screen.tap("[data-action=loans]")
    screen.wait("loans")
    for item_id in (renewable, held):
        wait_for(lambda: loan_row(screen, item_id).count() == 1, 15, message=f"{item_id} in My loans")
        assert korean_date(due[item_id]) in loan_row(screen, item_id).inner_text()
    screen.check()

    screen.tap(f"[data-action=renew][data-item='{renewable}']")
    renewed = says_pattern(screen, "notice.renewed", due=korean_day_pattern(new_due))
    wait_for(lambda: renewed.search(toast_text(screen)), 30,
             message=f"the toast {renewed.pattern!r} (shows {toast_text(screen)!r})")
    assert "bad" not in screen.page.locator("#toast").get_attribute("class")
    wait_for(lambda: korean_date(new_due) in loan_row(screen, renewable).inner_text(), 15,
             message=f"the new due date {new_due} in My loans")
    assert korean_date(due[renewable]) not in loan_row(screen, renewable).inner_text()
    screen.wait_text(screen.says("loans.renewed_times", count=1))

    screen.tap(f"[data-action=renew][data-item='{held}']")
    refused = screen.says("notice.held_for_other")
    wait_for(lambda: refused in toast_text(screen), 30,
             message=f"the toast {refused!r} (shows {toast_text(screen)!r})")
    assert "bad" in screen.page.locator("#toast").get_attribute("class")
    assert screen.name() == "loans"
    assert korean_date(due[held]) in loan_row(screen, held).inner_text()
    screen.check()

    loans = {loan["item_id"]: loan for loan in kiosk.api_get("/api/loans")["result"]}
    assert (loans[renewable]["due"][:10], loans[renewable]["renewals"]) == (new_due, 1)
    assert (loans[held]["due"][:10], loans[held]["renewals"]) == (due[held], 0)
    copy = kiosk.library("GET", f"/admin/items/{renewable}")
    assert [(loan["patron"], loan["renewals"]) for loan in copy["loans"]] == [(GOOD_MEMBER, 1)]
    screen.tap("[data-action=back]")
    screen.wait("browse")
    screen.tap("[data-action=finish]")
    screen.wait("attract")
    assert kiosk.wait_state("ready")["session"] is None

    # Oh's hold from the desk, in his My holds: waiting for the book to come back
    kiosk.tap_card(HOLDER_CARD)
    screen.wait("browse")
    screen.tap("[data-action=holds]")
    screen.wait("holds")
    title = books[1]["title"]
    row = screen.page.locator("#screen li.book", has_text=title)
    wait_for(lambda: row.count() == 1, 15, message=f"{title} in My holds")
    assert screen.says("holds.waiting") in row.inner_text()
    screen.check()
    screen.tap("[data-action=back]")
    screen.wait("browse")
    screen.tap("[data-action=finish]")
    screen.wait("attract")
    assert kiosk.wait_state("ready")["session"] is None
    assert [line for line in screen.console if "error" in line] == []


# -- 3. idle ----------------------------------------------------------------------------------

def warning_shown(screen: Screen) -> bool:
    return screen.page.locator("#idle").is_visible()


def tap_past_the_warning(screen: Screen, selector: str) -> None:
    """Tap something on the screen; if the idle warning came back meanwhile, ask for more time
    first (the warning covers the screen: only "more time" answers it)."""
    if warning_shown(screen):
        screen.tap("#idle-more")
        wait_for(lambda: not warning_shown(screen), 5, message="the warning to go")
    assert not screen.page.evaluate("() => document.getElementById('screen').inert")
    screen.tap(selector)


def wait_warning(screen: Screen, name: str) -> None:
    """The idle warning on screen `name`, in words, counting down."""
    wait_for(lambda: warning_shown(screen), 30, message=f"the idle warning on {name}")
    assert screen.name() == name
    warning = says_pattern(screen, "idle.warning", seconds=r"\d+")
    text = screen.page.locator("#idle-text").inner_text()
    assert warning.fullmatch(text), text
    assert screen.page.locator("#idle-more").inner_text() == screen.says("idle.more")
    # modal: the screen behind it takes no focus or touch; "more time" has the focus
    assert screen.page.evaluate("() => document.getElementById('screen').inert")
    assert screen.page.evaluate("() => document.activeElement.id") == "idle-more"


def more_time(screen: Screen, kiosk, name: str) -> None:
    screen.tap("#idle-more")
    wait_for(lambda: not warning_shown(screen), 5, message="the warning to go")
    assert screen.name() == name
    state = kiosk.state()
    assert state["state"] == "browsing" and state["session"] is not None, state


def test_idle_warning_more_time_on_browse_and_cart_and_the_receipt_left_alone_ends(make_kiosk, new_page):
    kiosk = make_kiosk(ui=IDLE_UI)
    screen = Screen(new_page(), kiosk)
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")

    wait_warning(screen, "browse")
    more_time(screen, kiosk, "browse")

    book = kiosk.books()[0]["item_id"]
    kiosk.api("/api/cart/add", {"item_id": book})
    tap_past_the_warning(screen, "[data-action=cart]")
    screen.wait("cart")
    wait_warning(screen, "cart")
    more_time(screen, kiosk, "cart")

    tap_past_the_warning(screen, "[data-action=confirm]")
    kiosk.wait_state("awaiting_take")
    kiosk.sim.world_post("/pickup/take")
    screen.wait("summary")
    assert kiosk.state()["session"]["vended"] == [book]
    tap_past_the_warning(screen, "[data-receipt=screen]")
    screen.wait("receipt")
    wait_warning(screen, "receipt")
    # left alone: the page ends the session when the receipt's time is up
    state = kiosk.wait_state("ready", timeout=60)
    assert state["session"] is None
    screen.wait("attract")
    assert not warning_shown(screen)
    assert kiosk.state()["session"] is None and kiosk.state()["state"] == "ready"
    assert [line for line in screen.console if "error" in line] == []
