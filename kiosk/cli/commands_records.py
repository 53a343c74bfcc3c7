"""The journal and the library link: journal tail|export, sync now|status|conflicts|resolve."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode

CSV_COLUMNS = ("seq", "at", "kind", "event_id", "item_id", "patron_id", "payload")
FOLLOW_EVERY = 1.0  # seconds between polls of `journal tail --follow`


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    _register_journal(commands, common)
    _register_sync(commands, common)


def _register_journal(commands: argparse._SubParsersAction,
                      common: argparse.ArgumentParser) -> None:
    journal = commands.add_parser("journal", help="the journal's events (read only)",
                                  description="the journal's events (read only)")
    actions = journal.add_subparsers(dest="journal_command", required=True, metavar="ACTION")
    tail = actions.add_parser("tail", help="the latest events; --follow shows new ones as "
                              "they come", description="the latest journal events",
                              parents=[common])
    tail.add_argument("-n", "--lines", type=int, default=20, help="how many (1..1000, default 20)")
    tail.add_argument("-f", "--follow", action="store_true",
                      help="keep showing new events until Ctrl-C")
    tail.set_defaults(handler=journal_tail)
    export = actions.add_parser("export", help="write events as CSV or JSON",
                                description="write journal events as CSV or JSON",
                                parents=[common])
    export.add_argument("--since", help="a date (YYYY-MM-DD, the machine's day) or an ISO "
                        "date-time; default: every event")
    export.add_argument("--format", choices=["csv", "json"], default=None,
                        help="csv (default) or json")
    export.add_argument("--output", type=Path, help="write to this file (default: stdout)")
    export.set_defaults(handler=journal_export)


def _register_sync(commands: argparse._SubParsersAction,
                   common: argparse.ArgumentParser) -> None:
    sync = commands.add_parser("sync", help="the journal's delivery to the library system",
                               description="the journal's delivery to the library system")
    actions = sync.add_subparsers(dest="sync_command", required=True, metavar="ACTION")
    now = actions.add_parser("now", help="deliver pending journal events now", parents=[common])
    now.set_defaults(handler=sync_now)
    status = actions.add_parser("status", help="online, backlog, lag, last delivery, last error",
                                parents=[common])
    status.set_defaults(handler=sync_status)
    conflicts = actions.add_parser("conflicts", help="events the library objected to, with its "
                                   "reason (exit 6 when any is open)", parents=[common])
    conflicts.add_argument("--all", action="store_true", help="resolved ones too")
    conflicts.set_defaults(handler=sync_conflicts)
    resolve = actions.add_parser("resolve", help="mark a conflict resolved after settling it "
                                 "at the library", parents=[common])
    resolve.add_argument("event_id", help="the conflict's event id (kiosk sync conflicts)")
    resolve.add_argument("--by", required=True, help="who settled it")
    resolve.add_argument("--note", help="what was done (up to 500 characters)")
    resolve.set_defaults(handler=sync_resolve)


def journal_tail(cli: Cli) -> ExitCode:
    if not 1 <= cli.args.lines <= 1000:
        raise CliFailure("-n must be 1..1000", ExitCode.USAGE)
    result = cli.call("journal.tail", {"lines": cli.args.lines})
    if not cli.args.follow:
        if cli.out.as_json:
            cli.out.json(result["events"])
        else:
            cli.out.table("Journal", ["seq", "at", "kind", "item", "patron", "details"],
                          [_columns(e) for e in result["events"]])
        return ExitCode.OK
    _show_lines(cli, result["events"])
    last = result["last_seq"]
    try:
        while True:
            time.sleep(FOLLOW_EVERY)
            result = cli.call("journal.tail", {"after": last})
            _show_lines(cli, result["events"])
            last = result["last_seq"]
    except KeyboardInterrupt:
        return ExitCode.OK


def _show_lines(cli: Cli, events: list[dict]) -> None:
    for event in events:
        if cli.out.as_json:
            print(json.dumps(event, ensure_ascii=False), flush=True)
        else:
            cli.out.console.print("  ".join(str(c) for c in _columns(event)), markup=False)


def _columns(event: dict) -> tuple:
    details = {k: v for k, v in event["payload"].items() if k not in ("item_id", "patron_id")}
    return (event["seq"], event["at"], event["kind"], event["item_id"] or "—",
            event["patron_id"] or "—", json.dumps(details, ensure_ascii=False) if details else "")


def journal_export(cli: Cli) -> ExitCode:
    fmt = cli.args.format or ("json" if cli.out.as_json and cli.args.output is None else "csv")
    pages = _pages(cli, cli.args.since)
    if cli.args.output is None:
        write_events(pages, sys.stdout, fmt)
        return ExitCode.OK
    try:
        with cli.args.output.open("w", encoding="utf-8", newline="") as f:
            count = write_events(pages, f, fmt)
    except OSError as exc:
        raise CliFailure(f"cannot write {cli.args.output}: {exc}") from None
    if cli.out.as_json:
        cli.out.json({"exported": count, "output": str(cli.args.output), "format": fmt})
    else:
        cli.out.say(f"{count} events written to {cli.args.output} ({fmt})")
    return ExitCode.OK


def _pages(cli: Cli, since: str | None) -> Iterator[dict]:
    """Every exported event, page after page from the controller."""
    after = 0
    while True:
        page = cli.call("journal.export", {"since": since or "", "after": after})
        yield from page["events"]
        if not page["more"] or not page["events"]:
            return
        after = page["events"][-1]["seq"]


def write_events(events: Iterable[dict], stream: IO[str], fmt: str) -> int:
    """Write event rows as CSV (one row each, the payload as compact JSON) or a JSON array."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        for event in events:
            row = {**event, "payload": json.dumps(event["payload"], ensure_ascii=False,
                                                  sort_keys=True, separators=(",", ":"))}
            writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
            count += 1
        return count
    stream.write("[")
    for event in events:
        stream.write(("," if count else "") + "\n" + json.dumps(event, ensure_ascii=False))
        count += 1
    stream.write("\n]\n")
    return count


def sync_now(cli: Cli) -> ExitCode:
    result = cli.call("sync.now", changes=True)
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.fields("Sync", result)
    return ExitCode.OK


def sync_status(cli: Cli) -> ExitCode:
    result = cli.call("sync.status")
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.fields("Sync", {
            "online": "yes" if result["online"] else "no", "backlog": result["backlog"],
            "lag": f"{result['lag_seconds']:.0f} s", "last delivery": result["last_delivery_at"],
            "last error": result["last_error"],
            "failures in a row": result["consecutive_failures"],
            "open conflicts": result["open_conflicts"],
            "of them not recorded": result["open_refused"],
            "offline lending": "allowed" if result["offline_lending"] else "forbidden"})
    return ExitCode.OK


def sync_conflicts(cli: Cli) -> ExitCode:
    result = cli.call("sync.conflicts", {"all": cli.args.all})
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.table("Conflicts" if not cli.args.all else "Conflicts (resolved too)",
                      ["event", "kind", "item", "patron", "when", "library's reason", "to do",
                       "resolved"], [_conflict_columns(c) for c in result])
    return ExitCode.FOUND if any(c["resolved_at"] is None for c in result) else ExitCode.OK


def _conflict_columns(conflict: dict[str, Any]) -> tuple:
    resolved = (f"{conflict['resolved_by']} {conflict['resolved_at']}"
                if conflict["resolved_at"] else "open")
    return (conflict["event_id"], conflict["kind"], conflict["item_id"], conflict["patron_id"],
            conflict["occurred_at"], conflict["reason"], conflict["todo"].replace("_", " "),
            resolved)


def sync_resolve(cli: Cli) -> ExitCode:
    body = {"event_id": cli.args.event_id, "by": cli.args.by}
    if cli.args.note:
        body["note"] = cli.args.note
    result = cli.call("sync.resolve", body, changes=True)
    if cli.out.as_json:
        cli.out.json(result)
    else:
        cli.out.say(f"conflict {result['event_id']} resolved by {result['resolved_by']}")
    return ExitCode.OK
