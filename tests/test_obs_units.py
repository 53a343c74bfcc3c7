"""Alerts over readings, the webhook's retries, masked one-line logs, [alerts] and [log] config."""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import wait_for
from drivers.config import build_config
from drivers.errors import DriverConfigError
from kiosk.alerts import Alert, Alerts
from kiosk.config import AlertsConfig, LogConfig
from kiosk.logs import configure, mask
from kiosk.readings import Readings
from kiosk.webhook import Webhook

NOW = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)
QUIET = Readings(state="ready", fault=None, library_up=True, backlog=0, oldest_pending_age=0.0,
                 conflicts=0, refused=0, slots=1000, free_slots=40, items={"bin": 0},
                 readers={"card_reader": True, "barcode_scanner": True})


def started(alerts: Alerts, reading: Readings, at: float) -> set[str]:
    alerts.update(reading, NOW, at)
    return {alert for alert, firing in alerts.active().items() if firing}


def test_a_quiet_machine_raises_nothing():
    assert started(Alerts(AlertsConfig()), QUIET, 0.0) == set()


def test_each_condition_raises_its_alert_and_its_end_ends_it():
    sent: list[tuple[str, str]] = []
    alerts = Alerts(AlertsConfig(), lambda status, f: sent.append((status, f.alert.value)))
    cases = {
        Alert.OUT_OF_SERVICE: replace(QUIET, state="out_of_service",
                                      fault={"code": "jam", "detail": "drum"}),
        Alert.BIN_NEARLY_FULL: replace(QUIET, items={"bin": 24}),
        Alert.FEW_FREE_SLOTS: replace(QUIET, free_slots=19),
        Alert.SYNC_CONFLICTS: replace(QUIET, conflicts=1),
        Alert.AUDIT_FLAGS: replace(QUIET, open_flags=2),
        Alert.RETURN_HELD: replace(QUIET, holds_ready=1),
        Alert.READER_LOST: replace(QUIET, readers={"card_reader": False,
                                                   "barcode_scanner": True}),
    }
    for alert, reading in cases.items():
        assert started(alerts, reading, 0.0) == {alert.value}
        assert started(alerts, QUIET, 1.0) == set()
        assert sent[-2:] == [("firing", alert.value), ("resolved", alert.value)]
    assert started(alerts, replace(QUIET, items={"bin": 23}), 0.0) == set()
    full = replace(QUIET, bin_full_sensor=True)
    assert started(alerts, full, 0.0) == {"overflow_bin_nearly_full"}


def test_lasting_conditions_wait_their_threshold():
    config = AlertsConfig(pickup_left_after=60.0, library_down_after=600.0)
    alerts = Alerts(config)
    left = replace(QUIET, pickup_unclaimed=True, library_up=False)
    assert started(alerts, left, 0.0) == set()
    assert started(alerts, left, 59.0) == set()
    assert started(alerts, left, 60.0) == {"pickup_item_left"}
    assert started(alerts, left, 600.0) == {"pickup_item_left", "library_link_lost"}
    assert alerts.listing()[0]["alert"] == "pickup_item_left"
    assert started(alerts, replace(left, pickup_unclaimed=False), 601.0) == {"library_link_lost"}
    assert started(alerts, left, 602.0) == {"library_link_lost"}  # the wait starts again


def test_a_lost_reader_is_named():
    alerts = Alerts(AlertsConfig())
    alerts.update(replace(QUIET, readers={"card_reader": False, "barcode_scanner": False}),
                  NOW, 0.0)
    assert alerts.listing() == [{"alert": "reader_lost", "since": NOW.isoformat(),
                                 "detail": {"readers": ["barcode_scanner", "card_reader"]}}]


def test_out_of_service_names_its_fault():
    alerts = Alerts(AlertsConfig())
    alerts.update(replace(QUIET, state="out_of_service",
                          fault={"code": "interlock", "detail": "service door"}), NOW, 0.0)
    assert alerts.listing() == [{"alert": "out_of_service", "since": NOW.isoformat(),
                                 "detail": {"fault": "interlock",
                                            "fault_detail": "service door"}}]


class Receiver(BaseHTTPRequestHandler):
    """Answers 500 to the first `failures` POSTs, then 204; keeps every body."""

    failures = 0
    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        failing = type(self).failures > 0
        type(self).failures -= 1
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def receiver():
    Receiver.failures, Receiver.bodies = 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_webhook_retries_a_failed_post(receiver):
    Receiver.failures = 2
    hook = Webhook(receiver, timeout=2.0, retries=3, retry_pause=0.01)
    hook.send({"alert": "audit_flags", "status": "firing"})
    wait_for(lambda: len(Receiver.bodies) == 3, 10)
    hook.close()
    assert Receiver.bodies == [{"alert": "audit_flags", "status": "firing"}] * 3


def test_webhook_gives_up_after_its_retries_and_logs_it(receiver, caplog):
    Receiver.failures = 10
    hook = Webhook(receiver, timeout=2.0, retries=1, retry_pause=0.01)
    with caplog.at_level(logging.ERROR, logger="kiosk.webhook"):
        hook.send({"alert": "few_free_slots", "status": "firing"})
        hook.send({"alert": "few_free_slots", "status": "resolved"})
        hook.close(wait=10)
    assert len(Receiver.bodies) == 4  # each message: one try and one retry
    assert "few_free_slots firing not delivered after 2 attempts: HTTP 500" in caplog.text


def test_mask_hides_card_uids_and_member_numbers_only():
    line = ("card 04A1B2C3 and 04D4E5F6A1B280, member 111001000001, book EM00000042 tag "
            "E004015000000042, event 3f2a1b4c-1234-4abc-8def-0123456789ab, h:9f8e7d6c5b4a")
    masked = mask(line)
    for secret in ("04A1B2C3", "04D4E5F6A1B280", "111001000001"):
        assert secret not in masked
    for kept in ("EM00000042", "E004015000000042", "3f2a1b4c-1234-4abc-8def-0123456789ab",
                 "h:9f8e7d6c5b4a", "******C3"):
        assert kept in masked


@pytest.mark.parametrize("style", ["logfmt", "json"])
def test_one_masked_line_per_record(style):
    stream, root = io.StringIO(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    handler = configure(LogConfig(format=style, level="INFO"), stream)
    try:
        log = logging.getLogger("kiosk.test")
        log.debug("not shown")
        log.info("card %s seen", "04A1B2C3")
        try:
            raise ValueError("member 111001000001 refused")
        except ValueError:
            log.exception("failed for %s", "111001000001")
    finally:
        root.removeHandler(handler)
        for old in handlers:
            root.addHandler(old)
        root.setLevel(level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert not any(s in stream.getvalue() for s in ("04A1B2C3", "111001000001", "not shown"))
    if style == "json":
        records = [json.loads(line) for line in lines]
        assert records[0]["msg"] == "card ******C3 seen" and records[0]["level"] == "info"
        assert "ValueError: member **********01 refused" in records[1]["exc"]
    else:
        assert 'level=info logger=kiosk.test msg="card ******C3 seen"' in lines[0]
        assert "exc=" in lines[1] and "\\n" in lines[1]


def test_alerts_and_log_config_are_checked():
    with pytest.raises(DriverConfigError, match="webhook"):
        build_config(AlertsConfig, {"webhook": "ftp://x"}, "alerts")
    with pytest.raises(DriverConfigError, match="bin_nearly_full"):
        build_config(AlertsConfig, {"bin_nearly_full": 1.5}, "alerts")
    with pytest.raises(DriverConfigError, match="unknown key"):
        build_config(AlertsConfig, {"pager": "yes"}, "alerts")
    with pytest.raises(DriverConfigError, match="format"):
        build_config(LogConfig, {"format": "xml"}, "log")
    assert build_config(LogConfig, {"format": "json", "level": "DEBUG"}, "log").level == "DEBUG"
