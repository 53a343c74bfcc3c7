"""Technician commands (usage): stats, collection suggest."""

from __future__ import annotations

import argparse
import csv
from datetime import date
from pathlib import Path

from kiosk.cli.context import Cli
from kiosk.cli.output import CliFailure, ExitCode
from kiosk.collection_advice import COLUMNS
from kiosk.usage import report_tables

TOP = 15  # rows of the long tables a person sees (--json and --csv have them all)


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    period = argparse.ArgumentParser(add_help=False)
    period.add_argument("--since", type=_day, help="first local day, YYYY-MM-DD (default: "
                        "30 days before --until)")
    period.add_argument("--until", type=_day, help="last local day, YYYY-MM-DD (default: today)")
    period.add_argument("--idle-days", type=int, default=14,
                        help="a title not lent for this many days is idle (default 14)")
    help = "loans per day and hour, borrowers, turnover, idle titles, refusals, late returns, " \
        "faults, vend times"
    stats_parser = commands.add_parser("stats", help=help, description=help,
                                       parents=[common, period])
    stats_parser.add_argument("--csv", type=Path, metavar="DIR",
                              help="also write every table as DIR/<table>.csv")
    stats_parser.set_defaults(handler=stats)
    help = "which titles to add and which copies to withdraw, with the reasons"
    collection = commands.add_parser("collection", help=help, description=help)
    actions = collection.add_subparsers(dest="action", required=True, metavar="ACTION")
    suggest_parser = actions.add_parser("suggest", help=help, description=help,
                                        parents=[common, period])
    suggest_parser.add_argument("count", type=int, help="how many titles to add and to withdraw")
    suggest_parser.add_argument("--catalogue", type=Path,
                                help="CSV of candidate titles: title, authors, year, popularity "
                                "0..1 (or ratings_count), optional item_id/isbn13")
    suggest_parser.set_defaults(handler=suggest)


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _period(cli: Cli) -> dict:
    args = cli.args
    body = {"idle_days": args.idle_days}
    body.update({key: getattr(args, key) for key in ("since", "until") if getattr(args, key)})
    return body


def stats(cli: Cli) -> ExitCode:
    report = cli.call("stats", _period(cli))
    if cli.args.csv is not None:
        _write_csv(cli, cli.args.csv, report_tables(report))
    if cli.out.as_json:
        cli.out.json(report)
        return ExitCode.OK
    for name, (columns, rows) in report_tables(report, top=TOP).items():
        cli.out.table(name.replace("_", " ").capitalize(), columns, rows)
    return ExitCode.OK


def _write_csv(cli: Cli, directory: Path, tables: dict) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, (columns, rows) in tables.items():
            with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                writer.writerows(rows)
    except OSError as exc:
        raise CliFailure(f"cannot write the CSV files: {exc}", ExitCode.FAILED) from None
    cli.out.say(f"{len(tables)} tables written to {directory}/")


def suggest(cli: Cli) -> ExitCode:
    rows, cleaned = _catalogue(cli.args.catalogue) if cli.args.catalogue else ([], 0)
    if cleaned:
        cli.out.say(f"{cleaned} catalogue fields had invisible characters (e.g. U+200C), "
                    "left out for matching")
    body = {**_period(cli), "count": cli.args.count, "catalogue": rows}
    result = cli.call("collection.suggest", body, timeout=120.0)
    if cli.out.as_json:
        cli.out.json(result)
        return ExitCode.OK
    cli.out.table("Add", ["title", "authors", "year", "popularity", "reasons", "why"],
                  [(r["title"], r["authors"], r["year"], r["popularity"], " ".join(r["reasons"]),
                    r["why"]) for r in result["add"]])
    cli.out.table("More copies", ["title", "authors", "popularity", "why"],
                  [(r["title"], r["authors"], r["popularity"], r["why"])
                   for r in result["more_copies"]])
    cli.out.table("Withdraw", ["item", "slot", "title", "year", "popularity", "reasons", "why"],
                  [(r["item_id"], r["slot"], r["title"], r["year"], r["popularity"],
                    " ".join(r["reasons"]), r["why"]) for r in result["withdraw"]])
    if not cli.args.catalogue:
        cli.out.say("No --catalogue: additions come from this machine's use only.")
    return ExitCode.OK


def _catalogue(path: Path) -> tuple[list[dict], int]:
    """The catalogue's rows (only the columns the advice reads), and how many fields lost
    characters the control socket refuses (e.g. a zero-width joiner in a name)."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if "title" not in (reader.fieldnames or []):
                raise CliFailure(f"{path}: the catalogue needs a 'title' column", ExitCode.USAGE)
            rows = [{key: row[key] for key in COLUMNS if row.get(key)} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CliFailure(f"cannot read the catalogue: {exc}", ExitCode.USAGE) from None
    cleaned = 0
    for row in rows:
        for key, value in row.items():
            printable = "".join(c for c in value if c.isprintable())
            if printable != value:
                row[key], cleaned = printable, cleaned + 1
    return rows, cleaned
