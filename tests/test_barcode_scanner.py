"""The barcode driver against the simulated scanner over a real pseudo-terminal."""

from __future__ import annotations

import queue

import pytest
import serial

from conftest import wait_for
from drivers.barcode import (BarcodeConfig, BarcodeScanner, Misread, MisreadReason, PortProblem,
                             Scanned, ScannerConnected, ScannerDisconnected, Symbology)
from drivers.config import build_config
from drivers.errors import DriverConfigError
from sim.barcode_device import BarcodeSim

EVENT_TIMEOUT = 5.0


class Events:
    """Collects the driver's events (delivered from its thread)."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()

    def __call__(self, event) -> None:
        self.queue.put(event)

    def next(self):
        """The next event; fails the test if none comes in time."""
        try:
            return self.queue.get(timeout=EVENT_TIMEOUT)
        except queue.Empty:
            pytest.fail("no event from the scanner driver")


def start_sim(sim_loop) -> tuple[BarcodeSim, str]:
    sim = BarcodeSim()
    return sim, sim_loop.call(sim.start)


def make_scanner(port: str, events: Events, **values) -> BarcodeScanner:
    config = build_config(BarcodeConfig, {"port": port, "reopen_interval": 0.05, **values}, "barcode")
    return BarcodeScanner(config, events)


@pytest.fixture
def device(sim_loop):
    sim, path = start_sim(sim_loop)
    yield sim, path
    sim_loop.call(sim.stop)


@pytest.fixture
def events(device):
    collected = Events()
    with make_scanner(device[1], collected, max_length=32):
        assert collected.next() == ScannerConnected(device[1])
        yield collected


@pytest.fixture
def scan(sim_loop, device):
    return lambda *args, **kwargs: sim_loop.call(device[0].scan, *args, **kwargs)


@pytest.mark.parametrize("symbology", [*Symbology, None])
@pytest.mark.parametrize("crlf", [False, True])
def test_every_symbology_arrives_as_a_scan(events, scan, symbology, crlf):
    scan("M-000123", None if symbology is None else symbology.value, crlf=crlf)
    assert events.next() == Scanned("M-000123", symbology)


def test_scans_in_a_row_arrive_in_order(events, scan):
    for item in ("EM00000001", "EM00000002", "EM00000003"):
        scan(item, "]C0", crlf=True)
    expected = [Scanned(f"EM0000000{i}", Symbology.CODE128) for i in (1, 2, 3)]
    assert [events.next() for _ in range(3)] == expected


def test_non_printable_data_is_a_misread(events, scan):
    scan("AB\x07CD", "]Q1")
    assert events.next() == Misread(b"]Q1AB\x07CD", MisreadReason.NON_PRINTABLE)


def test_an_over_long_line_is_a_misread_and_the_next_line_is_read(events, scan):
    scan("9" * 100, "]C0")
    scan("EM00000009", "]C0")
    assert events.next() == Misread(b"]C0" + b"9" * 29, MisreadReason.TOO_LONG)
    assert events.next() == Scanned("EM00000009", Symbology.CODE128)


def test_garbage_ending_in_cr_is_a_misread_then_scans_resume(events, scan, sim_loop, device):
    sim_loop.call(device[0].inject_garbage, b"\x00\xfe\x13junk\r")
    scan("EM00000010", "]C0")
    assert events.next() == Misread(b"\x00\xfe\x13junk", MisreadReason.NON_PRINTABLE)
    assert events.next() == Scanned("EM00000010", Symbology.CODE128)


def test_garbage_without_cr_spoils_only_the_next_line(events, scan, sim_loop, device):
    sim_loop.call(device[0].inject_garbage, b"\xff\x00")
    scan("FIRST", "]Q1")
    scan("SECOND", "]Q1")
    assert events.next() == Misread(b"\xff\x00]Q1FIRST", MisreadReason.NON_PRINTABLE)
    assert events.next() == Scanned("SECOND", Symbology.QR)


def test_a_vanished_port_is_reported_and_reopened(sim_loop, tmp_path):
    link = tmp_path / "scanner"  # like a udev /dev/serial/by-id link
    first, first_path = start_sim(sim_loop)
    link.symlink_to(first_path)
    events = Events()
    with make_scanner(str(link), events):
        assert events.next() == ScannerConnected(str(link))
        sim_loop.call(first.stop)
        lost = events.next()
        assert isinstance(lost, ScannerDisconnected) and lost.problem is PortProblem.PORT_LOST

        second, second_path = start_sim(sim_loop)
        link.unlink()
        link.symlink_to(second_path)
        event = events.next()
        while isinstance(event, ScannerDisconnected):  # a retry may fail before the link moves
            assert event.problem is PortProblem.OPEN_FAILED
            event = events.next()
        assert event == ScannerConnected(str(link))
        sim_loop.call(second.scan, "AGAIN", "]Q1")
        assert events.next() == Scanned("AGAIN", Symbology.QR)
    sim_loop.call(second.stop)


class OpenAttempts:
    """Counts the driver's attempts to open a serial port; each still opens the real port."""

    def __init__(self, real_serial: type) -> None:
        self.real_serial = real_serial
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1
        return self.real_serial(*args, **kwargs)


def test_a_missing_port_is_reported_once_and_opened_when_it_appears(sim_loop, tmp_path, device,
                                                                    monkeypatch):
    attempts = OpenAttempts(serial.Serial)
    monkeypatch.setattr(serial, "Serial", attempts)
    link = tmp_path / "scanner"
    events = Events()
    with make_scanner(str(link), events):
        wait_for(lambda: attempts.count >= 5, message="five attempts to open the missing port")
        missing = events.next()
        assert isinstance(missing, ScannerDisconnected) and missing.problem is PortProblem.OPEN_FAILED
        assert events.queue.empty()  # one report, however many attempts failed
        link.symlink_to(device[1])
        assert events.next() == ScannerConnected(str(link))


def test_a_failing_consumer_does_not_stop_the_driver(device, scan):
    events = Events()

    def faulty(event):
        events(event)
        if isinstance(event, ScannerConnected):
            raise RuntimeError("consumer bug")

    with make_scanner(device[1], faulty):
        assert events.next() == ScannerConnected(device[1])
        scan("ONE")
        assert events.next() == Scanned("ONE", None)


def test_stop_returns_and_start_twice_is_refused(device):
    scanner = make_scanner(device[1], Events())
    scanner.start()
    with pytest.raises(RuntimeError):
        scanner.start()
    scanner.stop()
    scanner.stop()


@pytest.mark.parametrize("values", [
    {"port": "/dev/ttyX", "max_length": 2}, {"port": "/dev/ttyX", "reopen_interval": 0},
    {"port": "/dev/ttyX", "baud": 9600}, {"port": None}, {},
])
def test_bad_config_is_refused(values):
    with pytest.raises(DriverConfigError):
        build_config(BarcodeConfig, values, "barcode")


def test_scans_and_garbage_from_the_world_api_reach_the_driver(make_sim):
    sim = make_sim("--speed", "20", "--empty")
    events = Events()
    with make_scanner(sim.endpoints["barcode"]["path"], events):
        assert isinstance(events.next(), ScannerConnected)
        sim.world_post("/barcode/scan", {"data": "M-1234", "symbology": "]Q1", "crlf": True})
        assert events.next() == Scanned("M-1234", Symbology.QR)
        sim.world_post("/faults/garbage", {"device": "barcode", "hex": "00ff0d"})
        sim.world_post("/barcode/scan", {"data": "EM00000001", "symbology": "]C0"})
        assert events.next() == Misread(b"\x00\xff", MisreadReason.NON_PRINTABLE)
        assert events.next() == Scanned("EM00000001", Symbology.CODE128)
