"""Access: the technician log (`kiosk log`) and the PIN's stored form (`kiosk pin-hash`)."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk import technician_pin
from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode, stdin_is_terminal


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    text = "who changed the machine through this socket, when, what, and how it ended"
    log = commands.add_parser("log", help=text, description=text, parents=[common])
    log.add_argument("--since", help="from this date or time (2025-03-01, 2025-03-01T18:00) "
                     "or this long ago (30m, 12h, 7d)")
    log.add_argument("-n", dest="limit", type=int, default=50,
                     help="the latest N entries (default 50)")
    log.set_defaults(handler=technician_log)
    text = ("print the stored form of a new technician PIN, for [control] technician_pin_hash "
            "(asked twice at a terminal, else read from the first line of stdin; no "
            "controller needed)")
    pin_hash = commands.add_parser("pin-hash", help=text, description=text, parents=[common])
    pin_hash.set_defaults(handler=make_pin_hash, needs_config=False)


def technician_log(cli: Cli) -> ExitCode:
    body = {"limit": cli.args.limit}
    if cli.args.since:
        body["since"] = cli.args.since
    entries = cli.call("log", body)
    if cli.out.as_json:
        cli.out.json(entries)
        return ExitCode.OK
    cli.out.table("Technician log", ["at", "user", "uid", "command", "arguments", "outcome",
                                     "detail"],
                  [(e["at"], e["user"], e["uid"], e["request"], e["args"] or "",
                    e["outcome"], e["detail"]) for e in entries])
    return ExitCode.OK


def make_pin_hash(cli: Cli) -> ExitCode:
    pin = _read_new_pin()
    try:
        stored = technician_pin.hash_pin(pin)
    except technician_pin.PinRefused as exc:
        raise CliFailure(str(exc), ExitCode.USAGE) from None
    if cli.out.as_json:
        cli.out.json({"technician_pin_hash": stored})
    else:
        print(stored)
        cli.out.errors.print("Put it in the config: [control] technician_pin_hash = \"…\" "
                             "(then restart the controller).", markup=False)
    return ExitCode.OK


def _read_new_pin() -> str:
    """The new PIN: typed twice at a terminal, or the first line of stdin."""
    if not stdin_is_terminal():
        line = sys.stdin.readline()
        if not line.strip():
            raise CliFailure("no PIN on stdin", ExitCode.USAGE)
        return line.rstrip("\r\n")
    first = getpass.getpass("New technician PIN: ")
    try:
        technician_pin.check_pin_choice(first)
    except technician_pin.PinRefused as exc:
        raise CliFailure(str(exc), ExitCode.USAGE) from None
    if getpass.getpass("Again: ") != first:
        raise CliFailure("the two PINs differ; nothing printed", ExitCode.USAGE)
    return first
