"""The journal and the library link: sync now (journal tail/export and sync status follow)."""

from __future__ import annotations

import argparse

from kiosk.cli.context import Cli
from kiosk.cli.output import ExitCode


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    sync = commands.add_parser("sync", help="the journal's delivery to the library system",
                               description="the journal's delivery to the library system")
    actions = sync.add_subparsers(dest="sync_command", required=True, metavar="ACTION")
    now = actions.add_parser("now", help="deliver pending journal events now", parents=[common])
    now.set_defaults(handler=sync_now)


def sync_now(cli: Cli) -> ExitCode:
    result = cli.call("sync.now", changes=True)
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.fields("Sync", result)
    return ExitCode.OK
