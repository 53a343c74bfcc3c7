"""Technician commands (alerts): what the machine alerts about now."""

from __future__ import annotations

import argparse
import json

from kiosk.cli.context import Cli
from kiosk.cli.output import ExitCode


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    help = "the alerts firing now (exit 6 when any fires)"
    parser = commands.add_parser("alerts", help=help, description=help, parents=[common])
    parser.set_defaults(handler=alerts)


def alerts(cli: Cli) -> ExitCode:
    firing = cli.call("alerts")
    if cli.out.as_json:
        cli.out.json(firing)
    elif not firing:
        cli.out.say("No alert fires.")
    else:
        cli.out.table("Alerts firing", ["alert", "since", "detail"],
                      [(a["alert"], a["since"], json.dumps(a["detail"], ensure_ascii=False))
                       for a in firing])
    return ExitCode.FOUND if firing else ExitCode.OK
