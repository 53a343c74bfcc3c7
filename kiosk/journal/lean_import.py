"""sqlite-utils imported without numpy and pandas, which it loads whenever they are installed."""

from __future__ import annotations

import sys

# sqlite-utils imports both at its own import, only to map their scalar types to column types;
# the journal writes none. numpy alone is ~16 MB resident and ~0.13 s of the controller's start
# (bench/footprint.py), and the project's venv has it for the benchmarks.
UNUSED = ("numpy", "pandas")


def import_sqlite_utils() -> None:
    """Import sqlite_utils with UNUSED hidden from it; later imports of them work as usual."""
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in UNUSED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # importing it raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]
