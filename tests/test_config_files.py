"""config/demo.toml drives the real simulator; config/machine.example.toml loads and documents every key."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import start_sim
from kiosk.config import SECTIONS, KioskConfig, load_config
from kiosk.connectors import HttpConnector, HttpConnectorConfig, Sip2Connector, Sip2ConnectorConfig

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
EXAMPLE = CONFIG / "machine.example.toml"
KEY = re.compile(r"^(#?)([A-Za-z_][A-Za-z0-9_]*|\"[^\"]+\")\s*=\s*(.*)$")
HEADER = re.compile(r"^(#?)\[([a-z_.]+)\]\s*(?:#.*)?$")


@dataclass
class Block:
    """One [section] of a config file as written: its keys, their comments, and the header's state."""

    name: str
    commented: bool
    docs: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def blocks(text: str) -> list[Block]:
    """Split a config into blocks; a key's doc is its inline comment and the comments above it."""
    found: list[Block] = []
    above: list[str] = []
    for line in text.splitlines():
        header, key = HEADER.match(line), KEY.match(line)
        if header:
            name, _, sub = header[2].partition(".")
            if sub:  # [policy.holidays] documents the key holidays of [policy]
                parent = next(b for b in reversed(found) if b.name == name)
                parent.docs[sub] = " ".join(above)
            found.append(Block(sub and f"{name}.{sub}" or name, bool(header[1])))
            above = []
        elif key and found:
            value, _, comment = key[3].partition(" # ")
            found[-1].docs[key[2]] = " ".join([*above, comment])
            found[-1].lines.append(f"{key[2]} = {value.strip()}")
            above = []
        elif line.startswith("# "):
            above.append(line[2:])
        else:
            above = []
    return found


def uncommented(text: str, section: str) -> str:
    """The config with its `#[section]` alternative in place of the active one."""
    kept, alternative, mode = [], [], None
    for line in text.splitlines():
        if HEADER.match(line):
            mode = "alt" if line.startswith(f"#[{section}]") else \
                   "drop" if line.startswith(f"[{section}]") else None
        if mode == "alt" and line.startswith("#") and not line.startswith("# "):
            alternative.append(line[1:])
        elif mode is None:
            kept.append(line)
    assert alternative, f"no #[{section}] alternative"
    return "\n".join(kept + alternative) + "\n"


def default_text(f: dataclasses.Field) -> str | None:
    """How the example states a field's default: (default X), X as written in TOML."""
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return None
    if dataclasses.is_dataclass(value):
        return None  # a [section.sub] table: its own block documents each key
    if value is None:
        return "(default unset)"
    if value == {}:
        return "(default none)"
    return f"(default {json.dumps(value)})"


def section_classes() -> dict[str, tuple[type, ...]]:
    """Each section's config dataclass(es), from KioskConfig itself."""
    hints = typing.get_type_hints(KioskConfig)
    return {name: typing.get_args(hint) or (hint,) for name, hint in hints.items() if name != "path"}


# --- demo.toml, on the real simulator -----------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """config/ copied into a checkout-like tree whose .state/sim holds a running kiosk-sim."""
    tree = tmp_path_factory.mktemp("checkout")
    shutil.copytree(CONFIG, tree / "config")
    sim = start_sim(tree / ".state" / "sim")
    yield tree, sim
    sim.stop()


def test_demo_config_drives_the_running_simulator(demo):
    tree, sim = demo
    config = load_config(tree / "config" / "demo.toml")
    ends = sim.endpoints
    assert (config.carousel.transport, config.carousel.host, config.carousel.port) == \
        ("tcp", ends["modbus"]["host"], ends["modbus"]["port"])
    assert config.rfid.port == ends["rfid"]["path"] and config.barcode.port == ends["barcode"]["path"]
    assert config.card.reader == ends["card"]["reader"]
    assert isinstance(config.library, HttpConnectorConfig)
    assert config.library.base_url == ends["library"]["url"]
    assert config.policy.always_open is True
    assert (config.ui.host, config.ui.port) == ("127.0.0.1", 8080)
    connector = HttpConnector(config.library)  # the demo token is accepted
    try:
        assert connector.info().library
    finally:
        connector.close()


def test_demo_paths_resolve_against_the_config_folder(demo):
    tree, _ = demo
    config = load_config(tree / "config" / "demo.toml")
    assert config.machine.state_dir == str(tree / ".state" / "kiosk")
    assert config.journal_path == tree / ".state" / "kiosk" / "journal.db"
    assert config.control.socket == str(tree / ".state" / "kiosk" / "control.sock")
    assert config.machine.endpoints_file == str(tree / ".state" / "sim" / "endpoints.json")
    assert config.library.credentials_file == str(tree / "config/demo-credentials/library-token")


def test_demo_sip2_alternative_logs_in(demo, tmp_path):
    tree, sim = demo
    path = tree / "config" / "demo-sip2.toml"
    path.write_text(uncommented((CONFIG / "demo.toml").read_text(), "library"))
    config = load_config(path)
    assert isinstance(config.library, Sip2ConnectorConfig)
    assert config.library.port == sim.endpoints["library"]["sip2_port"]
    connector = Sip2Connector(config.library)  # kiosk-1:demo-library-token logs in
    try:
        assert connector.info().library
    finally:
        connector.close()


def test_demo_points_where_make_demo_runs_the_simulator():
    demo = blocks((CONFIG / "demo.toml").read_text())[0]
    assert demo.name == "machine"
    launcher = (ROOT / "scripts" / "demo.py").read_text()
    assert 'STATE = ROOT / ".state"' in launcher
    assert '"--state-dir", str(STATE / "sim")' in launcher
    assert 'CONFIG = ROOT / "config" / "demo.toml"' in launcher
    assert '"--config", str(CONFIG)' in launcher
    assert 'endpoints_file = "../.state/sim/endpoints.json"' in demo.lines


# --- machine.example.toml -----------------------------------------------------------------

@pytest.fixture
def installed(tmp_path) -> Path:
    """The example installed as documented: /etc/kiosk/kiosk.toml beside its credentials."""
    etc = tmp_path / "etc" / "kiosk"
    etc.mkdir(parents=True)
    shutil.copy(EXAMPLE, etc / "kiosk.toml")
    (etc / "library-token").write_text("a-real-token\n")
    (etc / "sip2-login").write_text("kiosk-1:secret\n")
    return etc / "kiosk.toml"


def test_example_loads_where_it_is_installed(installed):
    config = load_config(installed)
    assert (config.carousel.transport, config.carousel.host, config.carousel.port) == \
        ("tcp", "192.168.10.20", 502)
    assert all(port.startswith("/dev/serial/by-id/")  # stable names, not /dev/ttyUSB<n>
               for port in (config.rfid.port, config.barcode.port))
    assert config.library.base_url.startswith("https://")
    assert config.library.credentials_file == str(installed.parent / "library-token")
    assert (config.machine.state_dir, config.control.socket) == \
        ("/var/lib/kiosk", "/run/kiosk/control.sock")
    assert config.policy.holidays["2026-01-01"] == "closed"
    assert config.policy.always_open is False


def test_example_sip2_alternative_loads(installed):
    installed.write_text(uncommented(EXAMPLE.read_text(), "library"))
    config = load_config(installed)
    assert isinstance(config.library, Sip2ConnectorConfig)
    assert config.library.credentials_file == str(installed.parent / "sip2-login")


def test_every_section_is_in_the_example():
    written = {b.name for b in blocks(EXAMPLE.read_text()) if not b.commented}
    assert set(section_classes()) == set(SECTIONS)
    assert set(SECTIONS) <= written


def example_block(section: str, cls: type) -> Block:
    """The example's block documenting `cls` (the [library] blocks differ by kind)."""
    candidates = [b for b in blocks(EXAMPLE.read_text()) if b.name == section]
    if section == "library":
        kind = {HttpConnectorConfig: '"http"', Sip2ConnectorConfig: '"sip2"'}[cls]
        candidates = [b for b in candidates if f"kind = {kind}" in b.lines]
    assert len(candidates) == 1, f"one [{section}] block for {cls.__name__}"
    return candidates[0]


CASES = [(s, c) for s, classes in section_classes().items() for c in classes]


def nested_tables(section: str, cls: type) -> list[tuple[str, type]]:
    """The [section.sub] tables of a config class (fields whose type is a dataclass)."""
    hints = typing.get_type_hints(cls)
    return [(f"{section}.{f.name}", hints[f.name]) for f in dataclasses.fields(cls)
            if dataclasses.is_dataclass(hints[f.name])]


NESTED = [n for s, c in CASES for n in nested_tables(s, c)]
CASES += NESTED


@pytest.mark.parametrize(("section", "cls"), CASES, ids=[f"{s}-{c.__name__}" for s, c in CASES])
def test_every_key_is_documented_with_its_default(section, cls):
    block = example_block(section, cls)
    for f in dataclasses.fields(cls):
        assert f.name in block.docs, f"[{section}] {f.name} is not in {EXAMPLE.name}"
        doc, default = block.docs[f.name], default_text(f)
        if default is None:
            assert "required" in doc or "(default" in doc, f"[{section}] {f.name}: say it is required"
        else:
            assert default in doc, f"[{section}] {f.name}: the doc should say {default}: {doc!r}"
    known = {f.name for f in dataclasses.fields(cls)} | ({"kind"} if section == "library" else set())
    assert set(block.docs) <= known, f"[{section}] documents keys that do not exist"


@pytest.mark.parametrize("block", [b for b in blocks(EXAMPLE.read_text()) if "." not in b.name],
                         ids=lambda b: ("#" if b.commented else "") + b.name)
def test_commented_settings_are_valid_values(block):
    values = tomllib.loads("\n".join(block.lines))
    if block.name == "library":
        values.setdefault("machine_id", "kiosk-1")
    SECTIONS[block.name](values)  # raises DriverConfigError naming the key


@pytest.mark.parametrize(("table", "cls"), NESTED, ids=[t for t, _ in NESTED])
def test_commented_settings_of_nested_tables_are_valid_values(table, cls):
    section, _, key = table.partition(".")
    values = tomllib.loads("\n".join(example_block(table, cls).lines))
    SECTIONS[section]({key: values})
