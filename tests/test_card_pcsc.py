"""The card driver and the virtual card through the real pcscd + vsmartcard-vpcd.

One virtual card per reader: the tests here use this test process's own reader (under
pytest-xdist each worker has one, conftest.vpcd_port), one after another in this module. Some
tap every reader or restart the machine's pcscd, and quick taps on one of vpcd's two readers
(two slots of one device in pcscd) are disturbed by taps on the other: while this module runs,
no other worker's simulator does (conftest.READERS).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from smartcard import scard
from smartcard.System import readers

from conftest import READERS, vpcd_port
from drivers.card import (CardConfig, CardPresented, CardReader, CardRemoved, CardUnreadable,
                          ReaderLost, ReaderLostReason, ReaderRestored, UnreadableReason)
from sim.vcard import VPCD_READERS, CardAlreadyPresent, VirtualCard, VpcdUnreachable

pytestmark = pytest.mark.pcsc

PORT = vpcd_port()  # this worker's reader
READER = VPCD_READERS[PORT]
UID4 = bytes.fromhex("01020304")
UID7 = bytes.fromhex("04A1B2C3D4E5F6")
UID10 = bytes.fromhex("04A1B2C3D4E5F60708FF")
PCSCD = "/usr/sbin/pcscd"
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
PCSCD_PIDFILE = Path("/run/pcscd/pcscd.pid")
WAIT = 15.0  # bound on every wait for a condition


class LoopThread:
    """An asyncio loop in a background thread: the simulator's loop, for the virtual card."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run `coro` on the loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)
        self.loop.close()


class EventLog:
    """The driver's on_event: records events from its thread; tests wait on conditions."""

    def __init__(self) -> None:
        self.events: list = []
        self._changed = threading.Condition()

    def __call__(self, event: object) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[list], bool], what: str) -> list:
        """Wait until `condition(events)` holds; fail with the events seen so far."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self.events), WAIT):
                pytest.fail(f"timed out waiting for {what}; events: {self.events}")
            return list(self.events)

    def wait_count(self, event: object, count: int = 1) -> list:
        """Wait until `event` was emitted `count` times."""
        return self.wait_for(lambda events: events.count(event) >= count, f"{count} x {event}")


def poll(condition: Callable[[], bool], what: str) -> None:
    """Wait until `condition()` holds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def reader_state(name: str) -> int:
    """The reader's PC/SC state word, asked of pcscd directly."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS, "pcscd is not running (make setup starts it)"
    try:
        hresult, states = scard.SCardGetStatusChange(
            context, 0, [(name, scard.SCARD_STATE_UNAWARE)])
        assert hresult == scard.SCARD_S_SUCCESS, f"{name} unknown to pcscd"
        return states[0][1]
    finally:
        scard.SCardReleaseContext(context)


def wait_reader_empty(name: str = READER) -> None:
    """Wait until pcscd sees no card in the reader (it polls the virtual reader)."""
    poll(lambda: reader_state(name) & scard.SCARD_STATE_EMPTY, f"{name} to be empty")


@pytest.fixture(scope="module", autouse=True)
def alone_on_pcscd() -> Iterator[None]:
    """No other xdist worker's simulator runs while this module does."""
    with READERS.alone():
        yield


@pytest.fixture(scope="module")
def sim_loop() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture
def card(sim_loop: LoopThread) -> Iterator[VirtualCard]:
    wait_reader_empty()
    card = VirtualCard(host="127.0.0.1", port=PORT)
    yield card
    sim_loop.run(card.close())


@pytest.fixture
def log() -> EventLog:
    return EventLog()


@pytest.fixture
def start_driver(log: EventLog) -> Iterator[Callable[..., CardReader]]:
    """Factory: a started CardReader (fast retries) that is stopped at teardown."""
    started: list[CardReader] = []

    def start(reader: str = READER, on_event: Callable[[object], None] = log) -> CardReader:
        config = CardConfig(reader=reader, poll_seconds=0.2, retry_min_seconds=0.05,
                            retry_max_seconds=0.4)
        driver = CardReader(config, on_event)
        driver.start()
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.stop()


@pytest.fixture
def driver(start_driver: Callable[..., CardReader]) -> CardReader:
    driver = start_driver()
    poll(lambda: driver.reader_name == READER, "the driver to find its reader")
    return driver


# -- taps through the driver ----------------------------------------------------
@pytest.mark.parametrize("uid", [UID7, UID4, UID10], ids=["7-byte", "4-byte", "10-byte"])
def test_tap_is_presented_with_its_uid_and_removal_is_reported(sim_loop, card, driver, log, uid):
    sim_loop.run(card.tap(uid))
    log.wait_count(CardPresented(uid))
    sim_loop.run(card.remove())
    assert log.wait_count(CardRemoved()) == [CardPresented(uid), CardRemoved()]


def test_quick_tap_still_yields_the_uid(sim_loop, card, driver, log):
    async def tap_and_take_away() -> None:
        await card.tap(UID7)
        await card.wait_uid_read(WAIT)  # the reader has read it: take it away at once
        await card.remove()
    sim_loop.run(tap_and_take_away())
    assert log.wait_count(CardRemoved()) == [CardPresented(UID7), CardRemoved()]


def test_taps_one_after_another_are_each_reported(sim_loop, card, driver, log):
    for uid in (UID7, UID4):
        sim_loop.run(card.tap(uid))
        log.wait_count(CardPresented(uid))
        sim_loop.run(card.remove())
        wait_reader_empty()
    assert log.wait_count(CardRemoved(), 2) == [
        CardPresented(UID7), CardRemoved(), CardPresented(UID4), CardRemoved()]


def test_a_tap_come_and_gone_while_the_driver_was_busy_is_reported_unreadable(
        sim_loop, card, start_driver, log):
    busy = threading.Event()
    release = threading.Event()

    def slow_consumer(event: object) -> None:
        log(event)
        if event == CardPresented(UID7):
            busy.set()
            release.wait(WAIT)  # the driver thread is held here, not watching the reader
    start_driver(on_event=slow_consumer)
    try:
        sim_loop.run(card.tap(UID7))
        assert busy.wait(WAIT)
        sim_loop.run(card.remove())
        wait_reader_empty()
        sim_loop.run(card.tap(UID4))
        poll(lambda: reader_state(READER) & scard.SCARD_STATE_PRESENT, "pcscd to see UID4")
        sim_loop.run(card.remove())
        wait_reader_empty()
    finally:
        release.set()
    assert log.wait_count(CardRemoved(), 2) == [
        CardPresented(UID7), CardRemoved(),
        CardUnreadable(UnreadableReason.REMOVED_TOO_SOON), CardRemoved()]


def test_card_answering_an_error_status_is_unreadable_with_its_status_words(
        sim_loop, card, driver, log):
    sim_loop.run(card.tap(UID7, status_words=0x6A81))
    log.wait_count(CardUnreadable(UnreadableReason.STATUS_ERROR, 0x6A81))
    sim_loop.run(card.remove())
    assert log.wait_count(CardRemoved()) == [
        CardUnreadable(UnreadableReason.STATUS_ERROR, 0x6A81), CardRemoved()]


def test_card_already_on_the_reader_when_the_driver_starts_is_presented(
        sim_loop, card, start_driver, log):
    sim_loop.run(card.tap(UID4))
    poll(lambda: reader_state(READER) & scard.SCARD_STATE_PRESENT, "pcscd to see the card")
    start_driver()
    log.wait_count(CardPresented(UID4))
    sim_loop.run(card.remove())
    assert log.wait_count(CardRemoved()) == [CardPresented(UID4), CardRemoved()]


def test_a_failing_on_event_does_not_stop_the_watch(sim_loop, card, start_driver, log):
    def flaky(event: object) -> None:
        log(event)
        if len(log.events) == 1:
            raise RuntimeError("consumer failed")
    start_driver(on_event=flaky)
    for count, uid in enumerate((UID7, UID4), start=1):
        sim_loop.run(card.tap(uid))
        log.wait_count(CardPresented(uid))
        sim_loop.run(card.remove())
        log.wait_count(CardRemoved(), count)
    assert log.events == [CardPresented(UID7), CardRemoved(), CardPresented(UID4), CardRemoved()]


def test_reader_name_prefix_selects_the_first_matching_reader(start_driver):
    driver = start_driver(reader="Virtual PCD")
    poll(lambda: driver.reader_name == "Virtual PCD 00 00", "the driver to pick its reader")


def test_a_missing_reader_is_reported_lost_and_stop_still_joins(start_driver, log):
    driver = start_driver(reader="No Such Reader")
    log.wait_count(ReaderLost(ReaderLostReason.READER_MISSING))
    driver.stop()
    assert not driver.running
    assert log.events == [ReaderLost(ReaderLostReason.READER_MISSING)]


# -- the virtual card seen through pyscard alone --------------------------------
def _transmit(reader_name: str, apdus: list[bytes]) -> list[tuple[bytes, int]]:
    """Connect to the card in `reader_name` with pyscard's high-level API and send `apdus`."""
    reader = next(r for r in readers() if str(r) == reader_name)
    connection = reader.createConnection()
    connection.connect()
    try:
        results = []
        for apdu in apdus:
            data, sw1, sw2 = connection.transmit(list(apdu))
            results.append((bytes(data), sw1 << 8 | sw2))
        return results
    finally:
        connection.disconnect()


@pytest.mark.parametrize("port, reader_name", [(35963, "Virtual PCD 00 00"),
                                               (35964, "Virtual PCD 00 01")])
def test_pyscard_reads_the_uid_of_a_tapped_virtual_card(sim_loop, port, reader_name):
    wait_reader_empty(reader_name)
    card = VirtualCard(port=port)
    assert card.reader_name == reader_name
    sim_loop.run(card.tap(UID7))
    try:
        poll(lambda: reader_state(reader_name) & scard.SCARD_STATE_PRESENT, "pcscd to see it")
        assert reader_name in [str(r) for r in readers()]
        assert _transmit(reader_name, [bytes.fromhex("FFCA000000")]) == [(UID7, 0x9000)]
    finally:
        sim_loop.run(card.remove())


def test_virtual_card_answers_get_data_variants_through_pcscd(sim_loop, card):
    sim_loop.run(card.tap(UID7))
    poll(lambda: reader_state(READER) & scard.SCARD_STATE_PRESENT, "pcscd to see the card")
    apdus = ["FFCA000007", "FFCA000004", "FFCA000009", "FFCA010000", "00A4040000"]
    assert _transmit(READER, [bytes.fromhex(a) for a in apdus]) == [
        (UID7, 0x9000), (b"", 0x6C07), (UID7, 0x6282), (b"", 0x6A81), (b"", 0x6D00)]


def test_tapping_twice_raises_card_already_present(sim_loop, card):
    sim_loop.run(card.tap(UID7))
    with pytest.raises(CardAlreadyPresent):
        sim_loop.run(card.tap(UID4))
    assert card.present == UID7


def test_a_second_card_on_a_taken_reader_raises_vpcd_unreachable(sim_loop, card):
    sim_loop.run(card.tap(UID7))
    other = VirtualCard(port=PORT, contact_timeout=1.0)
    with pytest.raises(VpcdUnreachable, match="another card"):
        sim_loop.run(other.tap(UID4))
    assert (other.present, card.present) == (None, UID7)


# -- pcscd going away and coming back ----------------------------------------------
def _pcscd_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _pcscd_up() -> bool:
    return bool(_pcscd_pids()) and PCSCD_SOCKET.is_socket()


def _readers_listed() -> bool:
    try:
        return READER in [str(r) for r in readers()]
    except Exception:  # noqa: BLE001 - pcscd still starting
        return False


def _stop_pcscd() -> None:
    """Stop the running pcscd by the pid in its pid file."""
    pid = int(PCSCD_PIDFILE.read_text().strip("\x00\n "))
    assert pid in _pcscd_pids(), f"pid file names {pid}, which is not pcscd"
    os.kill(pid, signal.SIGTERM)
    poll(lambda: not Path(f"/proc/{pid}").exists(), "pcscd to exit")


def _start_pcscd() -> None:
    """Start pcscd as `make setup` does, and wait for its socket and readers."""
    subprocess.run([PCSCD], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    poll(_pcscd_up, "pcscd's socket")
    poll(_readers_listed, "pcscd to list the virtual readers")


@pytest.mark.skipif(os.geteuid() != 0, reason="restarting pcscd needs root")
def test_pcscd_restart_is_a_lost_then_restored_reader_that_sees_taps_again(
        sim_loop, card, driver, log):
    try:
        sim_loop.run(card.tap(UID7))
        log.wait_count(CardPresented(UID7))
        _stop_pcscd()
        log.wait_for(lambda events: any(isinstance(e, ReaderLost) for e in events), "ReaderLost")
        poll(lambda: card.present is None, "the card to drop out with vpcd")
        with pytest.raises(VpcdUnreachable):
            sim_loop.run(card.tap(UID4))
        _start_pcscd()
        log.wait_count(ReaderRestored())
        sim_loop.run(card.tap(UID4))
        log.wait_count(CardPresented(UID4))
        sim_loop.run(card.remove())
        events = log.wait_count(CardRemoved(), 2)
        assert events[:2] == [CardPresented(UID7), CardRemoved()]
        assert isinstance(events[2], ReaderLost)
        assert events[2].reason == ReaderLostReason.SERVICE_UNAVAILABLE
        assert events[3:] == [ReaderRestored(), CardPresented(UID4), CardRemoved()]
    finally:
        if not _pcscd_up():
            _start_pcscd()


# -- the whole simulator ------------------------------------------------------------
def test_a_card_tapped_through_the_world_api_is_read_by_pyscard_and_the_driver(
        sim, start_driver, log):
    reader_name = sim.endpoints["card"]["reader"]
    wait_reader_empty(reader_name)
    start_driver(reader=reader_name)
    sim.world_post("/card/tap", {"uid": UID7.hex()})
    log.wait_count(CardPresented(UID7))
    assert _transmit(reader_name, [bytes.fromhex("FFCA000000")]) == [(UID7, 0x9000)]
    assert sim.world_get()["card"]["present"] == UID7.hex().upper()
    sim.world_post("/card/remove")
    assert log.wait_count(CardRemoved()) == [CardPresented(UID7), CardRemoved()]
