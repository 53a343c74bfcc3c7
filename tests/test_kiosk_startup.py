"""End to end: the controller refuses to start on a PLC that is not the machine configured."""

from __future__ import annotations

import socket
import subprocess
import sys

from conftest import ROOT, start_sim
from kiosk_rig import CONFIG, DEMO_TOKEN, KioskRig


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


def test_a_plc_unreachable_at_start_is_out_of_service_and_a_reset_brings_it_back(tmp_path):
    with socket.socket() as probe:  # a port for the PLC that stays the same across its restart
        probe.bind(("127.0.0.1", 0))
        modbus_port = str(probe.getsockname()[1])
    sim_dir = tmp_path / "sim"
    sim = start_sim(sim_dir, "--speed", "20", "--modbus-port", modbus_port)
    endpoints = (sim_dir / "endpoints.json").read_text()
    sim.stop()  # the PLC is switched off when the controller starts
    (tmp_path / "endpoints.json").write_text(endpoints)
    (tmp_path / "token").write_text(DEMO_TOKEN)
    config = tmp_path / "kiosk.toml"
    config.write_text(CONFIG.format(endpoints=tmp_path / "endpoints.json",
                                    policy="always_open = true", pickup_timeout=10.0))
    rig = KioskRig(sim=sim, directory=tmp_path, config_path=config)
    try:
        rig.start(wait_ready=False)
        state = rig.wait_state("out_of_service", timeout=120)
        assert state["fault"]["code"] == "device"
        rig.sim = start_sim(sim_dir, "--speed", "20", "--modbus-port", modbus_port)
        rig.control("reset")  # opens the link that never opened, homes, recovers
        assert rig.wait_state("ready", timeout=120)["fault"] is None
    finally:
        rig.stop()
        rig.sim.stop()
