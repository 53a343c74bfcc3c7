"""Benchmarks (`python -m bench`): each bench/<name>.py has TITLE and main().

main() measures, in one run, what it compares and returns the body of its section of
docs/PERFORMANCE.md (without the heading), or (body, [Verdict, ...]) when it has budgets; the
runner writes the body under "## TITLE" and each verdict as a row of the budgets table on top.
"""

from __future__ import annotations

import platform
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """One budget: what was measured against its limit, met or not (and if not, why)."""

    budget: str  # what is measured, e.g. "vend overhead p95"
    measured: str  # the figure, with its unit
    limit: str  # the budget, e.g. "<= 50 ms"
    met: bool
    note: str = ""  # a miss: by how much and why (or where the section says)


def machine() -> str:
    """The machine a figure was measured on, for the documents."""
    return (f"{platform.machine()} {os.cpu_count()} CPU, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")
