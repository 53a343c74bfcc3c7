"""End to end: the controller refuses to start on a PLC that is not the machine configured."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT
from kiosk_rig import CONFIG, DEMO_TOKEN


def test_a_plc_of_another_size_refuses_to_start_with_the_mismatch_named(sim, tmp_path):
    (tmp_path / "token").write_text(DEMO_TOKEN)
    config = tmp_path / "kiosk.toml"
    text = CONFIG.format(endpoints=sim.state_dir / "endpoints.json", policy="always_open = true",
                         pickup_timeout=10.0)
    config.write_text(text + "\n[carousel.geometry]\nlevels = 9\npositions = 100\n")
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(config), "run"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refusing to start" in done.stderr
    assert "LEVELS 10" in done.stderr and "levels = 9" in done.stderr
    assert "Traceback" not in done.stderr
