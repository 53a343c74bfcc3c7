"""Voice guidance through the real controller: POST /api/speech reaches espeak-ng and the
speech files, bad bodies are 400, /api/info has the accessibility facts, and voice mode's
longer idle backstop. Run under `flock /tmp/sim-e2e.lock`."""

from __future__ import annotations

import struct
import time

import pytest
import requests

from conftest import wait_for
from test_kiosk_patrons import card_of

UI_IDLE = ("idle = { pin = 21.0, browse = 21.0, detail = 21.0, cart = 21.0, loans = 21.0, "
           "holds = 21.0, summary = 21.0, receipt = 21.0, notice = 21.0 }")
IDLE_TIMEOUT = 31.0  # the shortest backstop the screens' idle lengths allow (21 + 10)
VOICE_FACTOR = 1.2  # the longer backstop: 37.2 s


def test_speech_request_is_spoken_into_the_files(kiosk):
    answer = kiosk.api("/api/speech", {"text": "책이 나오고 있어요. 약 8초", "lang": "ko",
                                       "rate": 2, "volume": 0})
    assert answer["ok"] and isinstance(answer["result"]["id"], int)
    said = wait_for(kiosk.spoken, message="the utterance in the speech files")
    assert [(s["text"], s["lang"], s["voice"], s["wpm"], s["amplitude"]) for s in said] == \
        [("책이 나오고 있어요. 약 8초", "ko", "ko", 220, 60)]
    wav = said[0]["wav"].read_bytes()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    at = wav.index(b"data")
    assert struct.unpack_from("<I", wav, at + 4)[0] == len(wav) - at - 8 > 0
    kiosk.api("/api/speech", {"text": "Please take your book.", "lang": "en", "rate": 0,
                              "volume": 2})
    said = wait_for(lambda: len(kiosk.spoken()) == 2 and kiosk.spoken(), message="the second")
    assert (said[1]["text"], said[1]["voice"]) == ("Please take your book.", "en-gb")
    assert kiosk.api("/api/speech/stop") == {"ok": True, "result": {}}
    health = requests.get(f"{kiosk.ui_url}/health", timeout=10).json()["speech"]
    assert (health["output"], health["ok"], health["said"]) == ("files", True, 2)
    assert kiosk.control("status")["readers"]["speech_output"]["ok"] is True


BAD_BODIES = [
    ({"lang": "ko", "rate": 0, "volume": 0}, "'text'"),
    ({"text": "", "lang": "ko", "rate": 0, "volume": 0}, "'text'"),
    ({"text": "가" * 601, "lang": "ko", "rate": 0, "volume": 0}, "'text'"),
    ({"text": "hi", "lang": "fr", "rate": 0, "volume": 0}, "'lang'"),
    ({"text": "hi", "lang": ["ko"], "rate": 0, "volume": 0}, "'lang'"),
    ({"text": "hi", "lang": "en", "rate": 3, "volume": 0}, "'rate'"),
    ({"text": "hi", "lang": "en", "rate": True, "volume": 0}, "'rate'"),
    ({"text": "hi", "lang": "en", "rate": 0, "volume": -1}, "'volume'"),
    ({"text": "hi", "lang": "en", "rate": 0, "volume": "1"}, "'volume'"),
    ({"text": "hi\u0007", "lang": "en", "rate": 0, "volume": 0}, "text"),
]


def test_bad_speech_bodies_are_400_naming_the_field(kiosk):
    for body, field in BAD_BODIES:
        answer = kiosk.api("/api/speech", body, expect=400)
        assert answer["ok"] is False and field in answer["error"], (body, answer)
    kiosk.start_session()
    answer = kiosk.api("/api/still-here", {"voice": "yes"}, expect=400)
    assert "'voice'" in answer["error"]
    assert kiosk.spoken() == []


def test_info_has_the_accessibility_facts(kiosk):
    facts = kiosk.api_get("/api/info")["result"]["accessibility"]
    assert facts == {"reach_line": round((170 - 120) / (170 - 75), 4), "voice_idle_factor": 2.0,
                     "rates": 3, "volumes": 3, "default_rate": 1, "default_volume": 1,
                     "speech": True, "max_chars": 600}


def _idle_until_ready(rig) -> tuple[dict, float]:
    """Wait, without a request to the controller, until the session ends; the last state and
    the seconds waited."""
    started = time.monotonic()
    state = rig.wait_state("ready", timeout=3 * IDLE_TIMEOUT * VOICE_FACTOR)
    return state, time.monotonic() - started


def test_voice_mode_keeps_the_session_past_the_idle_backstop(make_kiosk):
    rig = make_kiosk(idle_timeout=IDLE_TIMEOUT, ui=UI_IDLE,
                     extra=f"[accessibility]\nvoice_idle_factor = {VOICE_FACTOR}")
    rig.start_session()  # without voice: the backstop is idle_timeout
    assert rig.api("/api/still-here")["result"] == {"idle_timeout": IDLE_TIMEOUT}
    state, _ = _idle_until_ready(rig)
    assert state["notice"]["code"] == "session_timed_out"

    rig.start_session()  # with voice: idle_timeout x voice_idle_factor
    voice = IDLE_TIMEOUT * VOICE_FACTOR
    assert rig.api("/api/still-here", {"voice": True})["result"] == {"idle_timeout": voice}
    asked = time.monotonic()  # the backstop was armed before this
    browsing = rig.state()
    assert (browsing["session"]["voice"], browsing["idle_timeout"]) == (True, voice)
    # Later than the plain backstop would have ended it, the session is still there ...
    wait_for(lambda: time.monotonic() > asked + IDLE_TIMEOUT + 1, timeout=IDLE_TIMEOUT + 5,
             interval=0.5, message="the plain backstop's moment to pass")
    assert rig.state()["state"] == "browsing"
    # ... and the longer backstop ends it, as a timeout
    state, _ = _idle_until_ready(rig)
    assert state["notice"]["code"] == "session_timed_out"
    assert state["session"] is None and state["idle_timeout"] == IDLE_TIMEOUT
    rig.start_session()  # voice mode ended with that session
    assert rig.state()["session"]["voice"] is False
    assert rig.api("/api/still-here")["result"] == {"idle_timeout": IDLE_TIMEOUT}


@pytest.mark.parametrize("body", [{}, {"voice": False}])
def test_still_here_without_voice_keeps_the_plain_backstop(kiosk, body):
    kiosk.start_session()
    assert kiosk.api("/api/still-here", body)["result"] == {"idle_timeout": 120.0}
    assert kiosk.state()["session"]["voice"] is False


def test_voice_mode_turned_on_at_the_pin_pad_carries_into_the_session(kiosk):
    kiosk.tap_card(card_of("has a PIN"))
    assert kiosk.wait_state("pin_entry")["pin_needed"]
    assert kiosk.api("/api/still-here", {"voice": True})["result"] == {"idle_timeout": 240.0}
    assert kiosk.state()["idle_timeout"] == 240.0
    kiosk.api("/api/pin", {"pin": "9999"})  # a wrong PIN keeps the PIN wait, and its voice
    kiosk.wait_state(lambda s: s["notice"] is not None and s["state"] == "pin_entry")
    kiosk.api("/api/pin", {"pin": "1234"})
    state = kiosk.wait_state("browsing")
    assert (state["session"]["voice"], state["idle_timeout"]) == (True, 240.0)
