"""Technician commands that change the collection through the ports: load and unload."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.commands_jobs import job
from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode

DEFAULT_WAIT = 60.0


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    load_help = ("load new books one by one through the return port: each is read, checked "
                 "against the library and stored in the quickest free slot (in maintenance)")
    load_parser = commands.add_parser("load", help=load_help, description=load_help,
                                      parents=[common])
    load_parser.add_argument("--count", type=int, metavar="N",
                             help="end after N books are loaded (default: until none comes)")
    load_parser.add_argument("--wait", type=float, default=DEFAULT_WAIT, metavar="SECONDS",
                             help=f"end when no book comes within this long (default "
                             f"{DEFAULT_WAIT:g}, at most 3600)")
    load_parser.set_defaults(handler=load)
    unload_help = ("withdraw books one at a time through the pickup port: named ones, idle ones "
                   "or a list (in maintenance)")
    unload_parser = commands.add_parser("unload", help=unload_help, description=unload_help,
                                        parents=[common])
    unload_parser.add_argument("items", nargs="*", metavar="ITEM", help="item ids to withdraw")
    unload_parser.add_argument("--idle-days", type=int, metavar="N",
                               help="every book in a slot not lent (or, never lent, not stocked) "
                               "for N days")
    unload_parser.add_argument("--list", type=Path, metavar="FILE",
                               help="a file of item ids, one per line")
    unload_parser.set_defaults(handler=unload)


def load(cli: Cli) -> ExitCode:
    body = {"wait": cli.args.wait}
    if cli.args.count is not None:
        body["count"] = cli.args.count
    result = job(cli, "load", body, "waiting for the first book")
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.table("Loaded", ["item", "title", "slot"],
                      [(b["item_id"], b["title"], b["slot"]) for b in result["loaded"]])
        if result["refused"]:
            cli.out.table("Refused (handed back)", ["item", "tag UID", "reason"],
                          [(b["item_id"], b["uid"], b["reason"]) for b in result["refused"]])
        cli.out.say(f"{len(result['loaded'])} loaded, {len(result['refused'])} refused; "
                    f"ended: {result['ended_by'] or result.get('interrupted')}")
    return ExitCode.FOUND if result["refused"] else ExitCode.OK


def unload(cli: Cli) -> ExitCode:
    result = job(cli, "unload", _selection(cli.args), "withdrawing")
    if cli.out.as_json:
        cli.out.json(result)
    else:
        rows = [(b["item_id"], b.get("title"), b.get("slot"), "withdrawn")
                for b in result["withdrawn"]]
        rows += [(b["item_id"], b.get("title"), b.get("slot"), "not taken: back in its slot")
                 for b in result["not_taken"]]
        rows += [(b["item_id"], b.get("title"), b.get("slot"), f"refused: {b['reason']}")
                 for b in result["refused"]]
        cli.out.table("Unload", ["item", "title", "slot", "outcome"], rows)
        cli.out.say(f"{len(result['withdrawn'])} withdrawn, {len(result['not_taken'])} not "
                    f"taken, {len(result['refused'])} refused")
    return ExitCode.FOUND if result["refused"] or result["not_taken"] else ExitCode.OK


def _selection(args: argparse.Namespace) -> dict:
    """The request's body: items named or listed, or idle_days; exactly one way."""
    ways = [bool(args.items), args.idle_days is not None, args.list is not None]
    if sum(ways) != 1:
        raise CliFailure("unload: name ITEMs, or give --idle-days N, or --list FILE (one way)",
                         ExitCode.USAGE)
    if args.idle_days is not None:
        return {"idle_days": args.idle_days}
    if args.list is None:
        return {"items": args.items}
    try:
        lines = args.list.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliFailure(f"cannot read the list: {exc}", ExitCode.USAGE) from None
    items = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not items:
        raise CliFailure(f"{args.list}: no item ids in it", ExitCode.USAGE)
    return {"items": items}
