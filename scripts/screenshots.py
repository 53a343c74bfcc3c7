"""make screenshots: every screen of the touchscreen in Korean and English, to docs/screenshots/.

Starts kiosk-sim and the real controller on it (as the end-to-end tests do: tests/conftest.py
and tests/kiosk_rig.py), plays patrons, the library and the technician through the world API,
the library emulator's admin API and the control socket, and photographs Debian's Chromium at
the touchscreen's size (portrait 1080x1920 CSS pixels, saved at half scale: 540x960 PNGs).
Everything listens on 127.0.0.1 and is stopped at the end.
Files: docs/screenshots/<lang>-<screen>.png.

The simulator's virtual card reader is one per machine (vpcd 127.0.0.1:35963): run one at a
time (anything else that taps cards, such as the tests, meanwhile breaks both).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
for path in (ROOT, TESTS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from conftest import SimHandle, start_sim  # noqa: E402  (the machine the end-to-end tests run)
from kiosk_rig import KioskRig, make_rig  # noqa: E402
from sim.library.demo import DEMO_PATRONS  # noqa: E402
from ui_browser import CHROMIUM, CHROMIUM_ARGS, PORTRAIT  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
LANGUAGES = ("ko", "en")
SPEED = "3"  # the simulated machine 3x faster than the real one: a fetch lasts long enough to see
WAIT_MS = 30_000
CARD_AWAY = 1.0  # seconds a card stays away between taps, so that pcscd sees it leave


def card(note: str) -> str:
    """The card UID of the demo patron whose note starts with `note`."""
    return next(p.card_uid for p in DEMO_PATRONS if p.note.startswith(note))


# Members in good standing, two per language (the first borrows two books, the second one).
EXTRA_MEMBER = {"member_number": "111001000010", "name": "Lim Hana", "card_uid": "04C5D6E7"}
BORROWERS = {"ko": ("04A1B2C3", "0A1B2C3D"),  # Kim Minji; Park Seoyeon (Mapo, checked in)
             "en": ("04A2B3C4D5E6F7", EXTRA_MEMBER["card_uid"])}  # Oh Taeyang; Lim Hana
PIN_PATRON = card("has a PIN")  # Lee Jiho, PIN 1234
SUSPENDED = card("returned a book late")  # Kang Dawon
EXPIRED = card("card expired")  # Yoon Sera


class Shooter:
    """One page at the touchscreen's size in one language, and the machine behind it."""

    def __init__(self, browser, rig: KioskRig, lang: str, out: Path, log: list[str]) -> None:
        self.rig, self.lang, self.out, self.log = rig, lang, out, log
        self.context = browser.new_context(viewport=PORTRAIT, device_scale_factor=0.5,
                                           has_touch=True, locale="ko-KR")
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.page.on("console", lambda m: log.append(f"{lang} console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: log.append(f"{lang} page error: {e.name}: {e.message}"))
        self.taken: list[str] = []
        self.removed = 0.0

    # -- looking ----------------------------------------------------------------------
    def open(self, first_screen: str = "attract") -> None:
        """Load the page and switch it to this shooter's language."""
        self.page.goto(self.rig.ui_url)
        self.screen(first_screen)
        if self.page.evaluate("document.documentElement.lang") != self.lang:
            self.page.click("#language")
            self.page.wait_for_selector(f"html[lang={self.lang}]", state="attached")

    def screen(self, name: str) -> None:
        """Until the page shows screen `name` (no script: the page's CSP forbids eval)."""
        self.page.wait_for_selector(f"#screen[data-screen={name}]", state="attached")

    def shot(self, name: str, toast: bool = False) -> None:
        """Photograph the page as docs/screenshots/<lang>-<name>.png; unless `toast`, once
        the last action's toast (shown 6 s) has gone."""
        if not toast:
            self.page.wait_for_selector("#toast", state="hidden", timeout=8000)
        self.page.wait_for_timeout(150)  # the frame after the last change
        path = self.out / f"{self.lang}-{name}.png"
        self.page.screenshot(path=str(path), animations="disabled", caret="hide")
        self.taken.append(name)
        print(f"  {path}", flush=True)

    def click(self, selector: str) -> None:
        self.page.click(f"#screen {selector}" if not selector.startswith("#") else selector)

    # -- the patron's hands -------------------------------------------------------------
    def tap(self, uid: str) -> None:
        """Hold a card to the reader (after it has been away long enough)."""
        time.sleep(max(0.0, self.removed + CARD_AWAY - time.monotonic()))
        self.rig.sim.world_post("/card/tap", {"uid": uid})

    def remove(self) -> None:
        self.rig.sim.world_post("/card/remove")
        self.removed = time.monotonic()

    def start_session(self, uid: str) -> None:
        """Tap, wait for the browse screen with its books, take the card away."""
        self.tap(uid)
        try:
            self.screen("browse")
        finally:
            self.remove()
        self.page.wait_for_selector("#screen [data-item]")

    def end_session(self) -> None:
        self.rig.api("/api/session/end")
        self.screen("attract")

    def first_available(self) -> str:
        """The first book in the list that may be borrowed now and is not in the cart."""
        cart = set((self.rig.state()["session"] or {}).get("cart", ()))
        cards = self.page.locator("#screen button.book:has(.availability.available)")
        return next(item for item in (c.get_attribute("data-item") for c in cards.all())
                    if item not in cart)

    def choose(self, item_id: str, shot: bool) -> None:
        """From a list of books: the book's page, into the cart, back to the list."""
        self.click(f"[data-item='{item_id}']")
        self.screen("detail")
        if shot:
            self.shot("detail")
        self.click("[data-action=add]")
        self.screen("browse")

    def take(self, taken_before: int) -> None:
        """When the next book (after `taken_before` taken in this session) is at the open
        door: take it."""
        self.rig.wait_state(lambda st: st["state"] == "awaiting_take"
                            and len(st["session"]["vended"]) == taken_before)
        self.rig.sim.world_post("/pickup/take")

    def summary(self) -> None:
        """After the last book is taken: until the summary shows."""
        self.rig.wait_state(lambda st: st["state"] == "browsing" and not st["progress"])
        self.screen("summary")

    def return_book(self, item_id: str) -> None:
        """From the attract screen: open the return slot, insert the book, the outcome."""
        self.click("[data-action=return]")
        self.rig.wait_state("awaiting_insert")
        self.screen("returning")
        self.page.wait_for_selector("#screen .lead")  # the insert step's help
        self.shot("return-insert")
        self.rig.sim.world_post("/return/insert", {"item_id": item_id})
        self.rig.wait_state(lambda st: st["state"] in ("ready", "out_of_service"))
        self.screen("notice")
        self.shot("return-accepted")
        self.click("[data-action=ok]")
        self.screen("attract")

    def failed(self) -> None:
        """What the page showed when a step failed: its screen, its text, a photograph."""
        path = Path(tempfile.gettempdir()) / f"screenshots-failed-{self.lang}.png"
        try:
            self.page.screenshot(path=str(path))
            name = self.page.get_attribute("#screen", "data-screen")
            text = self.page.inner_text("body")[:600]
        except Exception as exc:  # noqa: BLE001  the page itself may be what failed
            print(f"the page could not be looked at: {exc}", file=sys.stderr)
            return
        print(f"FAILED on screen {name!r} (photo {path}); state {self.rig.state()}\n"
              f"the page says: {text}\nthe page logged: {self.log}", file=sys.stderr)

    def close(self) -> None:
        self.context.close()


def library(rig: KioskRig, method: str, body: dict | None = None) -> None:
    """Set (POST) or clear (DELETE) the library emulator's fault on the kiosk's HTTP link."""
    rig.library(method, "/admin/faults", body)


def main_screens(s: Shooter) -> None:
    """Every screen the always-open machine shows, in one language."""
    rig = s.rig
    borrower, second_borrower = BORROWERS[s.lang]
    s.open()
    s.shot("attract")

    # The PIN pad (Lee Jiho's card needs a PIN), two digits typed, then cancelled.
    s.tap(PIN_PATRON)
    try:
        s.screen("pin")
    finally:
        s.remove()
    for digit in "12":
        s.page.click(f"#screen [data-focus-key=pin-{digit}]")
    s.shot("pin")
    s.page.click("#screen [data-focus-key=pin-cancel]")
    s.screen("attract")

    # Refusals: a suspended patron, an expired card.
    for uid, name in ((SUSPENDED, "refusal"), (EXPIRED, "refusal-expired")):
        s.tap(uid)
        try:
            s.screen("notice")
        finally:
            s.remove()
        s.shot(name)
        s.click("[data-action=ok]")
        s.screen("attract")

    # Session 1: checking (the library made slow), popular books, a Hangul search, a Latin
    # search, a book's page, two books in the cart, the vend of the second (the first was
    # fetched ahead while the patron was at the cart), the summary, the receipt on screen.
    library(rig, "POST", {"transport": "http", "kind": "latency", "seconds": 1.5, "count": 2})
    s.tap(borrower)
    try:
        s.screen("checking")
        s.shot("checking")
        s.screen("browse")
    finally:
        s.remove()
        library(rig, "DELETE")
    s.page.wait_for_selector("#screen [data-item]")
    s.shot("browse")
    for mode, name in (("lowReach", "browse-low-reach"), ("zoom", "browse-zoom"), ("contrast", "browse-contrast")):
        s.page.click(f"#assist [data-assist={mode}]")  # the patron's modes, each on and off again
        s.shot(name)
        s.page.click(f"#assist [data-assist={mode}]")
    s.click("[data-tab=search]")
    for key in "ㅎㅏㄴㄱㅏㅇ":
        s.click(f"[data-key='{key}']")
    s.page.wait_for_selector("#screen .results [data-item]")
    s.shot("search-hangul")
    s.click("[data-key=clear]")
    s.click("[data-mode=latin]")
    for key in "harry":
        s.click(f"[data-key='{key}']")
    s.page.wait_for_selector("#screen .results [data-item]")
    s.shot("search")
    first = s.first_available()
    s.choose(first, shot=True)
    s.click("[data-tab=popular]")
    second = s.first_available()
    s.choose(second, shot=False)
    s.click("[data-action=cart]")
    s.screen("cart")
    s.shot("cart", toast=True)
    s.page.wait_for_selector("#toast", state="hidden", timeout=8000)  # not to wait in the vend
    s.click("[data-action=confirm]")
    s.screen("vending")
    s.take(0)  # the book fetched ahead, at the door at once
    rig.wait_state(lambda st: (st["progress"] or {}).get("step") == "fetching")
    s.page.wait_for_selector("#screen .countdown")  # the other book's estimate
    s.shot("vending")
    rig.wait_state(lambda st: st["state"] == "awaiting_take" and st["session"]["vended"])
    s.page.wait_for_selector("#screen .big[role=alert]")  # "take your book"
    s.shot("take")
    s.take(1)
    s.summary()
    s.shot("summary")
    s.click("[data-receipt=screen]")
    s.screen("receipt")
    s.shot("receipt")
    s.click("[data-action=finish]")
    s.screen("attract")

    # Session 2: another member borrows one book and takes the receipt as a QR code.
    s.start_session(second_borrower)
    third = s.first_available()
    s.choose(third, shot=False)
    s.click("[data-action=cart]")
    s.screen("cart")
    s.click("[data-action=confirm]")
    s.screen("vending")
    s.take(0)
    s.summary()
    s.click("[data-receipt=qr]")
    s.screen("receipt")
    s.page.wait_for_selector("#receipt-qr")
    s.page.locator("#receipt-qr").evaluate("img => img.decode()")
    s.shot("receipt-qr")
    s.click("[data-action=finish]")
    s.screen("attract")

    # Session 3: the first member's loans and holds.
    s.start_session(borrower)
    s.click("[data-action=loans]")
    s.screen("loans")
    s.page.wait_for_selector("#screen [data-action=renew]")
    s.shot("loans")
    s.click("[data-action=back]")
    s.screen("browse")
    s.click("[data-action=holds]")
    s.screen("holds")
    s.page.wait_for_selector("#screen [role=status]", state="detached")  # loaded
    s.shot("holds")
    s.end_session()

    # A return: the slot opens, the book goes in, the outcome.
    s.return_book(first)

    # Offline: the library answers 503; the member was seen, so may borrow one book.
    library(rig, "POST", {"transport": "http", "kind": "status", "status": 503})
    try:
        s.start_session(borrower)
        s.page.wait_for_selector("#banner:not([hidden])")
        s.shot("offline")
        s.end_session()
    finally:
        library(rig, "DELETE")

    # Out of service: the technician opens the service door; closed again and reset.
    rig.sim.world_post("/service-door", {"open": True})
    try:
        s.screen("out_of_service")
        s.shot("out-of-service")
    finally:
        rig.sim.world_post("/service-door", {"open": False})
    rig.control("reset")
    rig.wait_state("ready")

    # Maintenance: taken from patrons by the technician.
    rig.control("maintenance", {"on": True})
    try:
        s.screen("maintenance")
        s.shot("maintenance")
    finally:
        rig.control("maintenance", {"on": False})
    rig.wait_state("ready")
    s.screen("attract")


def closed_policy(now: datetime | None = None, zone: str = "Asia/Seoul") -> str:
    """The [policy] lines of a machine closed all of today (a holiday), open from tomorrow."""
    today = (now or datetime.now(ZoneInfo(zone))).date().isoformat()
    return f'always_open = false\n\n[policy.holidays]\n"{today}" = "closed"'


def restart_closed(rig: KioskRig) -> None:
    """The same machine, its controller restarted with a config that is closed today."""
    rig.stop()
    text = rig.config_path.read_text()
    if "always_open = true\n" not in text:
        raise RuntimeError("tests/kiosk_rig.py's CONFIG changed: update scripts/screenshots.py")
    rig.config_path.write_text(text.replace("always_open = true\n", closed_policy() + "\n"))
    rig.start(wait_ready=False)
    rig.wait_state("closed")


def run(out: Path,
        languages: tuple[str, ...] = LANGUAGES) -> tuple[dict[str, list[str]], list[str]]:
    """Photograph every screen; returns what was taken per language, and what the page logged."""
    from playwright.sync_api import sync_playwright
    out.mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    taken: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        sim: SimHandle = start_sim(Path(tmp) / "sim", "--speed", SPEED)
        rig: KioskRig | None = None
        try:
            rig = make_rig(sim, Path(tmp) / "kiosk")
            rig.library("POST", "/admin/patrons", EXTRA_MEMBER)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for lang in languages:
                        print(f"{lang}:", flush=True)
                        shooter = Shooter(browser, rig, lang, out, log)
                        try:
                            main_screens(shooter)
                        except Exception:
                            shooter.failed()
                            raise
                        finally:
                            taken[lang] = shooter.taken
                            shooter.close()
                    restart_closed(rig)
                    for lang in languages:
                        shooter = Shooter(browser, rig, lang, out, log)
                        try:
                            shooter.open("closed")
                            shooter.shot("closed")
                        finally:
                            taken[lang] += shooter.taken
                            shooter.close()
                finally:
                    browser.close()
        finally:
            if rig is not None:
                rig.stop()
            sim.stop()
    return taken, log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/screenshots.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    parser.add_argument("--lang", choices=LANGUAGES, action="append",
                        help="only this language (repeatable; default: all)")
    args = parser.parse_args(argv)
    taken, log = run(args.out, tuple(args.lang or LANGUAGES))
    total = sum(p.stat().st_size for p in args.out.glob("*.png"))
    count = sum(len(names) for names in taken.values())
    print(f"{count} screenshots in {args.out} ({total / 1024:.0f} KiB in all PNGs there)")
    if log:
        print("the page logged:", *log, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
