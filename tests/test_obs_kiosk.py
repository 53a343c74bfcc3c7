"""End to end: the metrics, /health, the alerts and their webhook, and masked logs of a real
controller on the simulator; faults raised through the world API and the library emulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER, GOOD_MEMBER_CARD

FREE_SLOTS = 40  # the demo collection leaves 40 of 1,000 slots free


class Hook(BaseHTTPRequestHandler):
    """The technician's webhook receiver: keeps every JSON body."""

    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        type(self).bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def hook_url():
    Hook.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()


def config(hook: str) -> str:
    return f"""[alerts]
evaluate_every = 0.5
pickup_left_after = 1.0
library_down_after = 1.0
min_free_slots = {FREE_SLOTS + 1}
webhook = "{hook}"
webhook_retries = 1

[log]
format = "json"
level = "DEBUG"
"""


def scrape(rig) -> str:
    response = requests.get(f"{rig.ui_url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return response.text


def value(rig, name: str, **labels: str) -> float | None:
    """One sample of the exposition (None: absent)."""
    for family in text_string_to_metric_families(scrape(rig)):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def news(alert: str, status: str) -> list[dict]:
    return [b for b in Hook.bodies if b["alert"] == alert and b["status"] == status]


def wait_news(alert: str, status: str, count: int = 1) -> dict:
    wait_for(lambda: len(news(alert, status)) >= count, 30,
             message=f"webhook {alert} {status} #{count}")
    return news(alert, status)[count - 1]


def health(rig) -> tuple[int, dict]:
    response = requests.get(f"{rig.ui_url}/health", timeout=10)
    return response.status_code, response.json()


def test_exposition_passes_promtool_and_counts_a_session(make_kiosk, hook_url):
    rig = make_kiosk(extra=config(hook_url))
    text = scrape(rig)
    checked = subprocess.run([shutil.which("promtool") or "promtool", "check", "metrics"],
                             input=text, capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert value(rig, "kiosk_state", state="ready") == 1.0
    assert value(rig, "kiosk_slots_free") == FREE_SLOTS
    assert value(rig, "kiosk_plc_cycles_total") is not None
    assert value(rig, "kiosk_library_up") == 1.0
    assert health(rig) == (200, {"state": "ready", "fault": None, "library_up": True,
                                 "sync_backlog": 0, "healthy": True,
                                 "alerts": health(rig)[1]["alerts"],
                                 "speech": health(rig)[1]["speech"]})
    assert health(rig)[1]["speech"]["ok"] is True  # the rig speaks into files
    # fewer free slots than [alerts] min_free_slots: the alert starts; lending a book ends it
    assert wait_news("few_free_slots", "firing")["detail"]["free_slots"] == FREE_SLOTS
    assert rig.control("alerts")[0]["alert"] == "few_free_slots"
    rig.start_session(GOOD_MEMBER_CARD)
    book = rig.books()[0]["item_id"]
    rig.borrow([book])
    rig.api("/api/session/end")
    rig.wait_state("ready")
    assert value(rig, "kiosk_vends_total", offline="false") == 1.0
    assert value(rig, "kiosk_vend_mechanics_seconds_count") == 1.0
    assert value(rig, "kiosk_vend_overhead_seconds_count") == 1.0
    wait_news("few_free_slots", "resolved")
    assert value(rig, "kiosk_alert_active", alert="few_free_slots") == 0.0
    rig.return_book({"item_id": book})
    assert value(rig, "kiosk_returns_total", outcome="accepted") == 1.0
    assert value(rig, "kiosk_returns_stored_total", place="slot") == 1.0
    wait_news("few_free_slots", "firing", 2)
    # the log: one JSON object per line, no card UID or member number unmasked
    wait_for(lambda: "******C3" in rig.log() or "**********01" in rig.log(), 10,
             message="a masked id in the log (the library calls at DEBUG name the patron)")
    lines = [line for line in rig.log().splitlines() if line.strip()]
    assert all(json.loads(line)["level"] for line in lines)
    assert GOOD_MEMBER_CARD not in rig.log() and GOOD_MEMBER not in rig.log()


def test_faults_raise_their_alerts_and_a_reset_ends_them(make_kiosk, hook_url):
    rig = make_kiosk(extra=config(hook_url))
    rig.start_session(GOOD_MEMBER_CARD)
    book = rig.books()[0]["item_id"]
    rig.api("/api/cart/add", {"item_id": book})
    rig.api("/api/cart/confirm")
    rig.wait_state("awaiting_take")
    rig.sim.world_post("/estop", {"pressed": True})  # the book stays in the open pickup port
    rig.wait_state("out_of_service")
    firing = wait_news("out_of_service", "firing")
    assert firing["detail"]["fault"] == "interlock" and firing["machine"] == "kiosk-1"
    wait_news("pickup_item_left", "firing")
    status, body = health(rig)
    assert status == 503 and body["state"] == "out_of_service"
    assert {a["alert"] for a in body["alerts"]} >= {"out_of_service", "pickup_item_left"}
    assert value(rig, "kiosk_fault_active", code="interlock") == 1.0
    assert value(rig, "kiosk_faults_total", code="interlock") == 1.0
    assert value(rig, "kiosk_pickup_item_unclaimed") == 1.0
    rig.sim.world_post("/estop", {"pressed": False})
    rig.control("reset")
    rig.wait_state("ready")
    wait_news("out_of_service", "resolved")
    wait_news("pickup_item_left", "resolved")
    assert health(rig)[0] == 200
    # the library link: down while an offline loan waits to be delivered, then back
    rig.library("POST", "/admin/faults", {"transport": "http", "kind": "status", "status": 503})
    try:
        assert rig.start_session(GOOD_MEMBER_CARD)["session"]["offline"]
        rig.borrow([rig.books()[0]["item_id"]])
        rig.api("/api/session/end")
        assert wait_news("library_link_lost", "firing")["detail"]["backlog"] >= 1
        assert value(rig, "kiosk_library_up") == 0.0
        assert value(rig, "kiosk_vends_total", offline="true") == 1.0
    finally:
        rig.library("DELETE", "/admin/faults")
    wait_news("library_link_lost", "resolved")
    wait_for(lambda: value(rig, "kiosk_sync_backlog_events") == 0.0, 30, message="delivery")
