"""The patron API's voice guidance: speak, stop, "still here" with voice mode, and the
accessibility facts of GET /api/info.

Handlers validate the body and hand the utterance to the speaker (a put in its one-place
queue); the speaker's thread renders and plays. Mounted by kiosk/patron_api.py, whose
`_command` turns a BadSpeech into 400 `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kiosk.config import KioskConfig
from kiosk.steps import Event

if TYPE_CHECKING:
    from kiosk.controller import Controller


class BadSpeech(Exception):
    """A speech request's body is not valid (the message names the field)."""


async def speak(ctl: "Controller", body: dict) -> dict:
    """POST /api/speech: say `text` in `lang` at the `rate` and `volume` settings (indices)."""
    speech = ctl.config.speech
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > speech.max_chars:
        raise BadSpeech(f"field 'text': must be text of 1 to {speech.max_chars} characters")
    lang = body.get("lang")
    if not isinstance(lang, str) or lang not in speech.voices:
        raise BadSpeech(f"field 'lang': must be one of {', '.join(speech.voices)}")
    rate = _index(body, "rate", len(speech.rates))
    volume = _index(body, "volume", len(speech.volumes))
    return {"id": ctl.speaker.say(text, lang, rate, volume)}


async def stop(ctl: "Controller", body: dict) -> dict:
    """POST /api/speech/stop: stop speaking."""
    ctl.speaker.stop()
    return {}


async def still_here(ctl: "Controller", body: dict) -> Any:
    """POST /api/still-here: more time; `voice` (optional) turns voice mode on or off."""
    payload = {}
    if "voice" in body:
        if not isinstance(body["voice"], bool):
            raise BadSpeech("field 'voice': must be true or false")
        payload["voice"] = body["voice"]
    return await ctl.request(Event.STILL_HERE, payload)


def _index(body: dict, name: str, count: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
        raise BadSpeech(f"field '{name}': must be a whole number 0..{count - 1} (a setting's "
                        "index, GET /api/info)")
    return value


POSTS: dict[str, Callable[["Controller", dict], Awaitable[Any]]] = {
    "/api/speech": speak,
    "/api/speech/stop": stop,
    "/api/still-here": still_here,
}


def accessibility_facts(config: KioskConfig) -> dict:
    """GET /api/info's "accessibility": the reach line, voice mode's time and settings."""
    speech, access = config.speech, config.accessibility
    return {"reach_line": access.reach_line, "voice_idle_factor": access.voice_idle_factor,
            "rates": len(speech.rates), "volumes": len(speech.volumes),
            "default_rate": speech.default_rate, "default_volume": speech.default_volume,
            "speech": speech.output != "off", "max_chars": speech.max_chars}
