"""The controller gives a PIN check's 16 MiB back to the system (glibc's mmap threshold)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# A child process: VmRSS growth (KiB) after PIN checks in executor threads, as the controller
# runs them; `unmap_large_blocks()` first when argv[1] is "fixed".
CHILD = """
import asyncio, sys
from pathlib import Path
from kiosk import technician_pin
from kiosk.app import unmap_large_blocks

def rss_kb():
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith("VmRSS")))

async def checks(stored):
    loop = asyncio.get_running_loop()
    for _ in range(6):
        await loop.run_in_executor(None, stored.matches, "000000")

if sys.argv[1] == "fixed":
    unmap_large_blocks()
stored = technician_pin.parse(technician_pin.hash_pin("123456"))
before = rss_kb()
asyncio.run(checks(stored))
print(rss_kb() - before)
"""


def rss_growth_kb(mode: str) -> int:
    """The child's RSS growth over six PIN checks, in KiB."""
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_pin_checks_leave_no_scrypt_block_resident():
    growth = rss_growth_kb("fixed")
    assert growth < 4 * 1024, f"RSS grew {growth} KiB over six PIN checks"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_without_the_fixed_threshold_a_pin_check_stays_resident():
    """The reason for the setting: glibc's moving threshold keeps scrypt's block."""
    assert rss_growth_kb("default") > 12 * 1024
