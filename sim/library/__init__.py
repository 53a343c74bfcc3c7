"""The library-system emulator: federation rules, HTTP/JSON and SIP2 over one SQLite."""

from sim.library.app import DEMO_TOKEN, LibrarySim
from sim.library.demo import DEMO_PATRONS, DemoPatron

__all__ = ["DEMO_PATRONS", "DEMO_TOKEN", "DemoPatron", "LibrarySim"]
