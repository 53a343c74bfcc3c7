"""The patron's whole visit on the touchscreen, in Chromium, on the real controller and simulator:
two books found by typing Hangul on the on-screen keyboard, fetched, taken, due dates, a receipt
whose QR code holds the titles and due dates; the language switched in the middle of the vend."""

from __future__ import annotations

import io
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER, GOOD_MEMBER_CARD
from ui_screens import Screen

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
VEGETARIAN = ("채식주의자", ["ㅊ", "ㅐ", "ㅅ", "ㅣ", "ㄱ"], ["ㅊ", "ㅅ", "ㅈ"])  # title, jamo, initials
ALMOND = ("아몬드", ["ㅇ", "ㅏ", "ㅁ", "ㅗ", "ㄴ", "ㄷ", "ㅡ"])


def korean_date(iso: str) -> str:
    """How a Korean screen writes a date (Intl ko-KR: '2026년 12월 21일')."""
    day = date.fromisoformat(iso)
    return f"{day.year}년 {day.month}월 {day.day}일"


def result_titles(screen: Screen) -> list[str]:
    return screen.page.locator("#results [data-item] .title").all_inner_texts()


def choose_by_search(screen: Screen, title: str, keys: list[str]) -> str:
    """Search on the on-screen keyboard, open the book, add it; its item id."""
    screen.tap("[data-tab=search]")
    screen.tap(".keyboard [data-key=clear]")
    screen.type_keys(keys)
    wait_for(lambda: title in result_titles(screen), 10, message=f"{title} in the results")
    card = screen.page.locator("#results [data-item]", has_text=title).first
    item_id = card.get_attribute("data-item")
    card.click()
    screen.wait("detail")
    screen.tap("[data-action=add]")
    screen.wait("browse")
    return item_id


def test_two_books_by_hangul_search_fetched_taken_with_due_dates_and_a_qr_receipt(make_kiosk, new_page):
    kiosk = make_kiosk()
    screen = Screen(new_page(), kiosk)
    assert screen.language() == "ko"  # Korean by default
    screen.check()
    screen.wait_text(screen.says("attract.tap"))

    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    screen.wait_text(screen.says("bar.greeting", name=kiosk.state()["session"]["name"]))
    screen.check()

    # initial consonants find the book, and so does the syllable being composed
    screen.tap("[data-tab=search]")
    screen.type_keys(VEGETARIAN[2][:2])
    wait_for(lambda: VEGETARIAN[0] in result_titles(screen), 10, message="ㅊㅅ to find 채식주의자")
    assert screen.page.locator("#query").inner_text() == "ㅊㅅ"
    screen.check()
    first = choose_by_search(screen, VEGETARIAN[0], VEGETARIAN[1])
    second = choose_by_search(screen, ALMOND[0], ALMOND[1])
    assert kiosk.state()["session"]["cart"] == [first, second]

    screen.tap("[data-action=cart]")
    screen.wait("cart")
    screen.check()
    screen.tap("[data-action=confirm]")
    screen.wait("vending")
    assert screen.switch_language() == "en"  # in the middle of the vend: nothing is lost
    screen.wait_text("Your books are on their way")
    for number in range(2):
        kiosk.wait_state("awaiting_take")
        screen.wait_text(screen.says("vend.take"))
        if number == 0:
            screen.check()
        kiosk.sim.world_post("/pickup/take")
        kiosk.wait_state(lambda s: s["state"] != "awaiting_take")
    screen.wait("summary")
    assert screen.switch_language() == "ko"
    session = kiosk.state()["session"]
    assert session["vended"] == [first, second]
    for item_id, title in ((first, VEGETARIAN[0]), (second, ALMOND[0])):
        screen.wait_text(title)
        screen.wait_text(korean_date(session["due"][item_id]))
    screen.check()

    screen.tap("[data-receipt=screen]")
    screen.wait("receipt")
    screen.wait_text(korean_date(session["due"][first]))
    screen.check()

    screen.tap("[data-receipt=qr]")
    screen.wait_text(screen.says("receipt.qr_help"))
    qr = screen.page.locator("#receipt-qr")
    wait_for(lambda: qr.evaluate("img => img.complete && img.naturalWidth > 0"), 10, message="the QR image")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert len(decoded) == 1
    lines = decoded[0].text.splitlines()
    assert lines == [f"{session['due'][first]}  {VEGETARIAN[0]}", f"{session['due'][second]}  {ALMOND[0]}"]
    assert GOOD_MEMBER not in decoded[0].text and session["name"] not in decoded[0].text
    screen.check()

    screen.tap("[data-action=finish]")
    screen.wait("attract")
    assert kiosk.wait_state("ready")["session"] is None
    kiosk.wait_state(lambda s: s["backlog"] == 0)
    loans = kiosk.library("GET", f"/admin/patrons/{GOOD_MEMBER}")["loans"]
    assert sorted(loan["item_id"] for loan in loans if not loan.get("returned_at")) == sorted([first, second])
    assert [line for line in screen.console if "error" in line] == []
