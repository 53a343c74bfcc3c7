"""The campaigns' record: every campaign case's outcome and facts, one JSON line each.

A campaign case is a test marked `campaign(name=..., fast=...)` (`name` defaults to the module's
name without `test_`). It may take the `campaign_facts` fixture, a dict it fills with what it saw
(numbers are summed over the campaign's runs; strings are listed once each; "about" is the
campaign's description). With KIOSK_CAMPAIGN_REPORT set to a file, the controlling pytest process
appends one line per case there; scripts/reliability.py turns the file into docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

REPORT_ENV = "KIOSK_CAMPAIGN_REPORT"


def campaign_name(item: pytest.Item) -> str | None:
    """The campaign `item` belongs to, or None when it is no campaign case."""
    marker = item.get_closest_marker("campaign")
    if marker is None:
        return None
    return marker.kwargs.get("name") or item.path.stem.removeprefix("test_")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tag a campaign case's reports with its campaign."""
    name = campaign_name(item)
    if name is not None:
        item.user_properties.append(("campaign", name))


@pytest.fixture
def campaign_facts(request: pytest.FixtureRequest) -> Any:
    """What this campaign case saw, recorded with its outcome."""
    facts: dict[str, Any] = {}
    yield facts
    request.node.user_properties.append(("facts", facts))


class Recorder:
    """Collects each campaign case's phases and writes its line after teardown."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: dict[str, tuple[str, float]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the worst outcome of the phases; write the line at teardown."""
        props = dict(report.user_properties)
        if "campaign" not in props:
            return
        outcome, seconds = self.outcomes.get(report.nodeid, ("passed", 0.0))
        if report.outcome != "passed" and outcome == "passed":
            outcome = "skipped" if report.outcome == "skipped" else (
                "failed" if report.when == "call" else "error")
        self.outcomes[report.nodeid] = (outcome, seconds + report.duration)
        if report.when != "teardown":
            return
        self.outcomes.pop(report.nodeid)
        line = {"campaign": props["campaign"], "case": report.nodeid, "outcome": outcome,
                "seconds": round(seconds + report.duration, 3), "facts": props.get("facts", {}),
                "at": time.time()}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    """Record campaign cases when KIOSK_CAMPAIGN_REPORT names a file (controlling process only)."""
    target = os.environ.get(REPORT_ENV)
    if target and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(Path(target)), "campaign-recorder")
