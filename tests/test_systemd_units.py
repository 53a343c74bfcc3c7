"""systemd units: `systemd-analyze verify` is silent on each, and each keeps its contract."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from kiosk.config import ControlConfig

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "systemd"
UNIT_NAMES = ("kiosk.service", "kiosk-browser.service", "kiosk-sim.service")
HOST_UNITS = next((p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                   if p.is_dir()), Path("/usr/lib/systemd/system"))
# Executables that the deployment installs (docs/deployment.md), absent on a test machine.
INSTALLED = {
    "/opt/kiosk/.venv/bin/kiosk": "pip install of this project into /opt/kiosk/.venv",
    "/opt/kiosk/.venv/bin/kiosk-sim": "pip install of this project into /opt/kiosk/.venv",
    "/usr/bin/chromium": "Debian package chromium",
    "/usr/bin/cage": "Debian package cage",
}
EXEC_KEYS = ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload")
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file as {section: [(key, value), ...]}, continuation lines joined."""
    sections: dict[str, list[tuple[str, str]]] = {}
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    """Every value of `key` in `section` (keys may repeat)."""
    return [v for k, v in unit.get(section, []) if k == key]


def value(unit: dict, section: str, key: str) -> str:
    """The last value of `key`: the one systemd uses."""
    found = values(unit, section, key)
    assert found, f"[{section}] {key}= is missing"
    return found[-1]


def executables(unit: dict) -> set[str]:
    """The programs that the unit's Exec* lines run."""
    programs = set()
    for key in EXEC_KEYS:
        for line in values(unit, "Service", key):
            programs.add(shlex.split(line.lstrip("-@:+!"))[0])
    return programs


def make_root(tmp: Path, with_dropin: bool) -> Path:
    """A root for `--root`: the host's unit directory, our units, and the programs they run."""
    assert shutil.which(ANALYZE), "systemd-analyze is missing (Debian package systemd: make setup)"
    root = tmp / ("root-dropin" if with_dropin else "root")
    shutil.copytree(HOST_UNITS, root / HOST_UNITS.relative_to("/"), symlinks=True)
    target = root / "etc/systemd/system"
    target.mkdir(parents=True)
    for name in UNIT_NAMES:
        shutil.copy(UNITS / name, target / name)
        for program in executables(read_unit(UNITS / name)):
            # Stub only what the deployment installs, or what this host really has.
            if program in INSTALLED or os.access(program, os.X_OK):
                stub = root / program.lstrip("/")
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.write_text("#!/bin/sh\n")
                stub.chmod(0o755)
    if with_dropin:
        shutil.copytree(UNITS / "kiosk.service.d", target / "kiosk.service.d")
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    """Roots without and with the demo machine's drop-in."""
    tmp = tmp_path_factory.mktemp("systemd")
    return {dropin: make_root(tmp, dropin) for dropin in (False, True)}


def analyze(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run systemd-analyze on a root."""
    return subprocess.run([ANALYZE, *args, f"--root={root}"], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("name", UNIT_NAMES)
@pytest.mark.parametrize("dropin", [False, True], ids=["machine", "demo-machine"])
def test_systemd_analyze_verify_is_silent(roots, name, dropin):
    result = analyze(roots[dropin], "verify", name)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), \
        result.stdout + result.stderr  # any warning, on either stream, fails


def test_verify_would_catch_a_bad_key_or_a_missing_program(tmp_path):
    root = make_root(tmp_path, with_dropin=False)
    unit = root / "etc/systemd/system/kiosk.service"
    good = unit.read_text()
    unit.write_text(good.replace("WatchdogSec=30s", "WatchdogSecs=30s"))
    assert "Unknown key" in analyze(root, "verify", "kiosk.service").stderr
    unit.write_text(good.replace("/opt/kiosk/.venv/bin/kiosk ", "/opt/kiosk/bin/kiosk "))
    assert analyze(root, "verify", "kiosk.service").returncode != 0


SYSUSERS_SAYS = re.compile(r"(Creating (group|user) '[a-z-]+'.*|Would write /etc/\w+…?)")


def sysusers(tmp_path: Path, text: str) -> list[str]:
    """What `systemd-sysusers --dry-run` says of `text` on an empty root that is not the
    expected creations (its warnings and errors; a failure's exit status too)."""
    tool = shutil.which("systemd-sysusers")
    assert tool, "systemd-sysusers is missing (Debian package systemd: make setup)"
    (tmp_path / "etc").mkdir(exist_ok=True)
    result = subprocess.run([tool, f"--root={tmp_path}", "--dry-run", "-"], input=text,
                            capture_output=True, text=True, timeout=60)
    said = [line for line in (result.stdout + result.stderr).splitlines()
            if not SYSUSERS_SAYS.fullmatch(line)]
    return said + ([f"exit status {result.returncode}"] if result.returncode else [])


def test_sysusers_makes_the_kiosk_group_and_users_without_a_warning(tmp_path):
    assert sysusers(tmp_path, (UNITS / "kiosk.sysusers").read_text(encoding="utf-8")) == []
    lines = [line.split() for line in (UNITS / "kiosk.sysusers").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert ["g", "kiosk", "-"] in lines
    assert ["u", "kiosk", "-:kiosk"] in [line[:3] for line in lines]  # its primary group
    assert ["m", "kiosk", "dialout"] in lines


def test_sysusers_check_would_catch_a_bad_line(tmp_path):
    assert sysusers(tmp_path, "g kiosk -\nx kiosk -\n")
    assert sysusers(tmp_path, 'g kiosk -\nu kiosk -:kiosk "K" /var/lib/kiosk - extra\n')


def test_the_control_socket_is_for_the_kiosk_group():
    unit = read_unit(UNITS / "kiosk.service")
    assert value(unit, "Service", "Group") == ControlConfig().group == "kiosk"
    runtime = int(value(unit, "Service", "RuntimeDirectoryMode"), 8)
    assert runtime & 0o050 == 0o050 and runtime & 0o007 == 0  # the group enters; others not
    assert int(value(unit, "Service", "UMask"), 8) & 0o060 == 0  # the socket stays 0660


@pytest.mark.parametrize(("name", "limit"), [("kiosk.service", 2.0), ("kiosk-sim.service", 2.0)])
def test_services_stay_hardened(roots, name, limit):
    result = analyze(roots[False], "security", "--offline=yes", f"--threshold={int(limit * 10)}", name)
    assert result.returncode == 0, result.stdout[-2000:]


def test_controller_unit_contract():
    unit = read_unit(UNITS / "kiosk.service")
    assert value(unit, "Service", "Type") == "notify"
    assert value(unit, "Service", "ExecStart") == \
        "/opt/kiosk/.venv/bin/kiosk run --config /etc/kiosk/kiosk.toml"
    assert value(unit, "Service", "WatchdogSec")
    assert value(unit, "Service", "Restart") in ("always", "on-failure")
    assert value(unit, "Unit", "StartLimitBurst") and value(unit, "Unit", "StartLimitIntervalSec")
    assert value(unit, "Service", "User") == "kiosk"
    assert "dialout" in value(unit, "Service", "SupplementaryGroups").split()
    assert value(unit, "Service", "RestrictAddressFamilies").split() == ["AF_UNIX", "AF_INET", "AF_INET6"]
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups"):
        assert value(unit, "Service", key) == "yes", key
    assert value(unit, "Service", "ProtectSystem") == "strict"
    assert {"char-ttyUSB rw", "char-ttyACM rw"} <= set(values(unit, "Service", "DeviceAllow"))


def test_example_config_lives_where_the_unit_allows_writes():
    unit = read_unit(UNITS / "kiosk.service")
    config = tomllib.loads((ROOT / "config/machine.example.toml").read_text(encoding="utf-8"))
    state = Path("/var/lib") / value(unit, "Service", "StateDirectory")
    runtime = Path("/run") / value(unit, "Service", "RuntimeDirectory")
    assert Path(config["machine"]["state_dir"]) == state
    assert Path(config["control"]["socket"]).parent == runtime


def test_browser_shows_the_ui_offline_after_the_controller():
    unit = read_unit(UNITS / "kiosk-browser.service")
    for key in ("Wants", "After"):
        assert "kiosk.service" in " ".join(values(unit, "Unit", key)).split(), key
    command = shlex.split(value(unit, "Service", "ExecStart"))
    assert "/usr/bin/chromium" in command and command[-1] == "http://127.0.0.1:8080/"
    for flag in ("--kiosk", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--noerrdialogs",
                 "--disable-translate"):
        assert flag in command, flag
    assert value(unit, "Service", "IPAddressDeny") == "any"
    assert value(unit, "Service", "IPAddressAllow") == "localhost"


def test_simulator_rig_feeds_the_controller():
    sim = read_unit(UNITS / "kiosk-sim.service")
    dropin = read_unit(UNITS / "kiosk.service.d/simulator.conf")
    command = shlex.split(value(sim, "Service", "ExecStart"))
    assert command[:2] == ["/opt/kiosk/.venv/bin/kiosk-sim", "--state-dir"]
    assert command[2] == f"/var/lib/{value(sim, 'Service', 'StateDirectory')}"
    assert value(sim, "Service", "User") == "kiosk"  # owns the ptys the controller opens
    assert "kiosk.service" in value(sim, "Unit", "Before").split()
    assert "kiosk-sim.service" in value(dropin, "Unit", "Requires").split()
    assert "char-pts rw" in values(dropin, "Service", "DeviceAllow")
