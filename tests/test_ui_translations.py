"""The touchscreen's words: both languages have every key, every code the controller sends has
words, the page's code asks only for keys that exist, and no display text hides in the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kiosk.catalogue import Availability
from kiosk.connectors import Reason
from kiosk.journal.enums import ReturnRejection
from kiosk.policy import PolicyRefusal

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "kiosk" / "ui"
TABLES = {lang: json.loads((UI / "i18n" / f"{lang}.json").read_text("utf-8")) for lang in ("ko", "en")}
SCRIPTS = sorted((UI / "static" / "js").rglob("*.js"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_both_languages_have_the_same_keys_and_no_empty_text():
    ko, en = TABLES["ko"], TABLES["en"]
    assert sorted(set(ko) - set(en)) == [] and sorted(set(en) - set(ko)) == []
    assert [k for k, v in {**ko, **en}.items() if not v.strip()] == []


def test_placeholders_agree_between_the_languages():
    names = re.compile(r"\{(\w+)\}")
    differ = [k for k in TABLES["ko"] if set(names.findall(TABLES["ko"][k])) != set(names.findall(TABLES["en"][k]))]
    assert differ == []


def codes_in_docs() -> set[str]:
    """The codes of docs/controller.md's table "Codes the screen translates"."""
    text = (ROOT / "docs" / "controller.md").read_text("utf-8")
    table = text.split("## Codes the screen translates", 1)[1].split("\n## ", 1)[0]
    codes = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            codes |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return codes


def test_every_code_the_screen_may_be_sent_has_words_in_both_languages():
    notices = codes_in_docs() | {r.value for r in ReturnRejection} | {
        "card_unreadable", "library_error", "renewed", "renewal_unconfirmed", "session_timed_out"}
    notices -= {"return_rejected", "library_message", "days_late", "item_id", "due"}  # fields
    notices = {f"notice.return_rejected.{c}" if c in {r.value for r in ReturnRejection} else f"notice.{c}"
               for c in notices}
    availability = {f"availability.{a.value}" for a in Availability}
    for lang, table in TABLES.items():
        assert sorted(notices - set(table)) == [], lang
        assert sorted(availability - set(table)) == [], lang


def test_every_reason_of_the_library_has_words():
    shown = set(Reason)  # a renewal or a hold may be refused for any of the library's reasons
    policy = {PolicyRefusal.ALREADY_HELD, PolicyRefusal.ITEM_AVAILABLE, PolicyRefusal.ON_LOAN_TO_PATRON,
              PolicyRefusal.LIBRARY_UNREACHABLE}
    for table in TABLES.values():
        assert sorted(r.value for r in shown if f"notice.{r.value}" not in table) == []
        assert sorted(p.value for p in policy if f"refusal.{p.value}" not in table) == []


def test_every_key_the_page_asks_for_exists():
    asked = set()
    for script in SCRIPTS:
        asked |= set(re.findall(r"\bt\(\s*\"([a-z_.]+)\"", script.read_text("utf-8")))
    assert len(asked) > 50
    assert sorted(asked - set(TABLES["en"])) == []


def test_no_hangul_or_english_sentences_in_the_pages_code():
    for script in SCRIPTS:
        text = script.read_text("utf-8")
        assert not HANGUL.search(text.split("const LAYOUTS", 1)[-1] if "LAYOUTS" in text else text), script
        strings = re.findall(r"\"([^\"\n]{3,})\"", text)
        sentences = [s for s in strings if re.fullmatch(r"[A-Z][a-z]+( [a-z]+){2,}[.!?]?", s)]
        assert sentences == [], f"{script.name}: display text belongs in kiosk/ui/i18n: {sentences}"


def test_the_page_loads_nothing_from_elsewhere():
    for path in (UI / "static").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".css", ".js") :
            text = path.read_text("utf-8")
            assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text), path
            assert not re.search(r"url\(\s*[\"']?(https?:)?//", text), path
            assert "fetch(\"http" not in text and "import(\"http" not in text, path
