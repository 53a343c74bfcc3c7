"""The touchscreen at the return slot and when the machine cannot lend: a return accepted, a
foreign book handed back, closed hours, out of service after a jam, the card reader lost (the
app's QR code still works), the library unreachable;
hostile titles stay text; the kiosk's page keeps the patron in it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER_CARD
from ui_screens import Screen

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
HOSTILE = '<img src=x onerror="window.pwned=1">Hostile <script>window.pwned=2</script>&amp;'


def test_a_return_accepted_and_a_foreign_book_handed_back_with_the_reason(make_kiosk, new_page):
    kiosk = make_kiosk()
    kiosk.start_session()
    item = kiosk.books()[0]["item_id"]
    kiosk.borrow([item])
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    screen = Screen(new_page(), kiosk)

    screen.tap("[data-action=return]")
    kiosk.wait_state("awaiting_insert")
    screen.wait_text(screen.says("return.insert"))
    screen.check()
    kiosk.sim.world_post("/return/insert", {"item_id": item})
    screen.wait("notice")
    screen.wait_text(screen.says("notice.return_accepted"))
    screen.check()
    screen.tap("[data-action=ok]")
    screen.wait("attract")

    kiosk.wait_state("ready")
    screen.tap("[data-action=return]")
    kiosk.wait_state("awaiting_insert")
    kiosk.sim.world_post("/return/insert", {"foreign": {"item_id": "MAPO0001", "isil": "111002"}})
    kiosk.wait_state("handing_back")
    screen.wait_text(screen.says("return.take_back"))
    screen.wait_text(screen.says("notice.return_rejected.not_from_this_machine"))
    screen.check()
    kiosk.sim.world_post("/return/take-back")
    screen.wait("notice")
    screen.wait_text(screen.says("notice.return_rejected.not_from_this_machine.help"))
    kiosk.wait_state("ready")


def closed_now_policy() -> str:
    """Opening hours of one hour a day that do not include this moment (Seoul time)."""
    hour = datetime.now(ZoneInfo("Asia/Seoul")).hour
    window = f"{hour + 2:02d}:00-{hour + 3:02d}:00" if hour < 20 else "01:00-02:00"
    days = "\n".join(f'{day} = "{window}"' for day in
                     ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    return f"always_open = false\n{days}"


def test_closed_hours_say_when_it_opens_and_still_take_returns(make_kiosk, new_page):
    kiosk = make_kiosk(policy=closed_now_policy())
    kiosk.wait_state("closed")
    screen = Screen(new_page(), kiosk)
    screen.wait("closed")
    screen.wait_text(screen.says("closed.title"))
    opens = kiosk.api_get("/api/info")["result"]["hours"]["next_opening"]
    assert opens is not None
    screen.wait_text(screen.says("closed.returns_open"))
    assert screen.page.locator("[data-action=return]").count() == 1
    screen.check()
    kiosk.sim.world_post("/card/tap", {"uid": GOOD_MEMBER_CARD})  # no session while closed
    kiosk.sim.world_post("/card/remove")
    assert screen.name() == "closed" and kiosk.state()["session"] is None


def test_out_of_service_after_a_jam_tells_the_patron_what_to_do(make_kiosk, new_page):
    kiosk = make_kiosk()
    screen = Screen(new_page(), kiosk)
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    kiosk.sim.world_post("/faults/jam", {"fault_code": 1})  # the next motion jams
    screen.tap("[data-tab=popular]")
    screen.tap("#results [data-item]")
    screen.wait("detail")
    screen.tap("[data-action=add]")  # its fetch starts at once, and jams
    kiosk.wait_state("out_of_service")
    screen.wait("out_of_service")
    screen.wait_text(screen.says("out_of_service.returns"))
    screen.check()


def test_a_lost_card_reader_leaves_the_app_qr_code_as_the_way_in(make_kiosk, new_page):
    kiosk = make_kiosk()
    kiosk.stop()  # the controller reaches pcscd through the simulator's link, which can be cut
    kiosk.env["PCSCLITE_CSOCK_NAME"] = kiosk.sim.endpoints["card"]["pcsc_socket"]
    kiosk.start()
    screen = Screen(new_page(), kiosk)
    screen.wait_text(screen.says("attract.tap"))
    kiosk.sim.world_post("/faults/card-reader", {"lost": True})
    screen.wait_text(screen.says("attract.qr_only"))
    screen.wait_text(screen.says("attract.card_reader_down"))
    assert screen.says("attract.tap") not in screen.text()
    screen.check()
    kiosk.sim.world_post("/faults/card-reader", {"lost": False})
    screen.wait_text(screen.says("attract.tap"))


def test_the_library_unreachable_shows_what_still_works(make_kiosk, new_page):
    kiosk = make_kiosk()
    kiosk.start_session()  # seen in good standing while the library answers
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    screen = Screen(new_page(), kiosk)
    assert screen.page.locator("#banner").is_hidden()
    kiosk.library("POST", "/admin/faults", {"transport": "http", "kind": "status", "status": 503})
    try:
        kiosk.tap_card(GOOD_MEMBER_CARD)
        screen.wait("browse")
        wait_for(lambda: screen.page.locator("#banner").is_visible(), 30, message="the offline banner")
        screen.wait_text(screen.says("offline.title"))
        assert kiosk.state()["session"]["offline"]
        # offline the kiosk keeps no names: a greeting without one, never "Hello, "
        assert screen.page.locator("#bar-status").inner_text() == screen.says("bar.greeting_unnamed")
        screen.check()
    finally:
        kiosk.library("DELETE", "/admin/faults")


def test_a_hostile_title_is_shown_as_text_and_never_runs(make_kiosk, new_page):
    kiosk = make_kiosk()
    stocked = kiosk.control("stock", {"items": [{"item_id": "EVIL0001", "uid": "E0040150FFFFFF01",
                                                "title": HOSTILE, "authors": "<b>Mallory</b>",
                                                "slot": str(first_free_slot(kiosk))}]})
    assert stocked == {"stocked": 1}
    screen = Screen(new_page(), kiosk)
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    screen.tap("[data-tab=search]")
    screen.tap("[data-mode=latin]")
    screen.type_keys(list("hostile"))
    card = screen.page.locator("#results [data-item=EVIL0001]")
    wait_for(lambda: card.count() == 1, 10, message="the hostile title in the results")
    assert card.locator(".title").inner_text() == HOSTILE
    assert card.locator(".authors").inner_text() == "<b>Mallory</b>"
    assert card.locator("img, script, b").count() == 0
    card.click()
    screen.wait("detail")
    assert screen.page.locator("h1").inner_text() == HOSTILE
    assert screen.page.evaluate("() => window.pwned === undefined")


def first_free_slot(kiosk) -> int:
    """A slot the loading list left empty."""
    import csv
    with (kiosk.sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
        used = {int(row["slot"]) for row in csv.DictReader(f)}
    return min(set(range(1000)) - used)


def test_the_page_keeps_the_patron_in_it_with_large_targets_and_nothing_from_elsewhere(make_kiosk, new_page):
    kiosk = make_kiosk()
    page = new_page()
    hosts = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    screen = Screen(page, kiosk)
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    screen.tap("[data-tab=search]")
    assert {host.split(":")[0] for host in hosts} == {"127.0.0.1"}
    small = page.evaluate("""() => [...document.querySelectorAll('button')]
        .filter(b => b.offsetParent !== null)
        .map(b => [b.innerText, b.getBoundingClientRect()])
        .filter(([, r]) => r.width < 48 || r.height < 48).map(([t]) => t)""")
    assert small == []
    blocked = page.evaluate("""() => {
        const menu = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
        const select = new Event('selectstart', {bubbles: true, cancelable: true});
        document.querySelector('h1').dispatchEvent(menu);
        document.querySelector('h1').dispatchEvent(select);
        return [menu.defaultPrevented, select.defaultPrevented,
                getComputedStyle(document.body).userSelect,
                getComputedStyle(document.documentElement).touchAction];
    }""")
    assert blocked == [True, True, "none", "pan-x pan-y"]
    buttons = page.locator("main button")
    expected = [buttons.nth(n).inner_text() for n in range(6)]
    page.evaluate("() => document.getElementById('screen').focus()")
    reached = []
    for _ in range(6):  # the keyboard's Tab walks the screen's controls in reading order
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.innerText"))
    assert reached == expected


def test_the_pin_pad_asks_again_after_a_wrong_pin_and_opens_the_session_on_the_right_one(make_kiosk, new_page):
    kiosk = make_kiosk()
    screen = Screen(new_page(), kiosk)
    kiosk.tap_card("04D4E5F6A1B280")  # Lee Jiho: the library asks for the PIN
    screen.wait("pin")
    screen.tap("[data-focus-key=pin-1]")
    screen.tap("[data-focus-key=pin-cancel]")  # walks away with a digit typed
    screen.wait("attract")
    kiosk.tap_card("04D4E5F6A1B280")  # the next patron's pad starts empty
    screen.wait("pin")
    assert screen.page.locator(".pin-dots [aria-hidden]").inner_text().strip() == ""
    screen.check()
    for digit in "9999":
        screen.tap(f"[data-focus-key=pin-{digit}]")
    assert screen.page.locator(".pin-dots [aria-hidden]").inner_text() == "●●●●"
    screen.tap("[data-focus-key=pin-ok]")
    kiosk.wait_state(lambda s: s["state"] == "pin_entry" and s["notice"] == {"code": "bad_pin"})
    screen.wait_text(screen.says("notice.bad_pin"))
    for digit in "1234":
        screen.tap(f"[data-focus-key=pin-{digit}]")
    screen.tap("[data-focus-key=pin-ok]")
    screen.wait("browse")
    assert kiosk.state()["session"]["name"] in screen.text()
    screen.tap("[data-action=finish]")  # no "wrong PIN" left over for after the visit
    kiosk.wait_state("ready")
    screen.wait("attract")


def test_a_refusal_left_on_screen_is_never_shown_to_the_next_patron(make_kiosk, new_page):
    kiosk = make_kiosk()
    screen = Screen(new_page(), kiosk)
    kiosk.tap_card("0D4E5F60")  # Kang Dawon, suspended: she walks away without pressing OK
    screen.wait("notice")
    suspended = screen.page.locator("h1").inner_text()
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    screen.tap("[data-action=finish]")
    kiosk.wait_state("ready")
    screen.wait("attract")
    assert suspended not in screen.text()


def test_a_late_return_says_how_late_and_what_follows(make_kiosk, new_page):
    kiosk = make_kiosk()
    kiosk.start_session()
    item = kiosk.books()[0]["item_id"]
    kiosk.borrow([item])
    kiosk.api("/api/session/end")
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkout sync")
    kiosk.stop()
    kiosk.library("POST", "/admin/clock", {"advance_days": 20})  # loans are 15 days
    kiosk.clock_ahead_days = 20  # the controller under libfaketime, as the library
    kiosk.start()
    screen = Screen(new_page(), kiosk)
    screen.tap("[data-action=return]")
    kiosk.wait_state("awaiting_insert")
    kiosk.sim.world_post("/return/insert", {"item_id": item})
    screen.wait("notice")
    screen.wait_text(screen.says("notice.return_accepted"))
    screen.wait_text(screen.says("notice.return_accepted.late", days=5))
    screen.check()
