"""config/alerts.rules.yml: valid (promtool check rules), each alert raised and cleared by its
series (promtool test rules), one rule per controller alert, thresholds equal to [alerts]."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kiosk.alerts import Alert
from kiosk.config import AlertsConfig

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "config" / "alerts.rules.yml"
RULES_TEST = ROOT / "tests" / "alerts.rules.test.yml"


def promtool(*args: str) -> subprocess.CompletedProcess:
    """Run Debian's promtool (package prometheus, installed by make system-packages)."""
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is missing: make system-packages (Debian prometheus)")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def rules() -> dict[str, dict]:
    """The rules by their kiosk_alert label."""
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {rule["labels"]["kiosk_alert"]: rule for group in groups for rule in group["rules"]}


def minutes(duration: str | None) -> float:
    """A Prometheus duration of whole minutes or seconds, in seconds (None: 0)."""
    if duration is None:
        return 0.0
    number, unit = re.fullmatch(r"(\d+)([sm])", duration).groups()
    return float(number) * (60 if unit == "m" else 1)


def test_promtool_checks_the_rules():
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_unit_tests_raise_and_clear_every_alert():
    tested = promtool("test", "rules", str(RULES_TEST))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    names = {rule["alert"] for rule in rules().values()}
    raised = set(re.findall(r"alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels",
                            RULES_TEST.read_text(encoding="utf-8")))
    assert raised == names


def test_one_rule_per_controller_alert():
    assert set(rules()) == {alert.value for alert in Alert}


def test_rule_thresholds_are_the_alerts_defaults():
    defaults, found = AlertsConfig(), rules()
    assert minutes(found["pickup_item_left"].get("for")) == defaults.pickup_left_after
    assert minutes(found["library_link_lost"].get("for")) == defaults.library_down_after
    assert found["few_free_slots"]["expr"] == f"kiosk_slots_free < {defaults.min_free_slots}"
    share = re.search(r">= ignoring\(place\) ([\d.]+) \* kiosk_overflow_bin_capacity",
                      found["overflow_bin_nearly_full"]["expr"])
    assert share and float(share[1]) == defaults.bin_nearly_full
    for name in ("out_of_service", "overflow_bin_nearly_full", "few_free_slots",
                 "sync_conflicts", "audit_flags", "returned_book_held", "reader_lost"):
        assert "for" not in found[name], f"{name}: the controller raises it at once"
