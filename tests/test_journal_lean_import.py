"""The journal imports sqlite-utils without numpy (the controller's memory: bench/footprint.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = """
import sys
import kiosk.journal, kiosk.app
loaded = "numpy" in sys.modules
import numpy, sqlite_utils.db
print(loaded, sqlite_utils.db.np is None, numpy.int8(3) + 1)
"""


def test_the_controller_loads_no_numpy_and_numpy_still_imports_afterwards() -> None:
    pytest.importorskip("numpy")  # with it installed, as in the project's venv
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "True", "4"]


def test_numpy_already_imported_is_left_to_sqlite_utils() -> None:
    pytest.importorskip("numpy")
    probe = "import numpy, kiosk.journal, sqlite_utils.db; print(sqlite_utils.db.np is numpy)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stdout.split() == ["True"]
