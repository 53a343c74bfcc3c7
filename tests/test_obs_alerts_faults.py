"""End to end: each alert of the controller raised by its real fault, seen in /metrics and at a
webhook receiver on 127.0.0.1; the e-stop, the book left in the pickup port, the library link and
few free slots are in test_obs_kiosk.py."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import pytest

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER_CARD, KioskRig
from test_kiosk_holds import HOLDER_CARD, hold_at_the_library_desk, synced
from test_kiosk_records import cli_json, kiosk_cli, lend_offline_to_a_patron_blocked_meanwhile
from test_kiosk_returns_barcode import insert_with_broken_tag
from test_obs_kiosk import Hook, news, value, wait_news


@pytest.fixture
def receiver():
    """The technician's webhook receiver on 127.0.0.1 (its URL); Hook.bodies holds what came."""
    Hook.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()


def config(hook: str, bin_capacity: int = 30) -> str:
    """Alerts evaluated often, sent to the test's receiver; few free slots never alerts here."""
    return f"""[alerts]
evaluate_every = 0.5
min_free_slots = 0
bin_capacity = {bin_capacity}
webhook = "{hook}"
webhook_retries = 1
"""


def active(rig: KioskRig, alert: str) -> float | None:
    return value(rig, "kiosk_alert_active", alert=alert)


def out_of_service(rig: KioskRig, count: int, code: str, detail: str) -> None:
    """The `count`th out-of-service alert fires for this fault (its detail starting so): at the
    webhook and in /metrics."""
    rig.wait_state("out_of_service")
    firing = wait_news("out_of_service", "firing", count)
    assert firing["detail"]["fault"] == code, firing
    assert firing["detail"]["fault_detail"].startswith(detail), firing
    assert firing["machine"] == "kiosk-1"
    assert active(rig, "out_of_service") == 1.0
    assert value(rig, "kiosk_fault_active", code=code) == 1.0


def back_in_service(rig: KioskRig, count: int) -> None:
    """`kiosk reset` ends the `count`th out-of-service alert."""
    rig.control("reset")
    rig.wait_state("ready")
    wait_news("out_of_service", "resolved", count)
    assert active(rig, "out_of_service") == 0.0


def audit_where_the_world_has(rig: KioskRig, item: str) -> None:
    """Audit the slot the book really is in and let the journal follow the findings."""
    slot = next(int(s) for s, e in rig.sim.world_get()["slots"].items() if e["item_id"] == item)
    run = rig.control("audit", {"slots": [slot]})
    rig.control("audit-fix", {"run_id": run["run_id"]})


def clear_flags(rig: KioskRig) -> None:
    """The technician looked at each flagged slot: every flag cleared, the alert ends."""
    for flag in rig.control("flags"):
        rig.control("clear-flag", {"flag_id": flag["flag_id"], "by": "Lee"})
    wait_for(lambda: news("audit_flags", "resolved"), 30, message="audit_flags resolved")
    assert active(rig, "audit_flags") == 0.0 and value(rig, "kiosk_audit_flags_open") == 0.0


def test_each_mechanical_fault_puts_the_machine_out_of_service_with_its_alert(make_kiosk,
                                                                             receiver):
    rig = make_kiosk(extra=config(receiver))
    # a jam mid-fetch: out of service, and the book it held is flagged for an audit
    rig.start_session(GOOD_MEMBER_CARD)
    item = rig.books()[0]["item_id"]
    rig.sim.world_post("/faults/jam", {"fault_code": 1})  # the next motion jams
    rig.api("/api/cart/add", {"item_id": item})  # its fetch starts at once, and jams
    out_of_service(rig, 1, "device", "FaultLatched")
    flagged = wait_news("audit_flags", "firing")
    assert flagged["detail"]["open_flags"] >= 1
    assert active(rig, "audit_flags") == 1.0 and value(rig, "kiosk_audit_flags_open") >= 1.0
    back_in_service(rig, 1)
    audit_where_the_world_has(rig, item)  # the book is found: its flag may be cleared
    clear_flags(rig)

    # a door that cannot close: the pickup door after the patron took the book. One blocked
    # close is tried again (a passing hand); something left in its curtain keeps it blocked.
    rig.sim.world_post("/faults/door-blocked", {"door": "pickup"})
    rig.start_session(GOOD_MEMBER_CARD)
    rig.api("/api/cart/add", {"item_id": rig.books()[0]["item_id"]})
    rig.api("/api/cart/confirm")
    rig.wait_state("awaiting_take")
    rig.sim.world_post("/hand", {"door": "pickup", "present": True})
    rig.sim.world_post("/pickup/take")
    out_of_service(rig, 2, "device", "DoorBlocked")
    rig.sim.world_post("/hand", {"door": "pickup", "present": False})
    back_in_service(rig, 2)

    # the PLC hangs: its heartbeat stops
    rig.sim.world_post("/faults/plc-hang", {"hang": True})
    out_of_service(rig, 3, "device", "HeartbeatStalled")
    rig.sim.world_post("/faults/plc-hang", {"hang": False})
    back_in_service(rig, 3)

    # the PLC loses power and boots again
    rig.sim.world_post("/faults/plc-power-cycle")
    out_of_service(rig, 4, "device", "PlcRebooted")
    back_in_service(rig, 4)

    # the service door left open: the PLC's interlock
    rig.sim.world_post("/service-door", {"open": True})
    out_of_service(rig, 5, "interlock", "service door open or emergency stop pressed")
    rig.sim.world_post("/service-door", {"open": False})
    back_in_service(rig, 5)
    assert value(rig, "kiosk_faults_total", code="device") == 4.0
    assert value(rig, "kiosk_faults_total", code="interlock") == 1.0


def test_held_books_audit_flags_the_bin_and_conflicts_each_raise_their_alert(make_kiosk,
                                                                            receiver):
    rig = make_kiosk(extra=config(receiver, bin_capacity=1))  # one book in the bin: nearly full
    # a book on loan from here, held at the library for Oh, comes back: kept on the shelf for him
    rig.start_session(GOOD_MEMBER_CARD)
    book = rig.books()[0]["item_id"]
    rig.borrow([book])
    rig.api("/api/session/end")
    rig.wait_state("ready")
    synced(rig)
    hold_at_the_library_desk(rig, book)
    assert rig.return_book({"item_id": book})["state"] == "ready"
    assert wait_news("returned_book_held", "firing")["detail"]["books"] == 1
    assert active(rig, "returned_book_held") == 1.0 and value(rig, "kiosk_holds_ready") == 1.0
    rig.start_session(HOLDER_CARD)  # Oh takes his book: nothing held waits any more
    rig.borrow([book])
    rig.api("/api/session/end")
    rig.wait_state("ready")
    wait_news("returned_book_held", "resolved")
    assert active(rig, "returned_book_held") == 0.0
    assert rig.return_book({"item_id": book})["state"] == "ready"  # Oh may lend offline below

    # a book taken out of its slot behind the controller's back: the audit flags it missing
    slot, entry = next(iter(rig.sim.world_get()["slots"].items()))
    rig.sim.world_post("/slots/move", {"from": int(slot), "to": None})
    run = rig.control("audit", {"slots": [int(slot)]})
    rig.control("audit-fix", {"run_id": run["run_id"]})
    assert [(f["reason"], f["item_id"]) for f in rig.control("flags")] == [
        ("item_missing", entry["item_id"])]
    assert wait_news("audit_flags", "firing")["detail"]["open_flags"] == 1
    assert active(rig, "audit_flags") == 1.0  # stays: the book is missing (cleared: first test)

    # a return whose tag cannot be read goes to the bin by its barcode: the bin is nearly full
    rig.start_session(GOOD_MEMBER_CARD)
    broken = rig.books()[0]["item_id"]
    rig.borrow([broken])
    rig.api("/api/session/end")
    synced(rig)
    insert_with_broken_tag(rig, broken)
    rig.sim.world_post("/return/take-back")
    rig.sim.world_post("/barcode/scan", {"data": broken})
    rig.wait_state(lambda s: (s["progress"] or {}).get("step") == "insert_again")
    rig.sim.world_post("/return/insert", {"item_id": broken})
    rig.wait_state("ready")
    assert wait_news("overflow_bin_nearly_full", "firing")["detail"] == {
        "items": 1, "capacity": 1, "sensor_full": False}
    assert active(rig, "overflow_bin_nearly_full") == 1.0
    assert value(rig, "kiosk_items", place="bin") == 1.0

    # the library objects to an offline loan when it comes back: a sync conflict
    lend_offline_to_a_patron_blocked_meanwhile(rig)
    assert wait_news("sync_conflicts", "firing")["detail"] == {"conflicts": 1, "refused": 0}
    assert active(rig, "sync_conflicts") == 1.0 and value(rig, "kiosk_sync_conflicts") == 1.0
    [conflict] = cli_json(rig, "sync", "conflicts", exit_code=6)
    done = kiosk_cli(rig, "sync", "resolve", conflict["event_id"], "--by", "Lee")
    assert done.returncode == 0, done.stderr
    wait_news("sync_conflicts", "resolved")
    assert active(rig, "sync_conflicts") == 0.0 and value(rig, "kiosk_sync_conflicts") == 0.0

