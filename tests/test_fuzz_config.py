"""Fuzz campaign, config files: kiosk.config.load_config on the example and demo configs with
lines uncommented, dropped, repeated, retyped or added, their credentials and endpoints files
odd too, and on random text: a KioskConfig or a ConfigError naming the file, nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from kiosk.config import ConfigError, KioskConfig, load_config
from tests.fuzzing import EDIT, Tally, edited, fuzz, json_values, mutated, sizes, texts

ROOT = Path(__file__).resolve().parent.parent
KEY_LINE = re.compile(r"^#?(\[[a-z_.]+\]|[A-Za-z_\"][^=]*=.*)$")


def config_lines(text: str) -> list[str]:
    """The sections and keys of a config (commented ones too), without the prose."""
    lines = []
    for line in text.splitlines():
        if KEY_LINE.match(line) and not line.startswith("# "):
            lines.append(re.sub(r"\s+#\s.*$", "", line))
    return lines


SIP2_REQUIRED = ("[library]", "kind", "host", "port", "institution_id", "credentials_file")


def sip2_variant(lines: list[str]) -> list[str]:
    """The example with its [library] over SIP2 (the commented section) instead of HTTP."""
    start, sip2, end = lines.index("[library]"), lines.index("#[library]"), lines.index("[policy]")
    sip2_block = [line.removeprefix("#") if line[1:].startswith(SIP2_REQUIRED) else line
                  for line in lines[sip2:end]]
    return lines[:start] + sip2_block + lines[end:]


EXAMPLE = config_lines((ROOT / "config" / "machine.example.toml").read_text())
DEMO = [line.replace("../.state/sim/endpoints.json", "endpoints.json").replace(
    "demo-credentials/", "") for line in config_lines((ROOT / "config" / "demo.toml").read_text())]
BASES = (EXAMPLE, sip2_variant(EXAMPLE), DEMO)
KEYS = sorted({line.lstrip("#").split("=")[0].strip() for base in BASES for line in base
               if "=" in line} | {"unknown_key", "Machine", "id.sub", '"quoted"', "ü", "kind"})
SECTIONS = sorted({line.lstrip("#") for line in EXAMPLE if line.lstrip("#").startswith("[")}
                  | {"[unknown]", "[[library]]", "[machine.sub]", "[policy.holidays.x]"})

# TOML values: each type in the wrong place, edges of every range, and broken literals.
LITERALS = ['""', '"x"', '"127.0.0.1"', '"http://127.0.0.1:1/"', '"Asia"', '"Asia/Seoul"',
            '"../etc"', '"/"', '"\\u0000"', '"\\ud800"', '"rot13"', '"euc-kr"', '"22:00-02:00"',
            '"24:00-05:00"', '"closed"', '"scrypt$16384$8$1$AAAA$BBBB"', "0", "-1", "1",
            "65536", "9223372036854775807", "99999999999999999999", "0.0", "-0.0", "1e308",
            "inf", "-inf", "nan", "true", "false", "[]", '[1, "a"]', "[[]]", "{}",
            '{ ko = "ko" }', "{ pin = 1e9 }", '{ pin = "x" }', "1979-05-27", "07:32:00",
            "1979-05-27T07:32:00Z", "'literal'", '"""multi"""', "=", "[", "{", '"', "0x10",
            "1_000", "+1", "2026-02-30"]
literals = st.one_of(st.sampled_from(LITERALS), texts.map(json.dumps), st.integers().map(str),
                     st.floats().map(lambda x: repr(x) if x == x and abs(x) != float("inf")
                                     else "nan"))
# Odd values of a value's own type (a string stays a string, a number a number).
SAME_TYPE = {'"': ['""', '" "', '"Asia"', '"Asia/"', '"UTC"', '"../x"', '"x\\u0000"', '"ß"',
                   '"' + "x" * 300 + '"', '"http://[::1]:0/"', '"rot13"', '"utf-16"', '"OFF"'],
             "n": ["0", "-1", "1", "0.001", "1e9", "-0.5", "65535", "65536", "3600.5", "nan",
                   "inf", "2", "101", "1000000"],
             "b": ["true", "false"], "[": ["[]", "[0]", "[80, 450]", '["a"]', "[1e9]"],
             "{": ["{}", '{ ko = "" }', '{ xx = "en" }', "{ ko = 1 }"]}
LINE_EDITS = ("uncomment", "comment", "drop", "repeat", "value", "value", "key", "section")
line_edits = st.lists(st.tuples(st.sampled_from(LINE_EDITS), st.integers(0, 500),
                                st.one_of(st.integers(0, 99), literals),
                                st.sampled_from(KEYS), st.sampled_from(SECTIONS)), max_size=4)


def odd_value(line: str, choice: int | str) -> str:
    """A value for `line`: of its own type when `choice` is a number, else the literal."""
    if isinstance(choice, str):
        return choice
    value = line.split("=", 1)[1].strip()
    kind = "n" if value[:1] in "-+.0123456789in" else "b" if value[:1] in "tf" else value[:1]
    pool = SAME_TYPE.get(kind, SAME_TYPE['"'])
    return pool[choice % len(pool)]


def edited_config(base: list[str], edits: list[tuple[str, int, Any, str, str]]) -> str:
    """A config's text after line edits: a line uncommented, commented out, dropped or
    repeated, a key's value replaced (by one of its type or any), a key or a section added."""
    lines = list(base)
    for kind, where, choice, key, section in edits:
        at = where % len(lines)
        line = lines[at]
        if kind == "value":
            keys = [n for n, text in enumerate(lines) if "=" in text and text[0] != "#"]
            at = keys[where % len(keys)] if keys else at
            line = lines[at]
        literal = choice if isinstance(choice, str) else "1"
        if kind == "uncomment":
            lines[at] = line.lstrip("#")
        elif kind == "comment":
            lines[at] = "#" + line
        elif kind == "drop":
            del lines[at]
        elif kind == "repeat":
            lines.insert(at, line)
        elif kind == "value" and "=" in line:
            lines[at] = line.split("=", 1)[0] + "= " + odd_value(line, choice)
        elif kind == "key":
            lines.insert(at, f"{key} = {literal}")
        elif kind == "section":
            lines.insert(at, section)
    return "\n".join(lines) + "\n"


ENDPOINTS = {
    "modbus": {"host": "127.0.0.1", "port": 40123}, "modbus_rtu": {"path": "/dev/pts/5"},
    "rfid": {"path": "/dev/pts/3"}, "barcode": {"path": "/dev/pts/4"},
    "card": {"reader": "Virtual PCD 00 00"}, "world": {"url": "http://127.0.0.1:40125"},
    "library": {"url": "http://127.0.0.1:40127", "sip2_host": "127.0.0.1", "sip2_port": 40129},
    "speed": 10.0,
}
endpoint_values = st.one_of(json_values, st.sampled_from([0, -1.0, "fast", 1e308, None]))
endpoints = st.one_of(
    st.just(json.dumps(ENDPOINTS).encode()),
    st.builds(lambda section, key, value: json.dumps(
        {**ENDPOINTS, section: {**ENDPOINTS[section], key: value}} if isinstance(
            ENDPOINTS[section], dict) else {**ENDPOINTS, section: value}).encode(),
        st.sampled_from(sorted(ENDPOINTS)),
        st.sampled_from(["host", "port", "path", "reader", "url", "sip2_port", "x"]),
        endpoint_values),
    st.builds(lambda drop: json.dumps({k: v for k, v in ENDPOINTS.items() if k != drop}).encode(),
              st.sampled_from(sorted(ENDPOINTS))),
    json_values.map(lambda v: json.dumps(v).encode()), mutated(st.just(b'{"modbus": {}}')))
secrets = st.one_of(st.sampled_from([b"token\n", b"kiosk:secret\n", b"", b"two words\n",
                                     b"kiosk\n", b":secret\n", b"\xff\xfe", b"kiosk:a\nb\n"]),
                    st.binary(max_size=12))
configs = st.one_of(
    st.builds(edited_config, st.sampled_from(BASES), line_edits).map(str.encode),
    st.builds(edited, st.sampled_from(BASES).map(lambda b: ("\n".join(b) + "\n").encode()),
              st.lists(EDIT, min_size=1, max_size=2)),
    texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=60))
config_inputs = st.tuples(configs, st.one_of(st.just(b"token\n"), secrets),
                          st.one_of(st.just(b"kiosk:secret\n"), secrets),
                          st.one_of(st.just(json.dumps(ENDPOINTS).encode()), endpoints))


# Words of Python's own errors: a message with them explains nothing to a technician.
PYTHON_WORDS = ("instances of", "object has no attribute", "invalid literal", "NoneType",
                "unhashable", "not subscriptable", "takes ", "positional argument", "Errno")


class ConfigFuzz:
    """Each input: the config, its credentials and endpoints files written, then loaded."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "kiosk.toml"
        self.files = {name: folder / name for name in ("library-token", "sip2-login",
                                                        "endpoints.json")}

    def __call__(self, given: tuple[bytes, bytes, bytes, bytes]) -> bool:
        text, token, login, endpoints_json = given
        self.path.write_bytes(text)
        for name, content in zip(self.files, (token, login, endpoints_json)):
            self.files[name].write_bytes(content)
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            assert str(exc).startswith(f"{self.path}: "), exc
            assert not any(words in str(exc) for words in PYTHON_WORDS), exc
            return False
        assert isinstance(config, KioskConfig)
        return True


@pytest.mark.parametrize("inputs", sizes())
def test_config_files_give_a_config_or_a_config_error(inputs, campaign_facts, tmp_path):
    tally: Tally = fuzz(config_inputs, ConfigFuzz(tmp_path), inputs)
    campaign_facts.update(tally.facts("config files"))


def test_the_bases_load_as_they_are(tmp_path):
    """The near-valid configs start from valid ones (else the fuzz would test refusals only)."""
    check = ConfigFuzz(tmp_path)
    for base in BASES:
        text = ("\n".join(base) + "\n").encode()
        assert check((text, b"token\n", b"kiosk:secret\n", json.dumps(ENDPOINTS).encode()))

