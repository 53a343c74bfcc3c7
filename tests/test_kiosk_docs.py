"""Every technician command and every patron API route is documented (docs/controller.md)."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.cli import _parser
from kiosk.control import REQUESTS
from kiosk.patron_api import make_app

DOC = (Path(__file__).resolve().parent.parent / "docs" / "controller.md").read_text(encoding="utf-8")


def cli_commands() -> set[str]:
    parser = _parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    return set(subparsers.choices)


def test_every_cli_command_is_documented():
    documented = set(re.findall(r"`kiosk ([a-z-]+)", DOC))
    assert cli_commands() - documented == set()


def test_every_control_request_has_a_cli_command():
    assert set(REQUESTS) <= cli_commands()


def test_every_patron_route_is_documented():
    routes = {f"{r.method} {r.resource.canonical}" for r in make_app(None).router.routes()
              if r.method in ("GET", "POST")}
    documented = {f"{m} {p}" for m, p in re.findall(r"`(GET|POST) (/[a-z0-9/._-]*)[`?]", DOC)}
    assert routes - documented == set()


def test_no_request_handler_imports_a_driver():
    """Handlers validate and send events; devices are the actions' business."""
    root = Path(__file__).resolve().parent.parent / "kiosk"
    for name in ("patron.py", "patron_api.py", "control.py", "screen_api.py", "catalogue.py"):
        imports = [line for line in (root / name).read_text(encoding="utf-8").splitlines()
                   if line.startswith(("import ", "from "))]
        assert not [line for line in imports if "drivers" in line or "mechanics" in line
                    or "devices" in line], name
