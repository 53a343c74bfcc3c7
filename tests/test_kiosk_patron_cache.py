"""The patron cache keeps keyed hashes and member numbers only, in private files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk import app
from kiosk.machine_key import KEY_FILE, KeyFileError, MachineKey, load_or_create
from kiosk.patron_cache import PatronCache
from kiosk.private_files import create_private, private_dir, write_private
from kiosk.session import PatronCache as FromSession

UID, MEMBER, NAME = "04A1B2C3D4E5F6", "T0000042", "Kim Minji"


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """Every test runs with a umask that would leave files world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_cache_remembers_without_the_credential_or_the_name(tmp_path):
    state = tmp_path / "state"
    cache = PatronCache(state / "patron-cache.json")
    cache.remember(UID, MEMBER, NAME, pin_required=True)
    text = (state / "patron-cache.json").read_text()
    assert UID not in text and NAME not in text and "Kim" not in text
    assert MEMBER in text  # offline lending needs the member number
    assert cache.lookup(UID) == (MEMBER, "", True)
    assert PatronCache(state / "patron-cache.json").lookup(UID) == (MEMBER, "", True)
    assert cache.lookup("04FFFFFFFFFFFF") is None


def test_cache_key_and_directory_are_private(tmp_path):
    state = tmp_path / "state"
    PatronCache(state / "patron-cache.json").remember(UID, MEMBER, NAME, False)
    assert (mode(state), mode(state / "patron-cache.json"), mode(state / KEY_FILE)) == \
        (0o700, 0o600, 0o600)
    assert sorted(p.name for p in state.iterdir()) == ["patron-cache.json", KEY_FILE]  # no tmp


def test_entries_are_keyed_by_hmac_of_the_machine_key(tmp_path):
    state = tmp_path / "state"
    PatronCache(state / "patron-cache.json").remember(UID, MEMBER, NAME, False)
    data = json.loads((state / "patron-cache.json").read_text())
    key = MachineKey(state / KEY_FILE)
    assert data["format"] == 2
    assert list(data["entries"]) == [key.credential_hash(UID)]
    other = tmp_path / "other"  # another machine's key: the same card hashes differently
    assert MachineKey(other / KEY_FILE).credential_hash(UID) != key.credential_hash(UID)


def test_an_old_plain_text_cache_is_migrated_not_kept(tmp_path):
    state = private_dir(tmp_path / "state")
    old = {UID: {"member": MEMBER, "name": NAME, "pin": False},
           "T0000007": {"member": "T0000007", "name": "Park Jisoo", "pin": True}}
    (state / "patron-cache.json").write_text(json.dumps(old))
    os.chmod(state / "patron-cache.json", 0o644)
    cache = PatronCache(state / "patron-cache.json")
    text = (state / "patron-cache.json").read_text()
    assert UID not in text and NAME not in text and "Park" not in text
    assert mode(state / "patron-cache.json") == 0o600
    assert cache.lookup(UID) == (MEMBER, "", False)
    assert cache.lookup("T0000007") == ("T0000007", "", True)


def test_an_unreadable_cache_starts_empty(tmp_path):
    path = private_dir(tmp_path / "s") / "patron-cache.json"
    path.write_text("{not json")
    assert PatronCache(path).lookup(UID) is None


def test_session_still_exports_the_cache():
    assert FromSession is PatronCache


def test_the_key_is_created_once_and_kept(tmp_path):
    path = tmp_path / "state" / KEY_FILE
    first = load_or_create(path)
    assert len(first) == 32 and load_or_create(path) == first
    assert not create_private(path, b"x" * 32)  # never replaced


def test_a_damaged_key_file_is_refused(tmp_path):
    path = private_dir(tmp_path / "state") / KEY_FILE
    path.write_bytes(b"short")
    with pytest.raises(KeyFileError):
        load_or_create(path)


def test_private_files_whatever_the_umask(tmp_path):
    directory = private_dir(tmp_path / "a" / "b")
    written = write_private(directory / "f.json", "{}")
    assert (mode(directory), mode(written), written.read_text()) == (0o700, 0o600, "{}")
    written.chmod(0o666)
    write_private(written, "{}")
    assert mode(written) == 0o600


def test_the_endpoints_file_is_private(tmp_path):
    config = SimpleNamespace(machine=SimpleNamespace(state_dir=str(tmp_path / "state")),
                             control=SimpleNamespace(socket=str(tmp_path / "run" / "control.sock")))
    app._write_endpoints(config, "http://127.0.0.1:8080")
    path = tmp_path / "state" / "kiosk.json"
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    assert json.loads(path.read_text())["ui"]["url"] == "http://127.0.0.1:8080"
