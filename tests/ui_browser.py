"""Debian's Chromium through Playwright (sync API), for every test that looks at a screen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PORTRAIT = {"width": 1080, "height": 1920}  # the machine's touchscreen, in CSS pixels
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per test module (each test opens its own context). Not longer:
    Playwright's sync API keeps an asyncio loop running in this thread while it lives, and the
    next modules' tests run their own loops."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium) -> Iterator[object]:
    """Factory: a fresh page (own context) at the touchscreen's size; closed at teardown."""
    contexts = []

    def factory(url: str | None = None, viewport: dict | None = None, **options):
        context = chromium.new_context(viewport=viewport or PORTRAIT, has_touch=True,
                                       locale=options.pop("locale", "ko-KR"), **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if url:
            page.goto(url)
        return page

    yield factory
    for context in contexts:
        context.close()


def axe_violations(page, context: str = "document") -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through the debugging protocol: the page's own CSP (no inline script) holds
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async ([ctx, tags]) => (await axe.run(ctx === 'document' ? document : ctx,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations",
        [context, WCAG_22_AA])
    return [{"id": v["id"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]
