"""Technician commands that move the machine: home, door, present, stop (audit, load, unload and
reslot in their own modules)."""

from __future__ import annotations

import argparse

from kiosk.cli.context import Cli
from kiosk.cli.output import ExitCode

JOB_TIMEOUT = 300.0  # longest silence from a running job (it reports every move)


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    def add(name: str, help: str, handler) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help, description=help, parents=[common])
        parser.set_defaults(handler=handler)
        return parser

    add("home", "home the drum and the picker (when no patron is using the machine)", home)
    door_parser = add("door", "open or close the pickup door or the return shutter "
                      "(in maintenance)", door)
    door_parser.add_argument("action", choices=["open", "close"], help="open or close")
    door_parser.add_argument("door", choices=["pickup", "return"],
                             help="the pickup door or the return shutter")
    present_parser = add("present", "face the picker to a slot and read the book there", present)
    present_parser.add_argument("slot", type=int, help="slot number")
    add("stop", "stop the running job (audit, load, unload, reslot) after its current move", stop)


def job(cli: Cli, request: str, body: dict | None = None, description: str = "") -> dict:
    """Run a job request with a progress bar; its result."""
    with cli.out.progress(description or request) as bar:
        return cli.call(request, body or {}, changes=True, on_progress=bar.update,
                        timeout=JOB_TIMEOUT)


def home(cli: Cli) -> ExitCode:
    result = job(cli, "home", description="homing")
    _show(cli, result, "homed")
    return ExitCode.OK


def door(cli: Cli) -> ExitCode:
    result = job(cli, "door", {"action": cli.args.action, "door": cli.args.door})
    _show(cli, result, f"{cli.args.door} {'opened' if cli.args.action == 'open' else 'closed'}")
    return ExitCode.OK


def present(cli: Cli) -> ExitCode:
    result = job(cli, "present", {"slot": cli.args.slot}, f"slot {cli.args.slot}")
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.fields(f"Slot {result['slot']}", {
            "journal says": result["journal_item"], "tag reads": result["tag_item"],
            "tag UID": result["tag_uid"], "problem": result["problem"]})
    agree = result["journal_item"] == result["tag_item"] and not result["problem"]
    return ExitCode.OK if agree else ExitCode.FOUND


def stop(cli: Cli) -> ExitCode:
    result = cli.call("stop", changes=True)
    _show(cli, result, f"{result['stopping']} stops after its current move")
    return ExitCode.OK


def _show(cli: Cli, result: dict, line: str) -> None:
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.say(line)
