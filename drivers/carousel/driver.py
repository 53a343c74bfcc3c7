"""The Carousel driver: commands with the SEQ handshake, typed status, and a monitor of the PLC."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from drivers.carousel.codec import (
    INPUT_REGISTER_COUNT,
    LAMP_COUNT,
    SENSOR_COUNT,
    CarouselStatus,
    decode_status,
    encode_command,
    next_seq,
)
from drivers.carousel.config import CarouselConfig
from drivers.carousel.errors import CarouselJammed, CarouselRejected, CommandLost
from drivers.carousel.events import CarouselEvent
from drivers.carousel.modbus import ModbusLink
from drivers.carousel.monitor import StatusWatcher
from drivers.carousel.outcome import CommandFate, CommandOutcome, CommandRecord, fate_of
from drivers.carousel.registers import Command, HoldingRegister, Lamp, Result
from drivers.errors import DeviceTimeout, DeviceUnavailable, DriverError, ProtocolError

log = logging.getLogger(__name__)

SUPPORTED_FW_MAJOR = 1


class Carousel:
    """The carousel PLC over Modbus TCP or RTU; every method runs on the caller's asyncio loop.

    `on_event` is called on that loop with the monitor's events (see events.py).
    """

    def __init__(self, config: CarouselConfig, on_event: Callable[[CarouselEvent], None]):
        self._config = config
        self._on_event = on_event
        self._link = ModbusLink(config)
        self._watcher = StatusWatcher(config.heartbeat_stall)
        self._monitor: asyncio.Task | None = None
        self._boot_id = 0
        self._last_seq = 0

    @property
    def config(self) -> CarouselConfig:
        """The config the driver was built with."""
        return self._config

    async def connect(self) -> CarouselStatus:
        """Open the link, check the firmware, learn BOOT_ID and SEQ; start the monitor."""
        await self.close()  # connecting again starts afresh
        await self._link.connect()
        try:
            status = await self.read_status()
        except DriverError:
            self._link.close()
            raise
        if status.firmware >> 8 != SUPPORTED_FW_MAJOR:
            self._link.close()
            raise ProtocolError(f"unsupported FW_VERSION 0x{status.firmware:04X}")
        self._boot_id, self._last_seq = status.boot_id, status.ack_seq
        for event in self._watcher.observe(status, time.monotonic()):  # e.g. a reboot while away
            self._emit(event)
        self._monitor = asyncio.get_running_loop().create_task(self._watch(), name="carousel-monitor")
        self._monitor.add_done_callback(_report_crash)
        return status

    async def close(self) -> None:
        """Stop the monitor and close the link."""
        monitor, self._monitor = self._monitor, None
        while monitor is not None and not monitor.done():
            # Python 3.11's asyncio.wait_for (ours, and the Modbus library's) drops a cancel
            # that lands as a request completes (gh-86296): cancel until the monitor has ended.
            monitor.cancel()
            await asyncio.wait({monitor}, timeout=1.0)
        self._link.close()

    async def read_status(self) -> CarouselStatus:
        """Every input register, sensor and lamp, typed."""
        words = await self._link.read_input_registers(0, INPUT_REGISTER_COUNT)
        sensors = await self._link.read_discrete_inputs(0, SENSOR_COUNT)
        lamps = await self._link.read_coils(0, LAMP_COUNT)
        return decode_status(words, sensors, lamps)

    async def execute(self, command: Command, arg1: int = 0, arg2: int = 0, *,
                      seq: int | None = None) -> CommandOutcome:
        """Send a command and wait until the PLC finishes it.

        Returns the outcome (OK or what the machine found). Raises CarouselRejected if the PLC
        refused it, CarouselJammed if it finished JAM (the fault is latched), CommandLost if the
        PLC restarted meanwhile, DeviceTimeout if it did not finish within command_timeout.
        Pass `seq` to re-send a journaled SEQ: a SEQ the PLC already took is never run twice.
        """
        command = Command(command)
        before = await self.read_status()
        seq = self._allocate_seq(before) if seq is None else seq
        words = encode_command(command, arg1, arg2, seq)
        self._last_seq = seq  # before any await: a concurrent execute() takes the next one
        await self._write_command(words)
        return await self._await_outcome(command, words, before.boot_id)

    async def reserve_seq(self) -> int:
        """The SEQ the next command will use, so the caller can journal it before sending."""
        seq = self._allocate_seq(await self.read_status())
        self._last_seq = seq
        return seq

    async def last_command(self, seq: int | None = None) -> CommandRecord:
        """What became of `seq` (default: the PLC's ACK_SEQ), for reconciliation after a restart."""
        status = await self.read_status()
        return fate_of(status.ack_seq if seq is None else seq, status)

    async def set_lamp(self, lamp: Lamp, on: bool) -> None:
        """Switch a lamp (one coil)."""
        await self._link.write_coil(int(Lamp(lamp)), bool(on))

    def _allocate_seq(self, status: CarouselStatus) -> int:
        if status.boot_id != self._boot_id:  # the PLC restarted: its SEQ registers began again
            self._boot_id, self._last_seq = status.boot_id, status.ack_seq
        avoid = frozenset({status.ack_seq, status.done_seq, status.reject_seq})
        return next_seq(self._last_seq, avoid)

    async def _write_command(self, words: list[int]) -> None:
        """One function-16 write of CMD..SEQ; a lost response is retried with the same SEQ."""
        attempts = self._config.write_attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._link.write_registers(HoldingRegister.CMD, words)
                return
            except (DeviceTimeout, DeviceUnavailable) as exc:
                if attempt == attempts:
                    raise
                log.warning("SEQ %d write attempt %d failed (%s); sending it again",
                            words[HoldingRegister.SEQ], attempt, exc)

    async def _await_outcome(self, command: Command, words: list[int],
                             boot_id: int) -> CommandOutcome:
        seq = words[HoldingRegister.SEQ]
        deadline = time.monotonic() + self._config.command_timeout
        resend_at = time.monotonic() + self._config.request_timeout
        while True:
            status = await self._poll(deadline)
            if status is not None:
                if status.boot_id != boot_id:
                    raise CommandLost(command, seq, boot_id, status.boot_id)
                record = fate_of(seq, status)
                if record.fate is CommandFate.DONE:
                    return self._finished(command, seq, status)
                if record.fate is CommandFate.REJECTED:
                    raise CarouselRejected(command, seq, status.reject_code)
                if record.fate is CommandFate.NOT_ACCEPTED and time.monotonic() >= resend_at:
                    # The PLC did not act on the write (it hangs, or the write was lost): the
                    # same SEQ again is safe, since a SEQ equal to ACK_SEQ is ignored.
                    await self._resend(words)
                    resend_at = time.monotonic() + self._config.request_timeout
            if time.monotonic() >= deadline:
                raise DeviceTimeout(f"{command.name} (SEQ {seq}) not finished within "
                                    f"{self._config.command_timeout} s")
            await asyncio.sleep(self._config.poll_interval)

    async def _poll(self, deadline: float) -> CarouselStatus | None:
        """One status reading; a failed one is tolerated until the deadline."""
        try:
            return await self.read_status()
        except DriverError:
            if time.monotonic() >= deadline:
                raise
            return None

    async def _resend(self, words: list[int]) -> None:
        try:
            await self._link.write_registers(HoldingRegister.CMD, words)
        except DriverError as exc:
            log.warning("re-sending SEQ %d failed: %s", words[HoldingRegister.SEQ], exc)

    @staticmethod
    def _finished(command: Command, seq: int, status: CarouselStatus) -> CommandOutcome:
        outcome = CommandOutcome(command=command, seq=seq, result=status.result)
        if outcome.result is Result.JAM:
            raise CarouselJammed(outcome, status.fault)
        return outcome

    async def _watch(self) -> None:
        """Poll the status and emit events until close()."""
        while True:
            try:
                events = self._watcher.observe(await self.read_status(), time.monotonic())
            except DriverError as exc:
                events = self._watcher.failed(exc)
            for event in events:
                self._emit(event)
            await asyncio.sleep(self._config.poll_interval)

    def _emit(self, event: CarouselEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken handler must not stop the monitor
            log.exception("carousel on_event handler failed for %r", event)


def _report_crash(task: asyncio.Task) -> None:
    """Log a monitor that died of a bug (DriverErrors are events, never crashes)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("carousel monitor stopped", exc_info=task.exception())
