"""The technician PIN's stored form, the config that holds it, the wrong-PIN guard, the log's
argument summary (pure units)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import technician_pin
from kiosk.access import MAX_LOCKOUT, PinGuard, summarise
from kiosk.config import ConfigError, load_config
from test_config_errors import VALID, edit, write

ROOT = Path(__file__).resolve().parent.parent


def test_a_hash_round_trips_and_knows_only_its_pin():
    stored = technician_pin.hash_pin("135790")
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(technician_pin.N), str(technician_pin.R),
                                 str(technician_pin.P))
    parsed = technician_pin.parse(stored)
    assert str(parsed) == stored
    assert parsed.matches("135790")
    assert not parsed.matches("135791") and not parsed.matches("")


def test_the_same_pin_gets_a_new_salt_each_time():
    first, second = technician_pin.hash_pin("246810"), technician_pin.hash_pin("246810")
    assert first != second
    assert technician_pin.parse(first).matches("246810")
    assert technician_pin.parse(second).matches("246810")


def test_stored_parameters_are_used_not_the_defaults():
    salt = b"s" * 16
    digest = technician_pin._derive("135790", salt, 2**10, 4, 2)
    stored = f"scrypt$1024$4$2${technician_pin._b64(salt)}${technician_pin._b64(digest)}"
    assert technician_pin.parse(stored).matches("135790")


@pytest.mark.parametrize("stored", [
    "135790", "pbkdf2$1$2$3$AAAA$AAAA", "scrypt$16384$8$1$salt",
    "scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "scrypt$16384$8$1$not base64!$AAAA",
    "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "scrypt$1048576$32$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "scrypt$16384$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
])
def test_a_malformed_stored_hash_is_named(stored):
    with pytest.raises(technician_pin.PinHashError):
        technician_pin.parse(stored)


@pytest.mark.parametrize("pin", ["12345", " 123456", "123456 ", "12\t3456", "x" * 129])
def test_a_pin_that_may_not_be_chosen_is_refused(pin):
    with pytest.raises(technician_pin.PinRefused):
        technician_pin.hash_pin(pin)


def _config(tmp_path: Path, control: str) -> Path:
    """A valid config (tests/test_config_errors.py's) with `control` lines in [control]."""
    return write(tmp_path, edit(VALID, "control", *control.splitlines()))


def test_a_config_with_a_malformed_hash_is_refused_at_start(tmp_path):
    path = _config(tmp_path, 'technician_pin_hash = "scrypt$16384$8$1$oops"')
    with pytest.raises(ConfigError, match=r"\[control\] technician_pin_hash: not of the form"):
        load_config(path)
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(path), "run"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "technician_pin_hash" in done.stderr, done.stderr


def test_a_config_takes_a_good_hash_and_the_guard_settings(tmp_path):
    stored = technician_pin.hash_pin("135790")
    config = load_config(_config(tmp_path, f'technician_pin_hash = "{stored}"\npin_tries = 5\n'
                                 'pin_lockout = 60.0\ngroup = "staff"'))
    assert (config.control.technician_pin_hash, config.control.pin_tries,
            config.control.pin_lockout, config.control.group) == (stored, 5, 60.0, "staff")
    assert load_config(_config(tmp_path, "")).control.technician_pin_hash == ""  # none: refused
    with pytest.raises(ConfigError, match="pin_tries = 0"):
        load_config(_config(tmp_path, "pin_tries = 0"))


def test_pin_hash_prints_a_hash_of_the_pin_on_stdin_without_a_controller(tmp_path):
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "--config",
                           str(tmp_path / "absent.toml"), "pin-hash"], input="246810\n",
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert technician_pin.parse(done.stdout.strip()).matches("246810")
    short = subprocess.run([sys.executable, "-m", "kiosk.cli", "pin-hash"], input="12\n",
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert short.returncode == 2 and "6..128" in short.stderr and short.stdout == ""


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_pins_earn_a_growing_lock_out_per_user():
    clock = Clock()
    guard = PinGuard(tries=3, lockout=30.0, clock=clock)
    assert [guard.wrong(0), guard.wrong(0)] == [0.0, 0.0]
    assert guard.tries_left(0) == 1 and guard.locked_for(0) == 0.0
    assert guard.wrong(0) == 30.0 and guard.locked_for(0) == 30.0
    assert guard.locked_for(1000) == 0.0  # another user is not locked out
    clock.now += 30.0
    assert guard.locked_for(0) == 0.0
    assert guard.wrong(0) == 60.0  # each further wrong PIN doubles it
    clock.now += 60.0
    assert guard.wrong(0) == 120.0
    for _ in range(20):
        last = guard.wrong(0)
    assert last == MAX_LOCKOUT


def test_a_right_pin_starts_the_count_again():
    guard = PinGuard(tries=2, lockout=30.0, clock=Clock())
    guard.wrong(0)
    guard.right(0)
    assert guard.tries_left(0) == 2 and guard.wrong(0) == 0.0


def test_the_log_keeps_no_pin_and_counts_a_loading_list():
    rows = [{"item_id": f"B{n}", "uid": "E0040150000000%02X" % n} for n in range(120)]
    assert summarise({"items": rows, "pin": "135790", "technician_pin": "x", "on": True}) == \
        {"items": "[120 rows]", "on": True}
    assert summarise({"items": ["B1", "B2"], "note": "x" * 300}) == \
        {"items": ["B1", "B2"], "note": "x" * 200 + "…"}
    assert summarise({"items": [f"B{n}" for n in range(21)]}) == {"items": "[21 rows]"}
