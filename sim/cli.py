"""kiosk-sim: run the headless machine simulator."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from sim.app import VPCD_PORT, SimOptions, Simulator
from sim.store import WORLD_FILE, StoreError


def parse_args(argv: list[str] | None = None) -> SimOptions:
    """Options from the command line."""
    parser = argparse.ArgumentParser(prog="kiosk-sim", description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True,
                        help="the machine's memory (world.json, the library's database) and "
                             "endpoints.json; a saved world is loaded at start")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="how many times faster than the real machine motions run (0.1..1000)")
    parser.add_argument("--empty", action="store_true", help="a new machine starts with an empty drum "
                        "(ignored when the state dir holds a saved world)")
    parser.add_argument("--modbus-port", type=int, default=0, help="Modbus TCP port (0: any free)")
    parser.add_argument("--world-port", type=int, default=0, help="world API port (0: any free)")
    parser.add_argument("--vpcd-port", type=int, default=VPCD_PORT,
                        help="vsmartcard-vpcd port of the reader that gets the virtual card")
    parser.add_argument("--scaled-library-clock", action="store_true",
                        help="the library emulator's clock runs at --speed too (days pass "
                             "--speed times faster for loans and due dates)")
    args = parser.parse_args(argv)
    if not 0.1 <= args.speed <= 1000:
        parser.error("--speed must be between 0.1 and 1000")
    return SimOptions(state_dir=args.state_dir.resolve(), speed=args.speed, empty=args.empty,
                      modbus_port=args.modbus_port, world_port=args.world_port,
                      vpcd_port=args.vpcd_port,
                      scaled_library_clock=args.scaled_library_clock)


async def run(options: SimOptions) -> None:
    """Start the simulator, print where everything is, run until SIGINT or SIGTERM."""
    simulator = Simulator(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    endpoints = await simulator.start()
    print(describe(endpoints, options.state_dir, simulator.restored), flush=True)
    try:
        await stop.wait()
    finally:
        await simulator.stop()


def describe(endpoints: dict, state_dir: Path, restored: bool = False) -> str:
    """A human-readable summary of the endpoints."""
    lines = ["kiosk-sim is running.",
             f"  Modbus TCP   {endpoints['modbus']['host']}:{endpoints['modbus']['port']}",
             f"  Modbus RTU   {endpoints['modbus_rtu']['path']}",
             f"  RFID reader  {endpoints['rfid']['path']}",
             f"  Barcode      {endpoints['barcode']['path']}",
             f"  Card reader  {endpoints['card']['reader']} (via pcscd)",
             f"  World API    {endpoints['world']['url']}/world",
             f"  Panel        {endpoints['world']['url']}/panel   (the physical world, in a browser)",
             f"  Library      {endpoints['library']['url']}  "
             f"SIP2 {endpoints['library']['sip2_host']}:{endpoints['library']['sip2_port']}",
             f"  Endpoints    {state_dir / 'endpoints.json'}",
             f"  World        {state_dir / WORLD_FILE} ({'restored' if restored else 'new machine'})",
             "Press Ctrl-C to stop."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    options = parse_args(argv)
    try:
        asyncio.run(run(options))
    except KeyboardInterrupt:
        pass
    except (OSError, StoreError) as exc:
        print(f"kiosk-sim: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
