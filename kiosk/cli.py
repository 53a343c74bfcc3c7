"""kiosk: run the controller, or ask a running one (the technician's commands)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import sys
from pathlib import Path

from kiosk.config import ConfigError, load_config

DEFAULT_CONFIG = Path("config/demo.toml")


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.command == "run":
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
        from kiosk.app import run
        from kiosk.steps import StartRefused
        try:
            asyncio.run(run(config))
        except KeyboardInterrupt:
            pass
        except StartRefused as exc:
            print(f"kiosk: refusing to start: {exc}", file=sys.stderr)
            sys.exit(2)
        return
    sys.exit(_ask(config, args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="TOML config (default: config/demo.toml)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the controller")
    commands.add_parser("status", help="state, faults, sync backlog and stock of a running kiosk")
    commands.add_parser("flags", help="open audit flags")
    commands.add_parser("reset", help="after a fault is fixed: reset, home and go back in service")
    commands.add_parser("sync", help="deliver pending journal events now")
    stock = commands.add_parser("stock", help="record books loaded into the machine")
    stock.add_argument("loading_list", type=Path,
                       help="CSV with columns item_id, uid, slot, title[, authors, year, "
                       "subject, popularity]")
    clear = commands.add_parser("clear-flag", help="clear an audit flag after checking by hand")
    clear.add_argument("flag_id")
    clear.add_argument("--by", required=True, help="who checked")
    maintenance = commands.add_parser("maintenance", help="maintenance mode on or off")
    maintenance.add_argument("mode", choices=["on", "off"])
    return parser


def _ask(config, args) -> int:
    from kiosk.app import control_socket
    from kiosk.control import ask

    request, body = args.command, {}
    if args.command == "stock":
        with args.loading_list.open(encoding="utf-8", newline="") as f:
            body = {"items": list(csv.DictReader(f))}
    elif args.command == "clear-flag":
        body = {"flag_id": args.flag_id, "by": args.by}
    elif args.command == "maintenance":
        body = {"on": args.mode == "on"}
    try:
        answer = ask(control_socket(config), request, body)
    except OSError as exc:
        print(f"kiosk: cannot reach the controller: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer.get("result", answer), indent=2, ensure_ascii=False))
    return 0 if answer.get("ok") else 1


if __name__ == "__main__":
    main()
