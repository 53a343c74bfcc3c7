"""kiosk.speech: the real espeak-ng renders, files are numbered, the newest request interrupts,
a missing engine is reported, never raised; [speech] and [accessibility] are checked at start.

Interruption is tested on a real aplay whose ALSA device is the file plugin writing into a
FIFO: aplay blocks until the test reads, so "still playing" is a state, not a moment."""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
from pathlib import Path

import pytest

from conftest import wait_for
from kiosk.config import ConfigError, load_config
from kiosk.speech import Speaker
from kiosk.speech_config import AccessibilityConfig, SpeechConfig
from test_config_errors import VALID, edit, write

LONG = ("This sentence goes on for a long while so that it is still being played when the "
        "next request arrives. ") * 6


@pytest.fixture
def speakers():
    """Speakers started by a test, closed after it."""
    started: list[Speaker] = []

    def start(**options) -> Speaker:
        speaker = Speaker(SpeechConfig(**options))
        speaker.start()
        started.append(speaker)
        return speaker
    yield start
    for speaker in started:
        speaker.close()


def wav_data(path: Path) -> bytes:
    """The data chunk of a whole WAV, checking the RIFF header's sizes."""
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    assert struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    at = raw.index(b"data")
    size = struct.unpack_from("<I", raw, at + 4)[0]
    assert size == len(raw) - at - 8
    return raw[at + 8:]


def test_files_are_whole_wavs_numbered_in_order_with_their_text(speakers, tmp_path):
    folder = tmp_path / "speech"
    folder.mkdir()
    (folder / "000007.json").write_text("{}")  # left by an earlier run: numbering goes on
    speaker = speakers(output="files", files_dir=str(folder))
    speaker.say("카드를 대 주세요", "ko", 1, 1)
    wait_for(lambda: (folder / "000008.json").exists(), message="the Korean utterance")
    speaker.say("Please take your book.", "en", 0, 2)
    wait_for(lambda: (folder / "000009.json").exists(), message="the English utterance")
    korean = json.loads((folder / "000008.json").read_text(encoding="utf-8"))
    english = json.loads((folder / "000009.json").read_text(encoding="utf-8"))
    assert korean == {"id": 1, "text": "카드를 대 주세요", "lang": "ko", "voice": "ko",
                      "wpm": 170, "amplitude": 110}
    assert english == {"id": 2, "text": "Please take your book.", "lang": "en",
                       "voice": "en-gb", "wpm": 130, "amplitude": 170}
    for stem in ("000008", "000009"):
        assert any(wav_data(folder / f"{stem}.wav")), f"{stem}.wav is silent"
    assert speaker.status()["said"] == 2 and speaker.status()["ok"]


def test_text_is_one_argument_never_an_option(speakers, tmp_path):
    speaker = speakers(output="files", files_dir=str(tmp_path / "out"))
    speaker.say(f"-w {tmp_path / 'elsewhere.wav'} --help", "en", 1, 1)
    wait_for(lambda: (tmp_path / "out" / "000001.json").exists(), message="the utterance")
    assert any(wav_data(tmp_path / "out" / "000001.wav"))
    assert not (tmp_path / "elsewhere.wav").exists()


@pytest.fixture
def earphone(tmp_path):
    """An ALSA device (the file plugin) that writes into a FIFO; read() takes what was played."""
    fifo = tmp_path / "earphone"
    os.mkfifo(fifo)

    class Earphone:
        device = f"file:'{fifo}',raw"

        def read(self) -> bytes:
            """Everything one aplay plays, once it closes the device."""
            got: list[bytes] = []
            reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
            reader.start()
            reader.join(30)
            assert got, "nothing was played"
            return got[0]

        def read_until(self, done) -> bytes:
            """Everything played, by one aplay or the next, until `done()` holds (a later aplay
            opens the FIFO after the first one's reader has finished)."""
            got: list[bytes] = []

            def drain() -> None:
                while not done():
                    got.append(fifo.read_bytes())
            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
            wait_for(done, 30, message="the speaker to finish")
            try:  # a reader waiting for the next writer: let it see the end
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            reader.join(5)
            return b"".join(got)
    yield Earphone()
    try:  # free a reader or an aplay still blocked on the FIFO
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        pass


def test_a_new_request_cuts_the_utterance_playing_and_drops_the_waiting_one(speakers, earphone,
                                                                          tmp_path):
    speaker = speakers(output="alsa", alsa_device=earphone.device)
    first = speaker.say(LONG, "en", 0, 1)
    wait_for(lambda: speaker.status()["speaking"] == {"id": first, "step": "playing"},
             message="the long one playing")
    speaker.say("Second.", "en", 1, 1)  # dropped or cut: the third comes at once
    speaker.say("Third.", "en", 1, 1)
    played = earphone.read_until(lambda: speaker.status()["said"] == 1)  # the third one spoken
    status = speaker.status()
    assert (status["interrupted"], status["failed"], status["ok"]) == (2, 0, True)
    short = _render_length(tmp_path, "Third.")
    assert short <= len(played) < _render_length(tmp_path, LONG, wpm=130) // 2


def test_stop_cuts_the_utterance_playing(speakers, earphone):
    speaker = speakers(output="alsa", alsa_device=earphone.device)
    first = speaker.say(LONG, "en", 1, 1)
    wait_for(lambda: speaker.status()["speaking"] == {"id": first, "step": "playing"},
             message="the utterance playing")
    speaker.stop()
    wait_for(lambda: speaker.status()["interrupted"] == 1, message="the cut")
    assert speaker.status()["said"] == 0 and speaker.status()["speaking"] is None


def _render_length(folder: Path, text: str, wpm: int = 170) -> int:
    """Bytes of audio espeak-ng makes of `text` (the files speaker, at wpm)."""
    out = folder / f"render-{wpm}-{len(text)}"
    speaker = Speaker(SpeechConfig(output="files", files_dir=str(out), rates=[wpm],
                                   default_rate=0))
    speaker.start()
    try:
        speaker.say(text, "en", 0, 0)
        wait_for(lambda: (out / "000001.json").exists(), message="a reference render")
        return len(wav_data(out / "000001.wav"))
    finally:
        speaker.close()


def test_a_missing_engine_is_reported_and_logged_once_not_raised(speakers, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="kiosk.speech")
    speaker = speakers(output="files", files_dir=str(tmp_path / "out"),
                       engine=str(tmp_path / "no-espeak-ng"))
    wait_for(lambda: not speaker.status()["ok"], message="the start's check to fail")
    speaker.say("Hello", "en", 1, 1)
    speaker.say("Hello again", "en", 1, 1)
    wait_for(lambda: speaker.status()["failed"] + speaker.status()["interrupted"] == 2,
             message="both utterances to be handled")
    status = speaker.status()
    assert "no-espeak-ng: cannot run" in status["problem"] and status["since"]
    errors = [r for r in caplog.records if "cannot run" in r.getMessage()]
    assert len(errors) == 1  # at most once a minute for the same error
    assert not (tmp_path / "out").exists()


def test_output_off_only_counts(speakers):
    speaker = speakers(output="off", engine="/nonexistent/espeak-ng")
    speaker.say("Hello", "en", 0, 0)
    wait_for(lambda: speaker.status()["said"] == 1, message="the count")
    assert speaker.status()["ok"]


def test_say_refuses_a_language_or_setting_out_of_range():
    speaker = Speaker(SpeechConfig(output="off"))
    for args in (("x", "fr", 0, 0), ("x", "en", 3, 0), ("x", "en", 0, -1)):
        with pytest.raises(ValueError):
            speaker.say(*args)


def test_reach_line_is_the_unreachable_fraction_from_the_top():
    assert AccessibilityConfig().reach_line == round(50 / 95, 4)
    assert AccessibilityConfig(screen_bottom_cm=60, screen_top_cm=160,
                               reach_cm=110).reach_line == 0.5


BAD = [
    (("accessibility", "screen_bottom_cm = 120"), "reach_cm = 120 must lie between"),
    (("accessibility", "reach_cm = 180"), "reach_cm = 180 must lie between"),
    (("accessibility", "voice_idle_factor = 6.0"), "voice_idle_factor = 6.0 is out of range"),
    (("accessibility", "reach = 100"), "[accessibility] unknown key(s): reach"),
    (("speech", "rates = [130, 500]"), "rates[1] = 500 is out of range 80..450"),
    (("speech", "rates = []"), "rates: must list 1 to 10 values"),
    (("speech", "volumes = [5]"), "volumes[0] = 5 is out of range 10..200"),
    (("speech", 'output = "files"'), 'files_dir: required when output = "files"'),
    (("speech", 'output = "speaker"'), "output = 'speaker': must be one of"),
    (("speech", "default_rate = 3"), "default_rate = 3 is out of range 0..2"),
    (("speech", 'voices = { fr = "fr" }'), "voices: unknown language 'fr'"),
    (("speech", 'voices = { en = "en gb" }'), "voices.en = 'en gb': must be an espeak-ng voice"),
    (("speech", "max_chars = 5000"), "max_chars = 5000 is out of range"),
    (("speech", "volume = 3"), "[speech] unknown key(s): volume"),
]


@pytest.mark.parametrize(("line", "expected"), BAD, ids=[b[0][1] for b in BAD])
def test_bad_speech_and_accessibility_settings_are_config_errors(tmp_path, line, expected):
    path = write(tmp_path, edit(VALID, *line))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_files_dir_is_relative_to_the_config_and_voices_keep_their_defaults(tmp_path):
    config = load_config(write(tmp_path, edit(VALID, "speech", 'output = "files"',
                                              'files_dir = "spoken"',
                                              'voices = { en = "en-us" }')))
    assert config.speech.files_dir == str(tmp_path / "spoken")
    assert config.speech.voices == {"ko": "ko", "en": "en-us"}
    assert load_config(write(tmp_path, VALID)).speech.output == "alsa"
