"""The patron's touchscreen in Chromium, on a real controller: what a test sees and touches."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import wait_for
from ui_browser import axe_violations

ROOT = Path(__file__).resolve().parent.parent
I18N = {lang: json.loads((ROOT / "kiosk" / "ui" / "i18n" / f"{lang}.json").read_text("utf-8"))
        for lang in ("ko", "en")}
# A code or key on screen instead of words: snake_case or dotted keys, or the missing marker.
RAW_CODE = re.compile(r"\[\[|\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\.[a-z_.]+\b")


class Screen:
    """One touchscreen page: the screen shown, its words, the patron's fingers."""

    def __init__(self, page, rig) -> None:
        self.page = page
        self.rig = rig
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.goto(rig.ui_url)
        self.wait("attract", "closed", "starting")

    # -- looking ------------------------------------------------------------------------
    def name(self) -> str:
        """The screen shown now (the page's own name for it)."""
        return self.page.evaluate("() => document.getElementById('screen').dataset.screen || ''")

    def wait(self, *names: str, timeout: float = 60) -> str:
        """Wait until one of these screens is shown; its name."""
        return wait_for(lambda: self.name() in names and self.name(), timeout,
                        message=f"screen {names} (showing {self.name()!r}; {self.console[-3:]})")

    def text(self) -> str:
        """Everything the patron can read now (the screen, the bar, the banner, a toast)."""
        return self.page.evaluate("() => document.body.innerText")

    def says(self, key: str, **values) -> str:
        """The words of a translation key in the page's language, as the page writes them."""
        text = I18N[self.language()][key]
        return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)

    def language(self) -> str:
        return self.page.evaluate("() => document.documentElement.lang")

    def wait_text(self, words: str, timeout: float = 30) -> None:
        """Wait until the patron can read `words`."""
        wait_for(lambda: words in self.text(), timeout,
                 message=f"{words!r} on screen (it shows {self.text()[:300]!r})")

    # -- touching -----------------------------------------------------------------------
    def tap(self, selector: str) -> None:
        self.page.locator(selector).first.click()

    def type_keys(self, keys: list[str]) -> None:
        """Type on the on-screen keyboard, key by key."""
        for key in keys:
            self.tap(f".keyboard [data-key='{key}']")

    def switch_language(self) -> str:
        """Press the language button; the new language."""
        before = self.language()
        self.tap("#language")
        wait_for(lambda: self.language() != before, 5, message="the language to change")
        return self.language()

    # -- checking -----------------------------------------------------------------------
    def check(self) -> None:
        """This screen, in both languages: every text translated, no code shown, no WCAG 2.2
        AA violation; the page comes back to the language it was in."""
        for _ in range(2):
            self.check_words()
            violations = axe_violations(self.page)
            assert violations == [], f"{self.name()} ({self.language()}): {violations}"
            self.switch_language()

    def check_words(self) -> None:
        missing = self.page.evaluate("() => [...window.kioskScreen.missing]")
        assert missing == [], f"untranslated keys on {self.name()}: {missing}"
        shown = self.page.evaluate("() => document.getElementById('screen').innerText + ' ' +"
                                   " document.getElementById('bar').innerText")
        codes = [c for c in RAW_CODE.findall(shown) if c not in self.library_text()]
        assert codes == [], f"{self.name()} ({self.language()}) shows codes: {codes}"

    def library_text(self) -> str:
        """Titles and authors: the library's words, which may look like anything."""
        return self.page.evaluate(
            "() => JSON.stringify((window.kioskScreen.ui.catalogue || {books: []}).books"
            ".map(b => [b.title, b.authors]))")
