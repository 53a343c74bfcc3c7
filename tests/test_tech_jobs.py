"""Technician jobs on the running machine: home, doors, present, refusals, the PIN, faults.

The jobs that end with the machine ready share one (`shared_kiosk`); the others get a fresh one."""

from __future__ import annotations

from kiosk.control import ask as raw_ask
from kiosk_rig import TECHNICIAN_PIN


def ask(path, request: str, args: dict | None = None, timeout: float = 30.0, **kw) -> dict:
    """The control socket as a technician with the PIN asks it."""
    return raw_ask(path, request, args, timeout, pin=TECHNICIAN_PIN, **kw)


def job(kiosk, request: str, args: dict | None = None) -> dict:
    """A job request's whole answer (progress lines collected)."""
    progress: list[dict] = []
    answer = ask(kiosk.control_socket, request, args, 120, on_progress=progress.append)
    answer["progress"] = progress
    return answer


def test_doors_need_maintenance_and_then_open_and_close(kiosk):
    refused = ask(kiosk.control_socket, "door", {"action": "open", "door": "pickup"})
    assert refused["ok"] is False and refused["code"] == "busy"
    assert "maintenance" in refused["error"]
    kiosk.control("maintenance", {"on": True})
    opened = job(kiosk, "door", {"action": "open", "door": "pickup"})
    assert opened["ok"] and opened["result"]["pickup_door_closed"] is False
    assert kiosk.sim.world_get()["sensors"]["pickup_door_closed"] is False
    closed = job(kiosk, "door", {"action": "close", "door": "pickup"})
    assert closed["ok"] and closed["result"]["pickup_door_closed"] is True
    assert kiosk.state()["state"] == "maintenance"


def test_a_job_is_refused_while_a_patron_uses_the_machine(kiosk):
    kiosk.start_session()
    answer = ask(kiosk.control_socket, "home")
    assert answer["ok"] is False and answer["code"] == "busy"
    assert "patron" in answer["error"]


def test_a_fault_is_journaled_and_counted_by_stats(kiosk):
    kiosk.sim.world_post("/estop", {"pressed": True})
    kiosk.wait_state("out_of_service")
    assert kiosk.control("faults")["current"]["code"] == "interlock"
    kiosk.sim.world_post("/estop", {"pressed": False})
    kiosk.control("reset")
    kiosk.wait_state("ready")
    stats = kiosk.control("stats")
    assert stats["faults"]["out_of_service"] == [{"code": "interlock", "count": 1}]
    assert kiosk.control("faults")["history"][0]["code"] == "interlock"


# -- jobs that leave the machine ready: one machine for all (shared_kiosk), last in the module --
def test_present_reads_the_slots_book_next_to_the_journal(shared_kiosk):
    slot, slot_book = next(iter(shared_kiosk.sim.world_get()["slots"].items()))
    slot = int(slot)
    answer = job(shared_kiosk, "present", {"slot": slot})
    assert answer["ok"], answer
    assert answer["result"]["tag_item"] == slot_book["item_id"]
    assert answer["result"]["journal_item"] == slot_book["item_id"]
    assert shared_kiosk.state()["state"] == "ready"


def test_a_slot_out_of_range_is_refused(shared_kiosk):
    answer = ask(shared_kiosk.control_socket, "present", {"slot": 10**6})
    assert answer["ok"] is False and answer["code"] == "refused"
    assert "slot" in answer["error"]


def test_home_homes_and_the_machine_is_ready_again(shared_kiosk):
    answer = job(shared_kiosk, "home")
    assert answer["ok"], answer
    assert answer["result"]["homed"] is True and answer["result"]["ended_in"] == "done"
    assert answer["progress"]
    assert shared_kiosk.state()["state"] == "ready"


def test_a_job_without_the_technician_pin_is_refused(shared_kiosk):
    answer = raw_ask(shared_kiosk.control_socket, "home")
    assert answer["ok"] is False and answer["code"] == "denied"
    assert shared_kiosk.state()["state"] == "ready"
