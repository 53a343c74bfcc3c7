"""The config of voice guidance ([speech]) and of the accessible layouts ([accessibility])."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from drivers.config import require_range
from drivers.errors import DriverConfigError

SPEECH_OUTPUTS = ("alsa", "files", "off")
SPEECH_LANGUAGES = ("ko", "en")  # the touchscreen's languages: each needs a voice
DEFAULT_VOICES = {"ko": "ko", "en": "en-gb"}
VOICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+/.-]{0,63}$")  # ko, en-gb, gmw/en-US, en+f3
MAX_SPEECH_CHARS = 1000  # the patron API's longest text field
MAX_STEPS = 10  # settings the Rate or Volume key cycles through


@dataclass(frozen=True)
class SpeechConfig:
    """Voice guidance: espeak-ng played on the earphone output (ALSA), written to files, or off."""

    output: str = "alsa"  # "alsa", "files" (a WAV and a JSON per utterance) or "off"
    alsa_device: str = "default"  # aplay -D: the earphone jack's ALSA device
    files_dir: str | None = None  # where output = "files" writes; required then
    engine: str = "espeak-ng"  # the program that renders speech
    voices: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_VOICES))
    rates: list[int] = field(default_factory=lambda: [130, 170, 220])  # words per minute
    volumes: list[int] = field(default_factory=lambda: [60, 110, 170])  # espeak amplitudes
    default_rate: int = 1  # index into rates
    default_volume: int = 1  # index into volumes
    max_chars: int = 600  # the longest text one request may speak

    def __post_init__(self) -> None:
        if self.output not in SPEECH_OUTPUTS:
            raise DriverConfigError(f"output = {self.output!r}: must be one of {SPEECH_OUTPUTS}")
        if self.output == "files" and not self.files_dir:
            raise DriverConfigError('files_dir: required when output = "files"')
        for name in ("alsa_device", "engine"):
            value = getattr(self, name)
            if not value or not value.isprintable():
                raise DriverConfigError(f"{name} = {value!r}: must be a non-empty name")
        object.__setattr__(self, "voices", _voices(self.voices))
        _steps("rates", self.rates, 80, 450)
        _steps("volumes", self.volumes, 10, 200)
        require_range("default_rate", self.default_rate, 0, len(self.rates) - 1)
        require_range("default_volume", self.default_volume, 0, len(self.volumes) - 1)
        require_range("max_chars", self.max_chars, 1, MAX_SPEECH_CHARS)


def _voices(given: dict) -> dict[str, str]:
    """The configured voices over the defaults; only the screen's languages, by voice name."""
    unknown = sorted(set(given) - set(SPEECH_LANGUAGES))
    if unknown:
        raise DriverConfigError(f"voices: unknown language {unknown[0]!r} "
                                f"(languages: {', '.join(SPEECH_LANGUAGES)})")
    for lang, voice in given.items():
        if not isinstance(voice, str) or not VOICE_NAME.match(voice):
            raise DriverConfigError(f"voices.{lang} = {voice!r}: must be an espeak-ng voice "
                                    "name (espeak-ng --voices lists them)")
    return {**DEFAULT_VOICES, **given}


def _steps(name: str, values: list, low: int, high: int) -> None:
    """A non-empty list of whole numbers in low..high (what a key cycles through)."""
    if not 1 <= len(values) <= MAX_STEPS:
        raise DriverConfigError(f"{name}: must list 1 to {MAX_STEPS} values")
    for number, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int):
            raise DriverConfigError(f"{name}[{number}] = {value!r}: must be a whole number")
        require_range(f"{name}[{number}]", value, low, high)


@dataclass(frozen=True)
class AccessibilityConfig:
    """How the touchscreen is mounted (for the low-reach layout) and voice mode's extra time."""

    screen_bottom_cm: float = 75.0  # the screen's lower visible edge above the floor
    screen_top_cm: float = 170.0  # its upper visible edge
    reach_cm: float = 120.0  # the highest a wheelchair user reaches (Korean kiosk guideline)
    voice_idle_factor: float = 2.0  # screens and the idle backstop wait this many times longer

    def __post_init__(self) -> None:
        for name in ("screen_bottom_cm", "screen_top_cm", "reach_cm"):
            require_range(name, getattr(self, name), 0.0, 300.0)
        require_range("voice_idle_factor", self.voice_idle_factor, 1.0, 5.0)
        if not self.screen_bottom_cm < self.reach_cm < self.screen_top_cm:
            raise DriverConfigError(
                f"reach_cm = {self.reach_cm:g} must lie between screen_bottom_cm = "
                f"{self.screen_bottom_cm:g} and screen_top_cm = {self.screen_top_cm:g}: the "
                "low-reach layout puts every control between the screen's lower edge and "
                "the reach line")

    @property
    def reach_line(self) -> float:
        """The fraction of the screen's height, from its top, above which a wheelchair user
        cannot reach."""
        return round((self.screen_top_cm - self.reach_cm)
                     / (self.screen_top_cm - self.screen_bottom_cm), 4)
