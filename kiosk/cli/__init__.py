"""kiosk: run the controller, or ask a running one (the technician's commands)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kiosk.cli import (
    commands_access,
    commands_alerts,
    commands_audit,
    commands_core,
    commands_jobs,
    commands_records,
    commands_stock,
    commands_usage,
)
from kiosk.cli.context import Cli
from kiosk.cli.output import ExitCode, Out, run_command
from kiosk.config import ConfigError, load_config

DEFAULT_CONFIG = Path("config/demo.toml")
COMMAND_MODULES = (commands_core, commands_jobs, commands_audit, commands_stock, commands_records,
                   commands_usage, commands_alerts, commands_access)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    args = _parser().parse_args(argv)
    out = Out(getattr(args, "json", False))
    if not getattr(args, "needs_config", True):  # e.g. pin-hash: works without a controller
        sys.exit(run_command(args.handler, Cli(None, args, out), out=out))
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        out.error(str(exc))
        sys.exit(ExitCode.USAGE)
    if args.command == "run":
        sys.exit(_run(config))
    sys.exit(run_command(args.handler, Cli(config, args, out), out=out))


def _run(config) -> int:
    from kiosk import logs
    from kiosk.app import run
    from kiosk.steps import StartRefused
    logs.configure(config.log)
    try:
        asyncio.run(run(config))
    except KeyboardInterrupt:
        pass
    except StartRefused as exc:
        print(f"kiosk: refusing to start: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="TOML config (default: config/demo.toml)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="answer in JSON")
    common.add_argument("--pin-file", type=Path,
                        help="read the technician PIN from this file (else $KIOSK_PIN, "
                        "else asked)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the controller")
    for module in COMMAND_MODULES:
        module.register(commands, common)
    return parser


if __name__ == "__main__":
    main()
