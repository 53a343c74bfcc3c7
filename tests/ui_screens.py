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


# The modes checked on every screen: each alone where it matters, and all at once (the least
# room: 200 % text in the lower part of the screen).
MODE_SETS = (("contrast", "voice"), ("zoom",), ("lowReach",), ("zoom", "contrast", "lowReach", "voice"))
MODES = {"zoom": "zoom", "contrast": "contrast", "lowReach": "low-reach", "voice": "voice"}  # -> class
VISIBLE_BOX_JS = """
const visibleBox = (el) => {
  let r = el.getBoundingClientRect();
  let box = {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  for (let p = el.parentElement; p; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
    const c = p.getBoundingClientRect();
    box = {top: Math.max(box.top, c.top), bottom: Math.min(box.bottom, c.bottom),
           left: Math.max(box.left, c.left), right: Math.min(box.right, c.right)};
  }
  return box.bottom - box.top > 1 && box.right - box.left > 1 ? box : null;
};
const controls = () => [...document.querySelectorAll('button, [tabindex="0"]')]
  .filter(el => el.getClientRects().length && !el.closest('[hidden]'));
const name = (el) => (el.innerText || el.getAttribute('aria-label') || el.id).slice(0, 40);
"""
CLIPPED_JS = "() => {" + VISIBLE_BOX_JS + """
  const cut = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.getClientRects().length || el.closest('[hidden], .sr-only, svg')) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) cut.push(name(el) + ' (wider than its box)');
    if (['hidden', 'clip'].includes(style.overflowY) && el.id !== 'caption'  // two lines, on purpose
        && el.scrollHeight > el.clientHeight + 1) cut.push(name(el) + ' (taller than its box)');
    if (r.left < -1 || r.right > innerWidth + 1) cut.push(name(el) + ' (beyond the screen)');
    if (!el.closest('main') && (r.top < -1 || r.bottom > innerHeight + 1)) cut.push(name(el) + ' (below or above the screen)');
  }
  const main = document.getElementById('screen').getBoundingClientRect();
  if (main.height < 200) cut.push('the screen has no room: ' + main.height + ' px');
  return cut;
}"""
OVERLAP_JS = "() => {" + VISIBLE_BOX_JS + """
  const boxes = controls().map(el => [el, visibleBox(el)]).filter(([, b]) => b);
  const pairs = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (a.contains(b) || b.contains(a)) continue;
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 1 && y > 1) pairs.push(name(a) + ' / ' + name(b));
  }
  return pairs;
}"""
REACH_JS = "(line) => {" + VISIBLE_BOX_JS + """
  const limit = line * innerHeight - 0.5;
  return controls().map(el => [el, visibleBox(el)]).filter(([, b]) => b && b.top < limit)
    .map(([el, b]) => name(el) + ' at ' + Math.round(b.top) + ' px (line ' + Math.round(limit) + ')');
}"""


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
        self.check_modes()

    def check_modes(self) -> None:
        """This screen in every mode the patron may choose, switched with the mode bar: no WCAG
        2.2 AA violation; at 200 % text nothing clipped and no controls on each other; in the
        low-reach layout every control below the reach line. The modes are off again after."""
        for modes in MODE_SETS:
            self.set_modes(modes)
            violations = axe_violations(self.page)
            assert violations == [], f"{self.name()} in {modes}: {violations}"
            if "zoom" in modes:
                clipped, overlapping = self.clipped(), self.overlapping()
                assert clipped == [], f"{self.name()} in {modes}: clipped text {clipped}"
                assert overlapping == [], f"{self.name()} in {modes}: controls overlap {overlapping}"
            if "lowReach" in modes:
                unreachable = self.out_of_reach()
                assert unreachable == [], f"{self.name()} in {modes}: out of reach {unreachable}"
        self.set_modes(())

    def set_modes(self, wanted: tuple[str, ...]) -> None:
        """Switch the modes with the mode bar's buttons until exactly `wanted` are on, and
        check the page took them: its classes, and twice the text at 200 %."""
        for name in MODES:
            on = self.page.evaluate(f"() => window.kioskScreen.modes.{name}")
            if on != (name in wanted):
                self.tap(f"#assist [data-assist={name}]")
        self.page.evaluate("() => new Promise(requestAnimationFrame)")
        classes = self.page.evaluate("() => [...document.documentElement.classList]")
        assert sorted(c for c in classes if c in MODES.values()) == sorted(MODES[m] for m in wanted)
        size = self.page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert size == (56 if "zoom" in wanted else 28), f"root text {size} px with {wanted}"

    def clipped(self) -> list[str]:
        """Texts cut off: wider than their box where it hides overflow, or out of the screen."""
        return self.page.evaluate(CLIPPED_JS)

    def overlapping(self) -> list[str]:
        """Pairs of visible controls whose boxes overlap."""
        return self.page.evaluate(OVERLAP_JS)

    def out_of_reach(self) -> list[str]:
        """Controls whose visible box reaches above the machine's reach line."""
        line = self.page.evaluate("() => window.kioskScreen.ui.info.accessibility.reach_line")
        return self.page.evaluate(REACH_JS, line)

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
