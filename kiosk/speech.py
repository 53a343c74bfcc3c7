"""Voice guidance: the touchscreen's words spoken by espeak-ng on the earphone output.

One worker thread speaks; `say` and `stop` (called on the controller's loop) only put an
utterance in a one-place queue and signal the process at work, so a request never waits for
audio. A newer `say` (or `stop`) interrupts: a waiting utterance is dropped, a render or a
playback in progress is killed at once. With output "files" an utterance is written only
once rendered, so an interrupted one leaves no file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.journal import utc_now
from kiosk.speech_config import SpeechConfig
from kiosk.speech_files import SpeechError, numbered_after, playing_seconds, whole_wav

log = logging.getLogger(__name__)
RENDER_TIMEOUT = 30.0  # seconds espeak-ng may take for one utterance
PLAY_GRACE = 15.0  # seconds beyond its length that a playback may take
LOG_EVERY = 60.0  # the same error is logged at most once a minute
STOP_TIMEOUT = 5.0
CHECK_TEXT = "a"  # rendered with each voice at start


@dataclass(frozen=True)
class Utterance:
    """One request to speak, as the engine gets it."""

    id: int
    text: str
    lang: str
    voice: str
    wpm: int
    amplitude: int


class SpeechHealth:
    """Whether speech works, and its errors logged at most once a minute each (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ok, self.problem, self.since = True, None, None
        self._logged: dict[str, float] = {}  # error -> when last logged (monotonic)

    def failed(self, problem: str) -> None:
        """Note an error: the technician sees it; the journal gets it once a minute."""
        now = time.monotonic()
        with self._lock:
            if self.ok or self.problem != problem:
                self.ok, self.problem, self.since = False, problem, utc_now().isoformat()
            self._logged = {k: t for k, t in self._logged.items() if now - t < LOG_EVERY}
            quiet = problem in self._logged
            if not quiet:
                self._logged[problem] = now
        if not quiet:
            log.error("speech: %s", problem)

    def worked(self) -> None:
        """An utterance was spoken: speech works (again)."""
        with self._lock:
            was_failing, self.ok = not self.ok, True
            if was_failing:
                self.problem, self.since = None, utc_now().isoformat()
        if was_failing:
            log.info("speech works again")

    def public(self) -> dict:
        """ok, problem, since (the readers' shape in `kiosk status`)."""
        with self._lock:
            return {"ok": self.ok, "problem": self.problem, "since": self.since}


class Speaker:
    """Speaks one utterance at a time in its own thread; the newest request always wins."""

    def __init__(self, config: SpeechConfig) -> None:
        self.config = config
        self.health = SpeechHealth()
        self.counts = {"said": 0, "interrupted": 0, "failed": 0}
        self._cond = threading.Condition()
        self._pending: Utterance | None = None
        self._cutoff = 0  # utterances with this id or lower are superseded
        self._last_id = 0
        self._process: subprocess.Popen | None = None  # the render or playback at work
        self._speaking: dict | None = None  # the utterance at work: id, step
        self._closing = False
        self._thread: threading.Thread | None = None
        self._next_file: int | None = None  # the last file's number (output "files")

    # -- the loop's side ----------------------------------------------------------
    def start(self) -> None:
        """Start the worker; it checks the engine and voices first (errors: unhealthy)."""
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    def say(self, text: str, lang: str, rate: int, volume: int) -> int:
        """Speak `text` now, interrupting anything spoken or waiting; the utterance's id.
        `rate` and `volume` index the config's lists (ValueError when out of range)."""
        config = self.config
        if lang not in config.voices:
            raise ValueError(f"no voice for language {lang!r}")
        if not (0 <= rate < len(config.rates) and 0 <= volume < len(config.volumes)):
            raise ValueError("rate or volume out of range")
        with self._cond:
            self._last_id += 1
            utterance = Utterance(self._last_id, text, lang, config.voices[lang],
                                  config.rates[rate], config.volumes[volume])
            self._supersede(utterance.id - 1)
            self._pending = utterance
            self._cond.notify()
        return utterance.id

    def stop(self) -> None:
        """Stop speaking: anything spoken or waiting is interrupted."""
        with self._cond:
            self._supersede(self._last_id)

    def close(self) -> None:
        """Stop speaking and end the worker."""
        with self._cond:
            self._supersede(self._last_id)
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)

    def status(self) -> dict:
        """Health, counts and the utterance at work (rendered or played), for /health."""
        with self._cond:
            counts, speaking = dict(self.counts), self._speaking and dict(self._speaking)
        return {"output": self.config.output, **self.health.public(), **counts,
                "speaking": speaking}

    def _supersede(self, cutoff: int) -> None:
        """Drop the waiting utterance and kill the work in progress (holding the lock)."""
        self._cutoff = cutoff
        if self._pending is not None:
            self._pending = None
            self.counts["interrupted"] += 1
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    # -- the worker's side -----------------------------------------------------------
    def _run(self) -> None:
        try:
            self._check()
        except Exception:  # a bug: speech stays silent, the machine still lends books
            log.exception("speech check failed")
        while (utterance := self._next()) is not None:
            try:
                self._speak(utterance)
            except SpeechError as exc:
                self._count("failed")
                self.health.failed(str(exc))
            except Exception:
                self._count("failed")
                log.exception("speaking utterance %d failed", utterance.id)

    def _next(self) -> Utterance | None:
        with self._cond:
            while self._pending is None and not self._closing:
                self._cond.wait()
            utterance, self._pending = self._pending, None
            return None if self._closing else utterance

    def _check(self) -> None:
        """The engine renders each voice; aplay exists (the ALSA device is tried by the first
        utterance: a probe would block on a device that is busy)."""
        config = self.config
        if config.output == "off":
            return
        try:
            for lang, voice in config.voices.items():
                self._render(Utterance(0, CHECK_TEXT, lang, voice, config.rates[0],
                                       config.volumes[0]))
            if config.output == "alsa" and shutil.which("aplay") is None:
                raise SpeechError("aplay not found: install alsa-utils (voice guidance is "
                                  "silent)")
        except SpeechError as exc:
            self.health.failed(str(exc))

    def _speak(self, utterance: Utterance) -> None:
        if self.config.output == "off":
            self._count("said")
            return
        wav = self._render(utterance)
        if wav is None or self._superseded(utterance):
            self._count("interrupted")
            return
        if self.config.output == "files":
            self._write(utterance, wav)
        elif not self._play(utterance, wav):
            self._count("interrupted")
            return
        self._count("said")
        self.health.worked()

    def _render(self, utterance: Utterance) -> bytes | None:
        """The utterance as a WAV; None if it was interrupted meanwhile."""
        engine = self.config.engine
        command = [engine, "-b", "1", "-v", utterance.voice, "-s", str(utterance.wpm),
                   "-a", str(utterance.amplitude), "--stdout", "--", utterance.text]
        wav, err, code = self._run_process(command, None, RENDER_TIMEOUT, utterance)
        if code is None:
            return None
        if code != 0 or not wav:
            raise SpeechError(f"{engine} -v {utterance.voice} failed (exit {code}): "
                              f"{_last_line(err) or 'no audio'}")
        return whole_wav(wav, engine)

    def _play(self, utterance: Utterance, wav: bytes) -> bool:
        """Play on the ALSA device; False if interrupted."""
        device = self.config.alsa_device
        timeout = playing_seconds(wav) + PLAY_GRACE
        _, err, code = self._run_process(["aplay", "-q", "-D", device, "-"], wav, timeout,
                                         utterance)
        if code is None:
            return False
        if code != 0:
            raise SpeechError(f"aplay -D {device} failed (exit {code}): {_last_line(err)}")
        return True

    def _run_process(self, command: list[str], data: bytes | None, timeout: float,
                     utterance: Utterance) -> tuple[bytes, bytes, int | None]:
        """Run a command as the work in progress; its exit code is None if interrupted. The
        start's check (id 0) is not interrupted."""
        if utterance.id and self._superseded(utterance):
            return b"", b"", None
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE if data else
                                       subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        except OSError as exc:
            raise SpeechError(f"{command[0]}: cannot run: {exc.strerror}"
                              f"{_install_hint(command[0])}") from None
        with self._cond:  # a say() from now on kills it; one since the check above: at once
            if utterance.id:
                step = "playing" if data else "rendering"
                self._process, self._speaking = process, {"id": utterance.id, "step": step}
                if utterance.id <= self._cutoff:
                    process.kill()
        try:
            out, err = process.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise SpeechError(f"{command[0]} took more than {timeout:.0f} s") from None
        finally:
            with self._cond:
                self._process, self._speaking = None, None
        if utterance.id and self._superseded(utterance):
            return out, err, None
        return out, err, process.returncode

    def _write(self, utterance: Utterance, wav: bytes) -> None:
        """NNNNNN.wav, then NNNNNN.json (its presence means the pair is complete)."""
        folder = Path(self.config.files_dir)
        if self._next_file is None:
            self._next_file = numbered_after(folder)
        self._next_file += 1
        stem = folder / f"{self._next_file:06d}"
        record = asdict(utterance)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(stem.with_suffix(".wav"), wav)
            _write_atomically(stem.with_suffix(".json"),
                              json.dumps(record, ensure_ascii=False).encode())
        except OSError as exc:
            raise SpeechError(f"cannot write {stem}.wav: {exc.strerror}") from None

    def _superseded(self, utterance: Utterance) -> bool:
        with self._cond:
            return utterance.id <= self._cutoff

    def _count(self, what: str) -> None:
        with self._cond:
            self.counts[what] += 1


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _last_line(err: bytes) -> str:
    lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    return re.sub(r"\s+", " ", lines[-1]).strip()[:200] if lines else ""


def _install_hint(program: str) -> str:
    package = {"aplay": "alsa-utils", "espeak-ng": "espeak-ng"}.get(Path(program).name)
    return f" (install {package}; voice guidance is silent)" if package else ""
