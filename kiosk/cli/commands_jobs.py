"""Technician commands that move the machine: home, door, present, stop (audit, load, unload and
reslot in their own modules)."""

from __future__ import annotations

import argparse

from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode

JOB_TIMEOUT = 3900.0  # longest silence from a job: above any wait it makes (pickup_timeout ≤ 3600 s)


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
    reslot_parser = add("reslot", "move popular books to the slots quickest to fetch from "
                        "(while idle or closed; a patron interrupts it)", reslot)
    reslot_parser.add_argument("--max-moves", type=int, default=50,
                               help="at most this many TRANSFER moves (default 50)")
    reslot_parser.add_argument("--dry-run", action="store_true",
                               help="show the plan and its expected gain; move nothing")
    add("stop", "stop the running job (audit, load, unload, reslot) after its current move", stop)


def job(cli: Cli, request: str, body: dict | None = None, description: str = "") -> dict:
    """Run a job request with a progress bar; its result."""
    try:
        with cli.out.progress(description or request) as bar:
            return cli.call(request, body or {}, changes=True, on_progress=bar.update,
                            timeout=JOB_TIMEOUT)
    except KeyboardInterrupt:  # Ctrl-C: the job stops after its current move, never mid-move
        try:
            cli.call("stop", changes=True)
        except CliFailure as failure:  # it had ended meanwhile
            cli.out.error(str(failure))
        raise CliFailure(f"{request} stops after its current move (Ctrl-C)",
                         ExitCode.BUSY) from None


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


def reslot(cli: Cli) -> ExitCode:
    body = {"max_moves": cli.args.max_moves, "dry_run": cli.args.dry_run}
    result = (cli.call("reslot", body, changes=True) if cli.args.dry_run
              else job(cli, "reslot", body, "re-slotting"))
    code = ExitCode.BUSY if result.get("interrupted") else ExitCode.OK
    if cli.out.as_json:
        cli.out.json(result)
        return code
    moves = result["moves"] if cli.args.dry_run else result["moves_done"]
    cli.out.table("Planned moves" if cli.args.dry_run else "Moves made",
                  ["item", "from slot", "to slot"],
                  [(m["item_id"], m["from_slot"], m["to_slot"]) for m in moves])
    figures = {"planned moves": result["planned_moves"],
               "mean fetch before (s)": result["mean_before"],
               "expected after (s)": result["mean_after"],
               "best possible (s)": result["mean_optimal"],
               "expected gain": f"{result['expected_gain']:.1%}"}
    if not cli.args.dry_run:
        figures.update({"measured after (s)": result["measured_mean_after"],
                        "measured gain": f"{result['measured_gain']:.1%}",
                        "skipped": len(result["moves_skipped"]),
                        "interrupted": result["interrupted"]})
    cli.out.fields("Re-slotting (popularity-weighted mean fetch time)", figures)
    return code
