"""kiosk.config.load_config: every error names the file, the key and the reason; paths resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config

VALID = """\
[machine]
id = "kiosk-7"
state_dir = "state"

[carousel]
host = "192.168.10.20"

[rfid]
port = "/dev/ttyUSB1"

[barcode]
port = "/dev/ttyACM0"

[card]
reader = "ACS ACR1252"

[library]
base_url = "https://ils.example.org"
credentials_file = "library-token"

[control]
socket = "run/control.sock"
"""

ENDPOINTS = {
    "modbus": {"host": "127.0.0.1", "port": 40123}, "modbus_rtu": {"path": "/dev/pts/5"},
    "rfid": {"path": "/dev/pts/3"}, "barcode": {"path": "/dev/pts/4"},
    "card": {"reader": "Virtual PCD 00 00"}, "world": {"url": "http://127.0.0.1:40125"},
    "library": {"url": "http://127.0.0.1:40127", "sip2_host": "127.0.0.1", "sip2_port": 40129},
}


def write(folder: Path, text: str) -> Path:
    """A config file and its token file in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "library-token").write_text("token\n")
    path = folder / "kiosk.toml"
    path.write_text(text)
    return path


def edit(text: str, section: str, *lines: str, drop: str | None = None) -> str:
    """`text` with `lines` added to [section] (and the line starting with `drop` removed)."""
    out = [l for l in text.splitlines() if drop is None or not l.startswith(drop)]
    at = out.index(f"[{section}]") + 1 if f"[{section}]" in out else len(out)
    if at == len(out):
        out.append(f"[{section}]")
        at += 1
    return "\n".join(out[:at] + list(lines) + out[at:]) + "\n"


def error(path: Path) -> str:
    """The ConfigError message that loading `path` raises."""
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_the_valid_config_loads(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert (config.machine.id, config.library.machine_id) == ("kiosk-7", "kiosk-7")


@pytest.mark.parametrize(("text", "fragments"), [
    (VALID + "\n[printer]\nport = 1\n", ["unknown section", "printer"]),
    ("ui = 8080\n" + VALID, ["ui must be a [section]"]),
    (edit(VALID, "carousel", 'hots = "x"'), ["[carousel]", "unknown key", "hots"]),
    (edit(VALID, "carousel", 'port = "502"'), ["[carousel]", "port must be int, not str"]),
    (edit(VALID, "session", "pin_required = 1"), ["[session]", "pin_required must be bool"]),
    (edit(VALID, "carousel", "port = 70000"), ["[carousel]", "port = 70000 is out of range 1..65535"]),
    (edit(VALID, "session", "idle_timeout = 0.5"), ["[session]", "idle_timeout = 0.5 is out of range"]),
    (edit(VALID, "policy", "max_loans = 0"), ["[policy]", "max_loans = 0 is out of range"]),
    (edit(VALID, "policy", "max_loans = 11"),
     ["[policy]", "max_loans = 11 is out of range 1..10", "planner orders at most 10"]),
    (edit(VALID, "policy", 'monday = "25:00-26:00"'), ["[policy]", "monday", "HH:MM-HH:MM"]),
    (edit(VALID, "policy", 'timezone = "Mars/Olympus"'), ["[policy]", "timezone", "unknown"]),
    (edit(VALID, "ui", 'host = "0.0.0.0"'), ["[ui]", "host", "loopback only"]),
    (edit(VALID, "ui", 'keypad_events_url = "http://keys.example.org:80/events"'),
     ["[ui]", "keypad_events_url", "127.0.0.1, localhost or [::1]"]),
    (edit(VALID, "ui", 'keypad_events_url = "http://127.0.0.1:99999/events"'),
     ["[ui]", "keypad_events_url", "127.0.0.1, localhost or [::1]"]),
    (edit(VALID, "library", 'kind = "z3950"'), ["[library]", "kind", "'http' or 'sip2'"]),
    (edit(VALID, "library", 'kind = "sip2"', drop="base_url"), ["[library]", "host, port", "required"]),
    (edit(VALID, "card", drop="reader"), ["[card]", "reader", "required"]),
    (edit(VALID, "card", "poll_seconds = 1.0", drop="reader"), ["[card]", "reader", "required"]),
    (edit(VALID, "card", 'reder = "ACS"', drop="reader"), ["[card]", "unknown key", "reder"]),
    (edit(VALID, "library", 'kind = ["sip2"]'), ["[library]", "kind", "'http' or 'sip2'"]),
    (VALID.replace("[rfid]\nport = \"/dev/ttyUSB1\"\n", ""), ["[rfid] is missing"]),
    (VALID.replace("[library]", "[libary]"), ["unknown section", "libary"]),
])
def test_errors_name_file_key_and_reason(tmp_path, text, fragments):
    path = write(tmp_path, text)
    message = error(path)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message, message


def test_bad_toml_names_the_line(tmp_path):
    path = write(tmp_path, VALID.replace('id = "kiosk-7"', 'id = "kiosk-7'))
    message = error(path)
    assert message.startswith(f"{path}: not valid TOML") and "line 2" in message, message


def test_an_unreadable_file_is_named(tmp_path):
    message = error(tmp_path / "nowhere.toml")
    assert str(tmp_path / "nowhere.toml") in message and "No such file" in message


def test_missing_credentials_file_is_named(tmp_path):
    path = write(tmp_path, VALID.replace('"library-token"', '"secrets/token"'))
    message = error(path)
    for fragment in ("[library] credentials_file = 'secrets/token'",
                     str(tmp_path / "secrets" / "token"), "No such file"):
        assert fragment in message, message


def test_a_credentials_file_in_the_wrong_form_is_named(tmp_path):
    text = edit(VALID, "library", 'kind = "sip2"', 'host = "ils"', "port = 6001",
                'institution_id = "111001"', drop="base_url")
    path = write(tmp_path, text)  # library-token holds a token, not user:password
    message = error(path)
    assert "[library] credentials_file" in message and "user:password" in message, message


@pytest.mark.parametrize("value", ['"x"', "[1]", "true"])
def test_an_idle_length_that_is_not_a_number_is_named(tmp_path, value):
    """Found by the fuzz campaign: the message was Python's "'<=' not supported between
    instances of 'float' and 'str'"."""
    message = error(write(tmp_path, edit(VALID, "ui.idle", f"pin = {value}")))
    assert "idle.pin" in message and "is not a number" in message, message


@pytest.mark.parametrize("zone", ["Asia", "x" * 300])
def test_a_timezone_that_is_a_folder_or_too_long_is_named(tmp_path, zone):
    """Found by the fuzz campaign: ZoneInfo raised IsADirectoryError (an OSError) for "Asia",
    and it escaped load_config; the SIP2 connector's timezone likewise."""
    path = write(tmp_path, edit(VALID, "policy", f'timezone = "{zone}"'))
    assert "timezone" in error(path) and "unknown" in error(path)
    sip2 = edit(VALID, "library", 'kind = "sip2"', 'host = "ils"', "port = 6001",
                'institution_id = "111001"', f'timezone = "{zone}"', drop="base_url")
    assert "timezone" in error(write(tmp_path / "sip2", sip2))


@pytest.mark.parametrize("broken", [{"modbus": None}, {"rfid": []}, {"library": 5}, [1, 2]])
def test_endpoints_that_are_no_objects_are_named(tmp_path, broken):
    """Found by the fuzz campaign: the message was "lacks 'NoneType' object is not
    subscriptable"."""
    endpoints = {**ENDPOINTS, **broken} if isinstance(broken, dict) else broken
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints))
    message = error(write(tmp_path, edit(VALID, "machine", 'endpoints_file = "endpoints.json"')))
    assert "no simulator's endpoints" in message and "NoneType" not in message, message


def test_an_address_that_is_null_in_the_endpoints_is_named_in_plain_words(tmp_path):
    """Found by the fuzz campaign: the message said "not NoneType"."""
    endpoints = {**ENDPOINTS, "barcode": {"path": None}}
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints))
    message = error(write(tmp_path, edit(VALID, "machine", 'endpoints_file = "endpoints.json"',
                                         drop="port = \"/dev/ttyACM0\"")))
    assert "[barcode] port must be str, not none" in message, message


@pytest.mark.parametrize("encoding", ["rot13", "hex", "utf-16", "utf-32"])
def test_a_sip2_charset_that_does_not_write_ascii_as_ascii_is_refused(tmp_path, encoding):
    """Noticed by the fuzz campaign: codecs.lookup took these, and every request then failed
    to encode (rot13, hex) or could not be framed (utf-16's CR is two bytes)."""
    sip2 = edit(VALID, "library", 'kind = "sip2"', 'host = "ils"', "port = 6001",
                'institution_id = "111001"', f'encoding = "{encoding}"', drop="base_url")
    message = error(write(tmp_path, sip2))
    assert "encoding" in message and ("ASCII" in message or "text encoding" in message), message


def test_a_credentials_file_that_is_not_text_is_named(tmp_path):
    """Found by the fuzz campaign: its UnicodeDecodeError escaped load_config."""
    path = write(tmp_path, VALID)
    (tmp_path / "library-token").write_bytes(b"\xff\xfetoken\n")
    message = error(path)
    assert "[library] credentials_file" in message and "not UTF-8" in message, message


def test_missing_endpoints_file_is_named(tmp_path):
    path = write(tmp_path, edit(VALID, "machine", 'endpoints_file = "sim/endpoints.json"'))
    message = error(path)
    for fragment in ("[machine] endpoints_file = 'sim/endpoints.json'",
                     str(tmp_path / "sim" / "endpoints.json"), "does not exist"):
        assert fragment in message, message


def test_an_endpoints_file_without_a_device_is_named(tmp_path):
    (tmp_path / "endpoints.json").write_text(json.dumps({**ENDPOINTS, "rfid": {}}))
    path = write(tmp_path, edit(VALID, "machine", 'endpoints_file = "endpoints.json"'))
    message = error(path)
    assert "[machine] endpoints_file" in message and "'path'" in message, message


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "etc" / "kiosk"
    write(folder, edit(VALID, "machine", 'endpoints_file = "../sim/endpoints.json"'))
    (tmp_path / "etc" / "sim").mkdir()
    (tmp_path / "etc" / "sim" / "endpoints.json").write_text(json.dumps(ENDPOINTS))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for given in (folder / "kiosk.toml", Path("../etc/kiosk/kiosk.toml")):
        config = load_config(given)
        assert config.machine.state_dir == str(folder / "state")
        assert config.journal_path == folder / "state" / "journal.db"
        assert config.control.socket == str(folder / "run" / "control.sock")
        assert config.library.credentials_file == str(folder / "library-token")
        assert config.machine.endpoints_file == str(tmp_path / "etc" / "sim" / "endpoints.json")


def test_absolute_paths_stay_as_written(tmp_path):
    token = tmp_path / "elsewhere-token"
    token.write_text("token\n")
    text = (VALID.replace('"state"', '"/var/lib/kiosk"')
            .replace('"run/control.sock"', '"/run/kiosk/control.sock"')
            .replace('"library-token"', f'"{token}"'))
    config = load_config(write(tmp_path / "cfg", text))
    assert (config.machine.state_dir, config.control.socket) == \
        ("/var/lib/kiosk", "/run/kiosk/control.sock")
    assert config.library.credentials_file == str(token)


def test_endpoints_fill_addresses_but_the_config_wins(tmp_path):
    (tmp_path / "endpoints.json").write_text(json.dumps(ENDPOINTS))
    text = edit(VALID, "machine", 'endpoints_file = "endpoints.json"').replace(
        'host = "192.168.10.20"', "port = 5020").replace('base_url = "https://ils.example.org"\n', "")
    config = load_config(write(tmp_path, text))
    assert (config.carousel.host, config.carousel.port) == ("127.0.0.1", 5020)
    assert (config.rfid.port, config.card.reader) == ("/dev/ttyUSB1", "ACS ACR1252")
    assert config.library.base_url == "http://127.0.0.1:40127"
    assert config.ui.keypad_events_url == "http://127.0.0.1:40125/keypad/events"  # its keypad


def test_endpoints_give_sip2_its_host_and_port(tmp_path):
    (tmp_path / "endpoints.json").write_text(json.dumps(ENDPOINTS))
    (tmp_path / "login").write_text("kiosk-7:pw\n")
    text = edit(VALID, "machine", 'endpoints_file = "endpoints.json"')
    text = edit(text, "library", 'kind = "sip2"', 'institution_id = "111001"', drop="base_url")
    config = load_config(write(tmp_path, text.replace('"library-token"', '"login"')))
    assert (config.library.host, config.library.port) == ("127.0.0.1", 40129)


@pytest.mark.parametrize(("section", "line", "drop"), [
    ("library", 'credentials_file = "library-\\u0000token"', "credentials_file"),
    ("machine", 'state_dir = "st\\u0000ate"', "state_dir"),
    ("machine", 'endpoints_file = "end\\u0000points.json"', None),
])
def test_a_nul_character_in_any_text_is_named(tmp_path, section, line, drop):
    """Found by the fuzz campaign at 100,000 inputs: a credentials file path with a NUL
    (TOML's "\\u0000") raised Python's ValueError "embedded null byte" out of load_config."""
    message = error(write(tmp_path, edit(VALID, section, line, drop=drop)))
    key = line.split(" =")[0]
    assert f"[{section}] {key}: a NUL character is not allowed" in message, message
