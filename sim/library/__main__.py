"""Run the library-system emulator alone: python -m sim.library --db library.sqlite."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from sim.collection import demo_collection
from sim.library.app import DEMO_TOKEN, LibrarySim
from sim.library.sip2_profiles import DEFAULT_PROFILE, PROFILES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m sim.library", description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="SQLite file (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--sip2-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--machine-id", default="kiosk-1")
    parser.add_argument("--token", default=DEMO_TOKEN, help="bearer token and SIP2 password")
    parser.add_argument("--timezone", default="Asia/Seoul")
    parser.add_argument("--sip2-encoding", default="utf-8")
    parser.add_argument("--sip2-profile", default=DEFAULT_PROFILE, choices=sorted(PROFILES),
                        help="how the SIP2 server behaves (docs/library.md)")
    parser.add_argument("--sip2-idle-timeout", type=float, default=None,
                        help="seconds before an idle SIP2 connection is closed (0: never; "
                             "default: the profile's)")
    parser.add_argument("--sip2-terminal-password", default=None,
                        help="when set, SIP2 requests must carry it in AC")
    parser.add_argument("--books", type=int, default=960, help="size of the demo collection")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the emulator, print its endpoint as one JSON line, run until cancelled."""
    sim = LibrarySim(args.db, machine_id=args.machine_id, token=args.token,
                     timezone=args.timezone, sip2_encoding=args.sip2_encoding,
                     sip2_profile=args.sip2_profile, sip2_idle_timeout=args.sip2_idle_timeout,
                     sip2_terminal_password=args.sip2_terminal_password)
    sim.load_demo(demo_collection(args.books))
    await sim.start(args.host, args.http_port, args.sip2_port)
    print(json.dumps(sim.endpoint()), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    try:
        asyncio.run(serve(parse_args(argv)))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
