"""Voice guidance and the tactile keypad, in Chromium on the real controller and simulator: a
whole checkout and a return done with keypad keys alone (the card and the books are the
patron's hands on the machine), in Korean and in English, checking at each step what the page
sent to the speech engine and that espeak-ng made a WAV of it; the PIN's digits never said."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER, GOOD_MEMBER_CARD
from ui_screens import I18N, Screen

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
PIN_CARD, PIN = "04D4E5F6A1B280", "1234"  # Lee Jiho: the library asks for the PIN


class Voice:
    """What the controller was asked to say: the files its speech engine wrote, in order."""

    def __init__(self, rig) -> None:
        self.folder = Path(rig.directory) / "speech"
        self.seen = 0

    def all(self) -> list[dict]:
        said = []
        for meta in sorted(self.folder.glob("*.json")):
            said.append({**json.loads(meta.read_text("utf-8")), "wav": meta.with_suffix(".wav")})
        return said

    def new(self) -> list[dict]:
        """The utterances since the last call."""
        said = self.all()
        fresh, self.seen = said[self.seen:], len(said)
        return fresh

    def wait(self, *texts: str, timeout: float = 30) -> str:
        """Wait until one utterance holds every one of `texts`; that utterance (later ones are
        left for the next wait)."""
        def found():
            said = self.all()
            for number, entry in enumerate(said[self.seen:], start=self.seen):
                if all(text in entry["text"] for text in texts):
                    self.seen = number + 1
                    return entry
            return None
        entry = wait_for(found, timeout, message=f"speech with {texts} (said: "
                         f"{[e['text'][:120] for e in self.all()[-4:]]})")
        assert_wav(entry["wav"])
        return entry["text"]


def assert_wav(path: Path) -> None:
    """A real WAV with sound in it (RIFF/WAVE and a data chunk of more than a few samples)."""
    data = wait_for(lambda: path.exists() and path.stat().st_size > 44 and path.read_bytes(), 10,
                    message=f"{path} written")
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    assert data.find(b"data") > 0 and len(data) - data.find(b"data") > 1000, path


def says(lang: str, key: str, **values) -> str:
    """A translation's words with its values filled, as the page says them."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), I18N[lang][key])


def press(screen: Screen, *keys: str) -> None:
    for key in keys:
        screen.page.keyboard.press(key)


def focused(screen: Screen) -> dict:
    return screen.page.evaluate("() => ({text: document.activeElement.innerText || '',"
                                " action: document.activeElement.dataset.action || '',"
                                " item: document.activeElement.dataset.item || ''})")


def move_to(screen: Screen, selector: str, limit: int = 40) -> None:
    """Press Down until the control `selector` is focused."""
    for _ in range(limit):
        if screen.page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        press(screen, "ArrowDown")
    pytest.fail(f"{selector} never reached with the Down key (at {focused(screen)})")


def voice_on_in(screen: Screen, voice: Voice, lang: str) -> None:
    """Headphones into the jack; in English, the language button chosen with the keys."""
    press(screen, "F9")
    voice.wait(says("ko", "voice.on"), says("ko", "attract.tap"))
    if lang == "en":
        move_to(screen, "#language")
        press(screen, "Enter")
        voice.wait(says("en", "attract.tap"))
        assert screen.language() == "en"


def choose_book(screen: Screen, voice: Voice, lang: str, chosen: list[str]) -> str:
    """Down to the first book not chosen yet, its page, Borrow; its item id."""
    move_to(screen, "#results [data-item]" + "".join(f":not([data-item='{i}'])" for i in chosen))
    book = focused(screen)
    title = book["text"].splitlines()[0]
    voice.wait(title)  # the title, when the book is reached
    press(screen, "Enter")
    screen.wait("detail")
    voice.wait(title, says(lang, "book.borrow"))  # the book's page, its first choice chosen
    press(screen, "Enter")
    screen.wait("browse")
    voice.wait(says(lang, "cart.added", title=title), says(lang, "browse.title"))
    return book["item"]


def vend(screen: Screen, voice: Voice, lang: str, kiosk, count: int) -> None:
    """The cart confirmed with the keys; each book's progress heard, then taken by hand. The
    first book may be waiting behind the door already (fetched while the patron chose); the
    second is fetched after, with its estimate said."""
    move_to(screen, "[data-action=cart]")
    press(screen, "Enter")
    screen.wait("cart")
    # the cart's first key stop is its Borrow button, said with the screen
    voice.wait(says(lang, "cart.title"), says(lang, "cart.confirm", count=count))
    assert focused(screen)["action"] == "confirm"
    press(screen, "Enter")
    screen.wait("vending")
    for number in range(count):
        if number == 1:
            eta = voice.wait(says(lang, "vend.fetching"))
            assert re.search(says(lang, "voice.eta", seconds="[0-9]+"), eta), eta  # about how long
        kiosk.wait_state("awaiting_take")
        take = voice.wait(says(lang, "vend.take"))
        assert re.search(says(lang, "voice.door_closes_in", seconds="[0-9]+"), take), take
        kiosk.sim.world_post("/pickup/take")
        kiosk.wait_state(lambda s: s["state"] != "awaiting_take")


@pytest.mark.parametrize("lang, count", [("ko", 2), ("en", 1)])
def test_a_checkout_and_a_return_by_keypad_alone_with_voice_guidance(make_kiosk, new_page, lang, count):
    kiosk = make_kiosk("--speed", "5")  # slow enough to hear the fetch
    screen = Screen(new_page(), kiosk)
    voice = Voice(kiosk)
    voice_on_in(screen, voice, lang)

    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    voice.wait(says(lang, "browse.title"), says(lang, "voice.help_hint"))
    kiosk.wait_state(lambda s: s["session"]["voice"] is True)  # the controller waits longer too
    press(screen, "F1")  # help: where the patron is and every key
    voice.wait(says(lang, "browse.title"), says(lang, "voice.keys"))
    chosen: list[str] = []
    for _ in range(count):
        chosen.append(choose_book(screen, voice, lang, chosen))
    assert kiosk.state()["session"]["cart"] == chosen
    vend(screen, voice, lang, kiosk, count)
    screen.wait("summary")
    voice.wait(says(lang, "summary.title"), says(lang, "receipt.question"))  # with each due date
    move_to(screen, "[data-action=finish]")
    press(screen, "Enter")
    screen.wait("attract")
    assert kiosk.wait_state("ready")["session"] is None
    kiosk.wait_state(lambda s: s["backlog"] == 0)
    loans = kiosk.library("GET", f"/admin/patrons/{GOOD_MEMBER}")["loans"]
    assert sorted(loan["item_id"] for loan in loans if not loan.get("returned_at")) == sorted(chosen)

    # the return: the return button chosen with the keys, the book put in by hand
    voice.wait(says(lang, "attract.tap"))
    move_to(screen, "[data-action=return]")
    press(screen, "Enter")
    kiosk.wait_state("awaiting_insert")
    voice.wait(says(lang, "return.insert"))
    kiosk.sim.world_post("/return/insert", {"item_id": chosen[0]})
    voice.wait(says(lang, "notice.return_accepted"))
    screen.wait("notice")
    press(screen, "Escape")  # back: the notice's OK
    screen.wait("attract")
    assert [line for line in screen.console if "error" in line] == []


def test_voice_mode_waits_longer_says_the_warning_and_never_says_the_pin(make_kiosk, new_page):
    # the warning comes 6.4 s after the last key: each digit's words are written well before
    kiosk = make_kiosk(extra="[accessibility]\nvoice_idle_factor = 1.1\n", ui="idle.pin = 24")
    screen = Screen(new_page(), kiosk)
    voice = Voice(kiosk)
    press(screen, "F1")  # the Help key starts voice guidance too
    voice.wait(says("ko", "voice.on"))
    kiosk.tap_card(PIN_CARD)
    screen.wait("pin")
    voice.wait(says("ko", "pin.title"), says("ko", "pin.entered", count=0))
    assert screen.page.evaluate("() => window.kioskScreen.idle.total") == pytest.approx(24 * 1.1 * 1000)
    warning = voice.wait(says("ko", "voice.more_time"))  # the warning, said
    assert says("ko", "idle.warning", seconds="").split(" ")[0] in warning
    press(screen, "Enter")  # more time
    wait_for(lambda: screen.page.locator("#idle").is_hidden(), 5, message="the warning gone")
    start = len(voice.all())
    for count, digit in enumerate(PIN, start=1):
        press(screen, digit)
        voice.wait(says("ko", "pin.entered", count=count))  # the count, each time
    press(screen, "Enter")
    screen.wait("browse")
    voice.wait(says("ko", "browse.title"))
    said = [entry["text"] for entry in voice.all()[start:]]
    typed = said[:[n for n, text in enumerate(said) if says("ko", "browse.title") in text
                   or says("ko", "checking.title") in text][0]]
    entered = re.escape(says("ko", "pin.entered", count="@")).replace("@", "([0-9])")
    each = rf"{entered}(?: {re.escape(says('ko', 'voice.pin_confirm'))})?"
    assert typed and all(re.fullmatch(each, text) for text in typed), typed  # never a digit
    assert [int(re.fullmatch(each, text).group(1)) for text in typed] == [1, 2, 3, 4]


def test_the_keys_reach_every_control_in_order_and_back_goes_back(make_kiosk, new_page):
    """Without voice: Down walks the screen's controls, then the bar's, then the modes', and
    round again; Enter chooses; Escape goes back."""
    kiosk = make_kiosk()
    screen = Screen(new_page(), kiosk)
    kiosk.tap_card(GOOD_MEMBER_CARD)
    screen.wait("browse")
    screen.page.wait_for_selector("#results [data-item]")  # the books listed
    expected = screen.page.evaluate("""() => ['#screen button:not([disabled])', '#bar button',
        '#assist button'].flatMap(s => [...document.querySelectorAll(s)].map(b => b.innerText))""")
    reached = []
    for _ in range(len(expected) + 1):
        press(screen, "ArrowDown")
        reached.append(focused(screen)["text"])
    assert reached == expected + expected[:1]
    press(screen, "ArrowUp")
    assert focused(screen)["text"] == expected[-1]
    move_to(screen, "#results [data-item]")
    press(screen, "Enter")
    screen.wait("detail")
    press(screen, "Escape")
    screen.wait("browse")
    move_to(screen, "#assist [data-assist=zoom]", limit=100)
    press(screen, "Enter")
    assert screen.page.evaluate("() => document.documentElement.classList.contains('zoom')")


def test_the_simulators_keypad_and_jack_drive_the_screen(make_kiosk, new_page):
    """The panel's keypad (the world API) reaches the page as the USB keypad's keys would: the
    jack starts voice guidance, Down and Select open the return slot, pulling the headphones
    out ends the voice."""
    kiosk = make_kiosk()
    screen = Screen(new_page(), kiosk)
    voice = Voice(kiosk)
    wait_for(lambda: kiosk.sim.world_post("/keypad/key", {"key": "F4"})["listeners"] >= 1, 10,
             message="the page listening to the simulator's keypad")  # Repeat: silent yet
    kiosk.sim.world_post("/keypad/jack", {"plugged": True})
    voice.wait(says("ko", "voice.on"), says("ko", "attract.tap"))
    assert screen.page.evaluate("() => window.kioskScreen.modes.voice")
    move_to_by_panel(kiosk, screen, "[data-action=return]")
    kiosk.sim.world_post("/keypad/key", {"key": "Enter"})
    kiosk.wait_state("awaiting_insert")
    voice.wait(says("ko", "return.insert"))
    kiosk.sim.world_post("/keypad/key", {"key": "F4"})  # Repeat
    voice.wait(says("ko", "return.insert"))
    kiosk.sim.world_post("/keypad/jack", {"plugged": False})
    wait_for(lambda: not screen.page.evaluate("() => window.kioskScreen.modes.voice"), 10,
             message="voice guidance off when the headphones come out")


def move_to_by_panel(kiosk, screen: Screen, selector: str, limit: int = 20) -> None:
    """Press the panel's Down key until the control `selector` is focused."""
    for _ in range(limit):
        if screen.page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        before = screen.page.evaluate("() => document.activeElement.outerHTML")
        kiosk.sim.world_post("/keypad/key", {"key": "ArrowDown"})
        wait_for(lambda: screen.page.evaluate("() => document.activeElement.outerHTML") != before,
                 5, message="the panel's Down key to move the focus")
    pytest.fail(f"{selector} never reached with the panel's Down key")
