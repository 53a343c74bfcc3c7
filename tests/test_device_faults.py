"""The device-faults campaign: a patron borrows or returns a book while one device fault strikes
at a seeded moment; the machine must reach a safe state, tell the patron, alert the technician,
serve again after the technician's remedy and reset, and lose or invent nothing.

Faults (tests/device_fault_cases.py; the hands and eyes in tests/device_fault_visit.py): a jam
of each fault code 1..7 on each patron move (FETCH, RETRACT, STORE; the PLC spec gives door
commands no JAM, so doors fail by being blocked) and on the technician's HOME; a blocked pickup
door and return shutter; the PLC hanging and rebooting; tag reads failing; RFID collisions (two
books pushed in together, an unresolvable collision at the return and at the pickup antenna);
the card reader lost; the journal's disk full, before and during a vend. Each case runs on a
machine of its own (simulator at speed 20 and a real controller): about 10 s, every wait bounded
(60 s): the 36 cases took 4.4 min of cases, 2.4 min of wall time on two workers; `make test`
runs the four marked fast (about 25 s).
"""

from __future__ import annotations

import random

import pytest

from device_fault_cases import ABOUT, CASES, Case
from device_fault_visit import Visit
from kiosk_rig import make_rig
from test_crash import (
    assert_journal_is_the_world,
    assert_library_agrees,
    assert_machine_at_rest,
    open_journal,
)


PICKUP_TIMEOUT = 3.0  # s: a patron who walks away from the open door (the RETRACT cases)
ALERTS = """[alerts]
evaluate_every = 0.5
min_free_slots = 0
"""


@pytest.fixture
def machine(make_sim, tmp_path):
    """A fresh machine whose controller reaches pcscd through the simulator's cuttable link."""
    sim = make_sim("--speed", "20")
    rig = make_rig(sim, tmp_path / "kiosk", pickup_timeout=PICKUP_TIMEOUT, extra=ALERTS,
                   env={"PCSCLITE_CSOCK_NAME": sim.endpoints["card"]["pcsc_socket"]})
    yield rig
    rig.stop()


@pytest.mark.parametrize("case", [
    pytest.param(case, id=case.id, marks=pytest.mark.campaign(name="device_faults",
                                                              fast=case.fast))
    for case in CASES])
def test_a_device_fault_is_safe_told_alerted_resumed_and_loses_nothing(machine, case: Case,
                                                                       campaign_facts):
    campaign_facts.update({"runs": 1, "safe_state": 0, "patron_told": 0, "alerted": 0,
                           "resumed": 0, "fault": case.kind, "about": ABOUT})
    visit = Visit(machine, random.Random(case.seed), campaign_facts)
    books = case.run(visit)

    rig = visit.rig
    campaign_facts["lost"] = 1  # until the journal, the world and the library agree
    rig.stop()
    world = rig.sim.world_get()
    with open_journal(rig) as journal:
        assert_journal_is_the_world(journal, world)
        assert_library_agrees(rig, journal, books)
    assert_machine_at_rest(world)
    campaign_facts["lost"] = 0
