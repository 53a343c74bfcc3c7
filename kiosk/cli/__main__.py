"""`python -m kiosk.cli`."""

from kiosk.cli import main

main()
