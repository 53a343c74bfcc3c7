"""`kiosk audit`: read the slots' tags, show what disagrees with the journal, fix it if confirmed."""

from __future__ import annotations

import argparse

from kiosk.cli.commands_jobs import job
from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    help = "read slots' tags through the picker antenna and compare them with the journal"
    parser = commands.add_parser("audit", help=help, description=help, parents=[common])
    parser.add_argument("slots", nargs="*", type=_slots, metavar="SLOTS",
                        help="slot numbers or ranges (12 40-59)")
    parser.add_argument("--all", action="store_true", help="every slot")
    parser.add_argument("--resume", action="store_true",
                        help="go on with the last audit where it was stopped")
    parser.add_argument("--yes", action="store_true",
                        help="fix the journal without asking")
    parser.add_argument("--no-fix", action="store_true",
                        help="only report (fix later with kiosk audit-fix)")
    parser.set_defaults(handler=audit)
    help = "correct the journal from the last audit's findings"
    fix = commands.add_parser("audit-fix", help=help, description=help, parents=[common])
    fix.add_argument("--yes", action="store_true", help="fix without asking")
    fix.set_defaults(handler=audit_fix)
    help = "the last audit's findings"
    last = commands.add_parser("audit-last", help=help, description=help, parents=[common])
    last.set_defaults(handler=audit_last)


def _slots(text: str) -> list[int]:
    first, _, last = text.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a slot or a range") from None
    if low > high:
        raise argparse.ArgumentTypeError(f"{text!r}: the range runs backwards")
    return list(range(low, high + 1))


def audit(cli: Cli) -> ExitCode:
    args = cli.args
    if not (args.slots or args.all or args.resume):
        raise CliFailure("name the slots, or --all, or --resume", ExitCode.USAGE)
    body = {"all": args.all, "resume": args.resume,
            "slots": [slot for group in args.slots for slot in group]}
    result = job(cli, "audit", body, "audit")
    return _report_and_fix(cli, result)


def audit_fix(cli: Cli) -> ExitCode:
    return _report_and_fix(cli, cli.call("audit-last"))


def audit_last(cli: Cli) -> ExitCode:
    result = cli.call("audit-last")
    if cli.out.as_json:
        cli.out.json(result)
    else:
        _show(cli, result)
    return ExitCode.FOUND if result["pending_fix"] else ExitCode.OK


def _report_and_fix(cli: Cli, result: dict) -> ExitCode:
    if not cli.out.as_json:
        _show(cli, result)
    if not result["pending_fix"] or getattr(cli.args, "no_fix", False):
        return _ended(cli, result, None)
    if not cli.confirm(f"Correct the journal for {result['pending_fix']} slots?"):
        cli.out.say("Journal left as it was; `kiosk audit-fix` applies these findings later.")
        return _ended(cli, result, None)
    fixed = cli.call("audit-fix", {"run_id": result["run_id"]}, changes=True)
    if not cli.out.as_json:
        cli.out.table("Journal corrected", ["slot", "finding", "done"],
                      [(d["slot"], d["mismatch"], d["did"]) for d in fixed["done"]])
        if fixed["left"]:
            cli.out.table("Left for a person", ["slot", "finding", "why"],
                          [(d["slot"], d["mismatch"], d["reason"]) for d in fixed["left"]])
    return _ended(cli, result, fixed)


def _ended(cli: Cli, result: dict, fixed: dict | None) -> ExitCode:
    if cli.out.as_json:
        cli.out.json({**result, "fix": fixed})
    if not result["finished"]:
        cli.out.say(f"Stopped after {result['audited']} of {result['total']} slots "
                    f"({result.get('interrupted') or 'stopped'}); `kiosk audit --resume` goes on.")
        return ExitCode.BUSY
    if fixed is None and result["pending_fix"]:
        return ExitCode.FOUND
    return ExitCode.FOUND if fixed and fixed["left"] else ExitCode.OK


def _show(cli: Cli, result: dict) -> None:
    cli.out.say(f"Audited {result['audited']} of {result['total']} slots; "
                f"{len(result['mismatches'])} disagree with the journal.")
    if result["mismatches"]:
        cli.out.table("Mismatches", ["slot", "finding", "journal says", "tag reads", "problem"],
                      [(m["slot"], m["mismatch"], m["journal_item"], m["tag_item"], m["problem"])
                       for m in result["mismatches"]])
