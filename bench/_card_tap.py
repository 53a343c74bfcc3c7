"""The touchscreen benchmark's card taps: a member card (or QR code) to the greeting drawn in
Chromium, with pcscd's own report of the card stamped by a PC/SC watcher of the bench's."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smartcard import scard

from bench import Verdict
from bench.vend_overhead import percentile
from drivers.card.pcsc import PcscContext, PcscUnavailable, card_events

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from kiosk_rig import GOOD_MEMBER_CARD, KioskRig  # noqa: E402

MEMBER = "111001000001"  # Kim Minji's member number (her app's QR code)
BUDGET_TAP_P95 = 0.300  # seconds over the library's own latency (issue 10)
PCSCD_POLL_MS = 400  # PCSCLITE_STATUS_POLL_RATE of pcsc-lite 1.9.9 (Debian's pcscd)
WAIT_MS = 20_000
# pcscd looks at the virtual reader a few times a second: a card taken away and tapped again
# between two looks is never seen to have left, so it stays away this long between taps, plus
# a random part so that the taps fall at every phase of pcscd's looking, not at one.
CARD_AWAY = 1.0
CARD_AWAY_JITTER = 0.5
SEED = 10
VIA = {"card": "card tap", "qr": "QR code"}

# Armed before a tap: resolves with the page's epoch ms when the checking screen shows, when
# the greeting is in the bar on the browse screen, and two animation frames later (drawn).
ARM_TAP = """(wait) => {
  const screen = document.getElementById("screen"), bar = document.getElementById("bar-status");
  const title = bar.textContent;
  const now = () => performance.timeOrigin + performance.now();
  const marks = {};
  window.__benchTap = new Promise((resolve, reject) => {
    const mo = new MutationObserver(() => {
      if (!marks.checking && screen.dataset.screen === "checking") marks.checking = now();
      if (screen.dataset.screen === "browse" && bar.textContent !== title) {
        marks.greeting = now();
        marks.text = bar.textContent;
        mo.disconnect();
        clearTimeout(timer);
        requestAnimationFrame(() => requestAnimationFrame(() => {
          marks.frame = now();
          resolve(marks);
        }));
      }
    });
    const timer = setTimeout(() => {
      mo.disconnect();
      reject(new Error(`no greeting: screen ${screen.dataset.screen}, bar ${bar.textContent}`));
    }, wait);
    mo.observe(screen, {attributes: true, attributeFilter: ["data-screen"]});
    mo.observe(bar, {childList: true, characterData: true, subtree: true});
  });
}"""


@dataclass(frozen=True)
class Tap:
    """One card tap: the page's times after it, in ms, and what the library was asked."""

    latency: float  # seconds the library adds to each answer
    contact: float  # ms from the tap to the world API's answer (vpcd has taken the card)
    checking: float | None  # ms from the tap to the checking screen (None: not seen)
    greeting: float  # ms from the tap to the greeting in the DOM
    drawn: float  # ms from the tap to two animation frames after it
    library_requests: int  # answers the library gave meanwhile (counted by its fault)
    clock_error: float  # ms: how well the page's clock was matched to Python's
    via: str = "card"  # "card" (the card reader, pcscd) or "qr" (the barcode scanner)
    seen: float | None = None  # ms from the tap to pcscd reporting the card (card taps only)

    @property
    def library_ms(self) -> float:
        """The library's own added time on this tap: its latency times its answers."""
        return 1000 * self.latency * self.library_requests

    @property
    def over_library(self) -> float:
        """ms from the tap to the greeting drawn, less the library's own time."""
        return self.drawn - self.library_ms

    @property
    def after_seen(self) -> float | None:
        """ms from pcscd reporting the card to the greeting drawn, less the library's time:
        what the controller, the event stream and the page take (None: no report stamped)."""
        return None if self.seen is None else self.drawn - self.seen - self.library_ms


class CardWatch:
    """pcscd's report of a card arriving on `reader`, stamped (epoch seconds) by a PC/SC
    context of the bench's own; it only watches (the controller's loop gets the same report)."""

    def __init__(self, reader: str) -> None:
        self._context = PcscContext()
        self._reader = self._context.find_reader(reader)
        self._arrivals: list[float] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="bench-card-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            known = self._context.wait_change(self._reader, scard.SCARD_STATE_UNAWARE, 0) or 0
            while not self._stop.is_set():
                state = self._context.wait_change(self._reader, known, 0.5)
                if state is None:
                    continue
                arrived = (card_events(state) - card_events(known)) & 0xFFFF
                if state & scard.SCARD_STATE_PRESENT and arrived:
                    with self._changed:
                        self._arrivals.append(time.time())
                        self._changed.notify_all()
                known = state
        except PcscUnavailable as exc:
            self.error = exc

    def mark(self) -> int:
        """A cursor: arrival() after it looks only at later arrivals."""
        with self._changed:
            return len(self._arrivals)

    def arrival(self, cursor: int, timeout: float = 5.0) -> float | None:
        """Epoch seconds of the first arrival after `cursor` (None: none within `timeout`)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._arrivals) > cursor, timeout)
            return self._arrivals[cursor] if len(self._arrivals) > cursor else None

    def close(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._context.cancel()
        self._thread.join(5)
        self._context.close()


def wait_screen(page, name: str) -> None:
    """Until the page shows screen `name` (no script evaluation: the page's CSP forbids it)."""
    page.wait_for_selector(f"#screen[data-screen={name}]", state="attached")


def library_hits(rig: KioskRig) -> int:
    """Answers the library's HTTP fault (here: a latency) has been applied to."""
    return rig.library("GET", "/admin/faults").get("http", {}).get("hits", 0)


_removed = [0.0]  # when the card was last taken away (monotonic)
_jitter = random.Random(SEED)


def remove_card(rig: KioskRig) -> None:
    """The patron takes the card away from the reader."""
    rig.sim.world_post("/card/remove")
    _removed[0] = time.monotonic()


def card_away() -> None:
    """Until the card has been away from the reader long enough to be tapped again."""
    away = CARD_AWAY + _jitter.uniform(0.0, CARD_AWAY_JITTER)
    time.sleep(max(0.0, _removed[0] + away - time.monotonic()))


def clock_offset(page) -> tuple[float, float]:
    """The page's epoch ms minus Python's, and the half round trip it is known within."""
    best = None
    for _ in range(3):
        before = time.time() * 1000
        page_now = page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        offset, error = page_now - (before + after) / 2, (after - before) / 2
        if best is None or error < best[1]:
            best = (offset, error)
    return best


def measure_taps(rig: KioskRig, page, count: int, latency: float, via: str = "card",
                 card: str = GOOD_MEMBER_CARD, member: str = MEMBER,
                 watch: CardWatch | None = None) -> list[Tap]:
    """`count` taps of a good member's card (via "card"; "qr": scans of the member's QR code)
    with the library `latency` s slower on each answer; each session ended through the patron
    API, the page back on its attract screen. With `watch`, pcscd's report of each card."""
    # A latency fault on every kiosk-facing request (0 s too): the library counts its answers.
    rig.library("POST", "/admin/faults", {"transport": "http", "kind": "latency",
                                          "seconds": latency})
    taps = []
    try:
        for _ in range(count):
            rig.wait_state("ready")
            wait_screen(page, "attract")
            if via == "card":
                card_away()
            offset, error = clock_offset(page)
            hits = library_hits(rig)
            cursor = watch.mark() if watch else 0
            page.evaluate(ARM_TAP, WAIT_MS)
            tapped = time.time() * 1000 + offset  # the tap, on the page's clock
            if via == "card":
                rig.sim.world_post("/card/tap", {"uid": card})
            else:
                rig.sim.world_post("/barcode/scan", {"data": member, "symbology": "]Q1"})
            contact = time.time() * 1000 + offset - tapped
            marks = page.evaluate("window.__benchTap")
            seen = watch.arrival(cursor) if watch and via == "card" else None
            if via == "card":
                remove_card(rig)
            asked = library_hits(rig) - hits
            checking = marks.get("checking")
            taps.append(Tap(latency, contact, None if checking is None else checking - tapped,
                            marks["greeting"] - tapped, marks["frame"] - tapped, asked, error,
                            via, None if seen is None else seen * 1000 + offset - tapped))
            rig.api("/api/session/end")
            wait_screen(page, "attract")
    finally:
        rig.library("DELETE", "/admin/faults")
    return taps


# -- the report ---------------------------------------------------------------------
def ms(values: Sequence[float], share: float, digits: int = 0) -> str:
    """The `share` quantile of `values` in ms as text ("–" for none)."""
    return f"{percentile(values, share):.{digits}f}" if values else "–"


def tap_rows(taps: Sequence[Tap]) -> list[str]:
    """One table row per way in and library latency."""
    rows = []
    for via, latency in sorted({(t.via, t.latency) for t in taps}):
        group = [t for t in taps if (t.via, t.latency) == (via, latency)]
        asked = sorted({t.library_requests for t in group})
        own = sorted({round(t.library_ms) for t in group})
        drawn = [t.drawn for t in group]
        seen = [t.seen for t in group if t.seen is not None]
        after = [t.after_seen for t in group if t.after_seen is not None]
        checking = [t.checking for t in group if t.checking is not None]
        rows.append(
            f"| {VIA[via]} | {1000 * latency:.0f} ms | {len(group)} | "
            f"{'/'.join(map(str, asked))} | {'/'.join(map(str, own))} | "
            f"{ms(seen, 0.5)} / {ms(seen, 0.95)} | "
            f"{ms(checking, 0.5)} / {ms(checking, 0.95)} | "
            f"{ms([t.greeting for t in group], 0.5)} | "
            f"{ms(drawn, 0.5)} | {ms(drawn, 0.95)} | "
            f"**{ms([t.over_library for t in group], 0.95)}** | {ms(after, 0.95)} |")
    return rows


def tap_verdicts(taps: Sequence[Tap]) -> list[Verdict]:
    """The card tap's budget at each library latency, and the part after pcscd's report."""
    cards = [t for t in taps if t.via == "card"]
    seen = [t.seen for t in cards if t.seen is not None]
    after = [t.after_seen for t in cards if t.after_seen is not None]
    budget = 1000 * BUDGET_TAP_P95
    limit = f"≤ {budget:.0f} ms"
    verdicts = []
    for latency in sorted({t.latency for t in cards}):
        over = [t.over_library for t in cards if t.latency == latency]
        p95 = percentile(over, 0.95)
        note = "" if p95 <= budget else (
            f"+{p95 - budget:.0f} ms: pcscd looks at the simulated reader (vpcd has no card "
            f"events) every {PCSCD_POLL_MS} ms and the card waits for that look (p95 "
            f"{ms(seen, 0.95)} ms); a real reader's own card events remove the wait; from "
            "pcscd's report on, see the next row")
        verdicts.append(Verdict(
            f"card tap to greeting drawn, p95 over the library, library at "
            f"{1000 * latency:.0f} ms ({len(over)} taps)", f"{p95:.0f} ms", limit,
            p95 <= budget, note))
    if after:
        p95 = percentile(after, 0.95)
        verdicts.append(Verdict(
            f"card reported by pcscd to greeting drawn, p95 over the library ({len(after)} "
            "taps: the kiosk's part)", f"{p95:.0f} ms", limit, p95 <= budget,
            "" if p95 <= budget else f"+{p95 - budget:.0f} ms: see the Touchscreen section"))
    return verdicts


def tap_section(taps: Sequence[Tap]) -> str:
    """The card taps' part of the Touchscreen section: method, table, conclusion."""
    cards = [t for t in taps if t.via == "card"]
    scans = [t for t in taps if t.via == "qr"]
    seen = [t.seen for t in cards if t.seen is not None]
    after = [t.after_seen for t in cards if t.after_seen is not None]
    clock = max(t.clock_error for t in taps)
    by_latency = ", ".join(
        f"{ms([t.over_library for t in cards if t.latency == latency], 0.95)} ms with the "
        f"library at {1000 * latency:.0f} ms" for latency in sorted({t.latency for t in cards}))
    over = percentile([t.over_library for t in cards], 0.95)
    verdict = "within" if over <= 1000 * BUDGET_TAP_P95 else "over"
    after_p95 = percentile(after, 0.95) if after else float("nan")
    after_verdict = "within" if after_p95 <= 1000 * BUDGET_TAP_P95 else "over"
    scan_text = (
        " Scanning her QR code instead (the barcode scanner's serial line, no card reader): "
        f"**p95 {ms([t.over_library for t in scans], 0.95)} ms over the library** over "
        f"{len(scans)} scans." if scans else "")
    return (
        "**Card tap to greeting.** Kim Minji's card tapped through the world API: the "
        "simulator's virtual card connects to vsmartcard-vpcd, pcscd takes it at its next look "
        f"at the reader (vpcd has no card events of its own, so pcscd polls it every "
        f"{PCSCD_POLL_MS} ms: PCSCLITE_STATUS_POLL_RATE of pcsc-lite 1.9.9) and reports it, the "
        "controller's PC/SC loop (woken by that report in `SCardGetStatusChange`) reads the "
        "UID, the library answers the card lookup and the patron status, the page gets the "
        "state over server-sent events. The time is taken in Python just before the POST and "
        "put on the page's clock (`performance.timeOrigin + performance.now()`, matched within "
        f"{clock:.1f} ms); a PC/SC context of the bench's own watches the reader and stamps "
        "pcscd's report of the card (the same report that wakes the controller's loop); a "
        "MutationObserver in the page stamps the checking screen and the greeting in the bar "
        "of the browse screen. Each session is ended with `POST /api/session/end` and the card "
        f"kept away {CARD_AWAY:g} to {CARD_AWAY + CARD_AWAY_JITTER:g} s (random, seed {SEED}: "
        "the taps fall at any moment of pcscd's looking at the reader). The library's own "
        "time is its injected latency (the emulator's `latency` fault, 0 s included) times the "
        "answers it gave during the tap, counted by the fault. For comparison, her member QR "
        "code scanned through the world API (the simulated scanner's serial line): the same "
        "controller, library and page, no card reader.\n\n"
        "| way in | library latency | taps | library answers each | library's own ms | "
        "pcscd reports the card p50 / p95 ms | checking screen p50 / p95 ms | greeting in DOM "
        "p50 ms | drawn p50 ms | drawn p95 ms | drawn p95 over the library ms | from pcscd's "
        "report to drawn p95 over the library ms |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(tap_rows(taps)) + "\n\n"
        f"**Card tap to greeting drawn, p95 over the library's own latency: {by_latency}** "
        f"({len(cards)} taps; {verdict} the budget of {1000 * BUDGET_TAP_P95:.0f} ms). Most of "
        f"it is the wait for pcscd's look at the simulated reader: pcscd reports the card p50 "
        f"{ms(seen, 0.5)} ms, p95 {ms(seen, 0.95)} ms after the tap (spread over its "
        f"{PCSCD_POLL_MS} ms period). That wait is the simulated reader's: a real reader's "
        "driver (CCID) signals card events and pcscd reports them as they come. **From "
        f"pcscd's report to the greeting drawn: p95 {after_p95:.0f} ms over the library** "
        f"({after_verdict} the budget): the controller's loop, the library beyond its injected "
        "latency, the event stream and the page, the kiosk's own part. The simulated card's "
        "TCP link to vpcd once added ~130 ms more (delayed ACKs against vpcd's Nagle: ~86 ms "
        "before pcscd's report, ~44 ms per GET DATA); the virtual card now acknowledges at "
        f"once (sim/vcard.py).{scan_text}")
