"""Core technician commands: status, faults, flags, reset, maintenance, stock."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    def add(name: str, help: str, handler) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help, description=help, parents=[common])
        parser.set_defaults(handler=handler)
        return parser

    add("status", "state, fault, doors, PLC, readers, library link, sync backlog, slots, bin",
        status)
    add("faults", "the current fault and the ones before it", faults)
    add("flags", "open audit flags (what could not be proven)", flags)
    clear = add("clear-flag", "clear an audit flag after checking by hand", clear_flag)
    clear.add_argument("flag_id", help="the flag's id (kiosk flags)")
    clear.add_argument("--by", required=True, help="who checked")
    add("reset", "after a fault is fixed: reset the PLC, home, reconcile, back in service", reset)
    maintenance = add("maintenance", "take the machine from patrons (on) or give it back (off)",
                      maintenance_mode)
    maintenance.add_argument("mode", choices=["on", "off"], help="on or off")
    stock_parser = add("stock", "record books loaded into the machine from a loading list", stock)
    stock_parser.add_argument("loading_list", type=Path,
                              help="CSV with columns item_id, uid, slot, title[, authors, year, "
                              "subject, popularity]")


def status(cli: Cli) -> ExitCode:
    result = cli.call("status")
    if cli.out.as_json:
        cli.out.json(result)
        return ExitCode.OK
    cli.out.fields("Kiosk", {key: value for key, value in result.items()
                             if not isinstance(value, dict)})
    for key, value in result.items():
        if key == "readers":
            cli.out.fields(key, {name: "ok" if r["ok"] else
                                 f"lost ({r['problem']}) since {r['since']}"
                                 for name, r in value.items()})
        elif isinstance(value, dict) and value:
            cli.out.fields(key, value)
    return ExitCode.OK


def faults(cli: Cli) -> ExitCode:
    result = cli.call("faults")
    if cli.out.as_json:
        cli.out.json(result)
        return ExitCode.OK
    current = result.get("current")
    cli.out.say(f"Now: {current['code']} — {current['detail']} (since {current['at']})"
                if current else "Now: no fault")
    cli.out.table("Faults before", ["at", "code", "detail"],
                  [(f["at"], f["code"], f["detail"]) for f in result.get("history", [])])
    return ExitCode.OK


def flags(cli: Cli) -> ExitCode:
    result = cli.call("flags")
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.table("Open audit flags", ["flag", "reason", "item", "slot", "place", "raised"],
                      [(f["flag_id"], f["reason"], f["item_id"], f["slot"], f["place"],
                        f["raised_at"]) for f in result])
    return ExitCode.FOUND if result else ExitCode.OK


def clear_flag(cli: Cli) -> ExitCode:
    result = cli.call("clear-flag", {"flag_id": cli.args.flag_id, "by": cli.args.by},
                      changes=True)
    _done(cli, result, f"flag {cli.args.flag_id} cleared")
    return ExitCode.OK


def reset(cli: Cli) -> ExitCode:
    _done(cli, cli.call("reset", changes=True, timeout=120.0), "reset: homing, then in service")
    return ExitCode.OK


def maintenance_mode(cli: Cli) -> ExitCode:
    on = cli.args.mode == "on"
    _done(cli, cli.call("maintenance", {"on": on}, changes=True, timeout=120.0),
          f"maintenance {'on' if on else 'off'}")
    return ExitCode.OK


def stock(cli: Cli) -> ExitCode:
    try:
        with cli.args.loading_list.open(encoding="utf-8", newline="") as f:
            items = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CliFailure(f"cannot read the loading list: {exc}", ExitCode.USAGE) from None
    result = cli.call("stock", {"items": items}, changes=True)
    _done(cli, result, f"{result['stocked']} books recorded")
    return ExitCode.OK


def _done(cli: Cli, result: object, line: str) -> None:
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.say(line)
