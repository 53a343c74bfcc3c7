"""Every technician command and every patron API route is documented (docs/controller.md)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from kiosk.cli import _parser
from kiosk.control import REQUESTS
from kiosk.patron_api import make_app

DOC = (Path(__file__).resolve().parent.parent / "docs" / "controller.md").read_text(encoding="utf-8")


def _walk(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[tuple[str, str | None]]:
    """Every command and sub-command, with its help text."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            path = f"{prefix}{name}"
            yield path, helps.get(name)
            yield from _walk(sub, path + " ")


def cli_commands() -> dict[str, str | None]:
    return dict(_walk(_parser()))


def test_every_cli_command_is_documented():
    documented = set(re.findall(r"`kiosk ([a-z-]+(?: [a-z-]+)*)", DOC))
    assert [name for name in cli_commands()
            if not any(doc == name or doc.startswith(name + " ") for doc in documented)] == []


def test_every_cli_command_has_help_text():
    assert [name for name, text in cli_commands().items() if not (text or "").strip()] == []


def test_every_option_has_help_text():
    def options(parser: argparse.ArgumentParser, path: str) -> Iterator[str]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from options(sub, f"{path} {name}")
            elif not (action.help or "").strip():
                yield f"{path} {'/'.join(action.option_strings) or action.dest}"
    assert list(options(_parser(), "kiosk")) == []


def test_every_control_request_has_a_cli_command():
    assert {name.replace(".", " ") for name in REQUESTS} <= set(cli_commands())


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
