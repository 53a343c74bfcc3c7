"""python -m sim: the same as kiosk-sim."""

from sim.cli import main

main()
