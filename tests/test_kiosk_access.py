"""Access over the real control socket of a controller on the simulator: the socket's mode and
group, the technician PIN, the lock-out after wrong ones, and the technician log."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import subprocess
import sys

import pytest

from conftest import ROOT
from kiosk.cli.output import ExitCode
from kiosk_rig import TECHNICIAN_PIN, KioskRig

WRONG_PIN = "000000"


def _other_group() -> str | None:
    """A group this process may give a file to, other than its own (root: any)."""
    if os.geteuid() == 0:
        return next((g.gr_name for g in grp.getgrall() if g.gr_gid != os.getgid()), None)
    return next((grp.getgrgid(g).gr_name for g in os.getgroups() if g != os.getgid()), None)


def cli(rig: KioskRig, *args: str, pin: str | None = None,
        pin_file: str | None = None) -> subprocess.CompletedProcess:
    """`kiosk --config RIG ARGS...` with no terminal: the PIN from $KIOSK_PIN or --pin-file."""
    env = {key: value for key, value in os.environ.items() if key != "KIOSK_PIN"}
    if pin is not None:
        env["KIOSK_PIN"] = pin
    extra = ["--pin-file", pin_file] if pin_file else []
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(rig.config_path),
                           *args, *extra], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def test_changing_commands_need_the_pin_and_are_logged_with_their_caller(make_kiosk, tmp_path):
    group = _other_group()
    if group is None:
        pytest.skip("this user is in no group but its own")
    rig = make_kiosk(stock=False, control=f'group = "{group}"')
    mode = os.stat(rig.control_socket)
    assert stat.S_IMODE(mode.st_mode) == 0o660
    assert mode.st_gid == grp.getgrnam(group).gr_gid

    assert rig.ask("status")["ok"]  # reading needs no PIN
    bare = rig.ask("sync.now")
    assert (bare["ok"], bare["code"]) == (False, "denied") and "--pin-file" in bare["error"]
    wrong = rig.ask("maintenance", {"on": True}, pin=WRONG_PIN)
    assert (wrong["ok"], wrong["code"]) == (False, "denied")
    assert "wrong technician PIN" in wrong["error"] and "before a lock-out" in wrong["error"]
    assert rig.state()["state"] == "ready"  # nothing done

    no_pin = cli(rig, "maintenance", "on")
    assert no_pin.returncode == ExitCode.DENIED and "technician PIN" in no_pin.stderr
    assert cli(rig, "sync", "now", pin=WRONG_PIN).returncode == ExitCode.DENIED
    pin_file = tmp_path / "pin"
    pin_file.write_text(TECHNICIAN_PIN + "\n")
    done = cli(rig, "maintenance", "on", pin_file=str(pin_file))
    assert done.returncode == ExitCode.OK, done.stderr
    rig.wait_state("maintenance")
    busy = rig.ask("maintenance", {"on": True}, pin=TECHNICIAN_PIN)
    assert busy["code"] == "busy"

    user = pwd.getpwuid(os.getuid()).pw_name
    shown = cli(rig, "log", "--json")
    assert shown.returncode == ExitCode.OK, shown.stderr
    entries = json.loads(shown.stdout)
    assert [(e["request"], e["args"], e["outcome"]) for e in entries] == [
        ("sync.now", {}, "denied"), ("maintenance", {"on": True}, "denied"),
        ("maintenance", {"on": True}, "denied"), ("sync.now", {}, "denied"),
        ("maintenance", {"on": True}, "done"), ("maintenance", {"on": True}, "busy")]
    assert {(e["user"], e["uid"]) for e in entries} == {(user, os.getuid())}
    assert "wrong technician PIN" in entries[1]["detail"]
    assert "the machine is maintenance" in entries[-1]["detail"]
    assert all("pin" not in json.dumps(e["args"]) for e in entries)
    table = cli(rig, "log", "-n", "1")
    assert table.returncode == ExitCode.OK and "busy" in table.stdout and "denied" not in table.stdout


def test_a_loading_list_is_counted_in_the_log_not_copied(kiosk):
    [entry] = kiosk.control("log")  # make_rig stocked the machine with the PIN
    assert (entry["request"], entry["outcome"]) == ("stock", "done")
    assert entry["args"]["items"].endswith(" rows]")


def test_wrong_pins_lock_the_user_out_even_with_the_right_one_after(make_kiosk):
    rig = make_kiosk(stock=False, control='pin_tries = 2\npin_lockout = 600\n'
                     'group = "no-such-group-for-kiosk"')
    assert os.stat(rig.control_socket).st_gid == os.getgid()  # no such group: the process's
    assert "does not exist here" in rig.log()
    first = rig.ask("sync.now", pin=WRONG_PIN)
    assert "1 more before a lock-out" in first["error"]
    second = rig.ask("sync.now", pin=WRONG_PIN)
    assert second["code"] == "denied" and "try again in 600 s" in second["error"]
    locked = rig.ask("sync.now", pin=TECHNICIAN_PIN)
    assert locked["code"] == "denied" and "too many wrong technician PINs" in locked["error"]
    assert cli(rig, "sync", "now", pin=TECHNICIAN_PIN).returncode == ExitCode.DENIED
    assert rig.ask("status")["ok"]  # reading still works
    outcomes = [(e["outcome"], e["detail"]) for e in rig.control("log")]
    assert [o for o, _ in outcomes] == ["denied"] * 4
    assert "try again" in outcomes[2][1]


def test_a_controller_without_a_pin_hash_refuses_changes_naming_the_key(make_kiosk):
    rig = make_kiosk(stock=False)
    rig.stop()
    text = rig.config_path.read_text()
    rig.config_path.write_text("\n".join(line for line in text.splitlines()
                                         if not line.startswith("technician_pin_hash")) + "\n")
    rig.start()
    answer = rig.ask("sync.now", pin=TECHNICIAN_PIN)
    assert answer["code"] == "denied"
    assert "technician_pin_hash" in answer["error"] and "kiosk pin-hash" in answer["error"]
    assert "no technician PIN is set" in rig.log()
