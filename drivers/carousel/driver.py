"""The Carousel driver: commands with the SEQ handshake, typed status, and a monitor of the PLC."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from drivers.carousel.codec import CarouselStatus, Sensors, encode_command, next_seq
from drivers.carousel.config import CarouselConfig
from drivers.carousel.errors import CarouselJammed, CarouselRejected, CommandLost
from drivers.carousel.events import CarouselEvent
from drivers.carousel.modbus import ModbusLink
from drivers.carousel.outcome import CommandFate, CommandOutcome, CommandRecord, fate_of
from drivers.carousel.poller import ALL, Part, Poller
from drivers.carousel.registers import Command, HoldingRegister, Lamp, Result
from drivers.errors import DeviceTimeout, DeviceUnavailable, DriverError, ProtocolError

log = logging.getLogger(__name__)

SUPPORTED_FW_MAJOR = 1
# Fast polling of a motion begins this share of its predicted time, and this much, before its
# predicted end: a real machine's motions vary; an end before it is seen at the next idle poll.
EARLY_SHARE = 0.2
EARLY_SECONDS = 0.05


class Carousel:
    """The carousel PLC over Modbus TCP or RTU; every method runs on the caller's asyncio loop.

    One poller reads the status (see poller.py); commands and waits use its snapshots, and
    `on_event` is called on the loop with the monitor's events (see events.py).
    """

    def __init__(self, config: CarouselConfig, on_event: Callable[[CarouselEvent], None]):
        self._config = config
        self._on_event = on_event
        self._link = ModbusLink(config)
        self._poller = Poller(self._link, config, on_event)
        self._boot_id = 0
        self._last_seq = 0

    @property
    def config(self) -> CarouselConfig:
        """The config the driver was built with."""
        return self._config

    @property
    def poller(self) -> Poller:
        """The status poller (its `reads` count the Modbus reads by part)."""
        return self._poller

    @property
    def connected(self) -> bool:
        """Whether the link is open and its poller runs."""
        return self._poller.running

    @property
    def latest(self) -> CarouselStatus | None:
        """The poller's newest status (parts it did not read carried over), without a read."""
        snapshot = self._poller.latest
        return None if snapshot is None else snapshot.status

    async def connect(self) -> CarouselStatus:
        """Open the link, check the firmware, learn BOOT_ID and SEQ; start polling."""
        await self.close()  # connecting again starts afresh
        await self._link.connect()
        try:
            status = await self._poller.start()  # events of a reboot while away go out here
        except DriverError:
            self._link.close()
            raise
        if status.firmware >> 8 != SUPPORTED_FW_MAJOR:
            await self.close()
            raise ProtocolError(f"unsupported FW_VERSION 0x{status.firmware:04X}")
        self._boot_id, self._last_seq = status.boot_id, status.ack_seq
        return status

    async def close(self) -> None:
        """Stop polling and close the link."""
        await self._poller.stop()
        self._link.close()

    async def read_status(self) -> CarouselStatus:
        """Every input register, sensor and lamp, typed: a reading begun after this call."""
        return (await self._poller.fresh(ALL)).status

    async def status(self, max_age: float) -> CarouselStatus:
        """Like read_status, but a full reading made after the last write and at most
        `max_age` seconds ago will do."""
        return (await self._poller.fresh(ALL, max_age)).status

    async def sensors(self, max_age: float = 0.0) -> Sensors:
        """The sensors, read after the last write and at most `max_age` seconds ago."""
        return (await self._poller.fresh(Part.SENSORS, max_age)).status.sensors

    async def wait_for(self, condition: Callable[[Sensors], bool], timeout: float) -> bool:
        """Poll the sensors fast until `condition` holds (True) or `timeout` s pass (False)."""
        deadline = time.monotonic() + timeout
        async with self._poller.interest(Part.SENSORS):
            snapshot = await self._poller.fresh(Part.SENSORS, self._config.poll_interval)
            seen = snapshot.version
            while not condition(snapshot.status.sensors):
                reading = await self._poller.next_reading(seen, deadline)
                if reading is None:
                    return False
                seen, result = reading
                if isinstance(result, DriverError):
                    raise result
                snapshot = result
            return True

    async def execute(self, command: Command, arg1: int = 0, arg2: int = 0, *,
                      seq: int | None = None) -> CommandOutcome:
        """Send a command and wait until the PLC finishes it.

        Returns the outcome (OK or what the machine found). Raises CarouselRejected if the PLC
        refused it, CarouselJammed if it finished JAM (the fault is latched), CommandLost if the
        PLC restarted meanwhile, DeviceTimeout if it did not finish within command_timeout.
        Pass `seq` to re-send a journaled SEQ: a SEQ the PLC already took is never run twice.
        """
        command = Command(command)
        before = (await self._poller.fresh(Part.REGISTERS, self._config.poll_interval)).status
        seq = self._allocate_seq(before) if seq is None else seq
        words = encode_command(command, arg1, arg2, seq)
        self._last_seq = seq  # before any await: a concurrent execute() takes the next one
        await self._write_command(words)
        return await self._await_outcome(command, words, before)

    async def reserve_seq(self) -> int:
        """The SEQ the next command will use, so the caller can journal it before sending."""
        status = (await self._poller.fresh(Part.REGISTERS, self._config.poll_interval)).status
        seq = self._allocate_seq(status)
        self._last_seq = seq
        return seq

    async def last_command(self, seq: int | None = None) -> CommandRecord:
        """What became of `seq` (default: the PLC's ACK_SEQ), for reconciliation after a restart."""
        status = (await self._poller.fresh(Part.REGISTERS)).status
        return fate_of(status.ack_seq if seq is None else seq, status)

    async def set_lamp(self, lamp: Lamp, on: bool) -> None:
        """Switch a lamp (one coil)."""
        try:
            await self._link.write_coil(int(Lamp(lamp)), bool(on))
        finally:
            self._poller.wrote()

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
            finally:
                self._poller.wrote()

    async def _await_outcome(self, command: Command, words: list[int],
                             before: CarouselStatus) -> CommandOutcome:
        """Follow the poller's readings begun after the write until the SEQ's fate shows."""
        seq = words[HoldingRegister.SEQ]
        written = time.monotonic()
        deadline = written + self._config.command_timeout
        resend_at = written + self._config.request_timeout
        seen = self._poller.started
        async with self._poller.interest(Part.REGISTERS) as interest:  # fast until accepted
            while True:
                reading = await self._poller.next_reading(seen, deadline)
                if reading is None:
                    raise DeviceTimeout(f"{command.name} (SEQ {seq}) not finished within "
                                        f"{self._config.command_timeout} s")
                seen, result = reading
                if isinstance(result, DriverError):
                    if time.monotonic() >= deadline:
                        raise result
                    continue
                if result.status.boot_id != before.boot_id:
                    raise CommandLost(command, seq, before.boot_id, result.status.boot_id)
                record = fate_of(seq, result.status)
                if record.fate is CommandFate.DONE:
                    return self._finished(command, seq, result.status)
                if record.fate is CommandFate.REJECTED:
                    raise CarouselRejected(command, seq, result.status.reject_code)
                if record.fate is CommandFate.BUSY:
                    interest.fast_from = written + self._lead(command, words, before)
                elif time.monotonic() >= resend_at:
                    # The PLC did not act on the write (it hangs, or the write was lost): the
                    # same SEQ again is safe, since a SEQ equal to ACK_SEQ is ignored.
                    await self._resend(words)
                    resend_at = time.monotonic() + self._config.request_timeout

    def _lead(self, command: Command, words: list[int], before: CarouselStatus) -> float:
        """Seconds after the write when fast polling should begin (the timing model's guess)."""
        try:
            expected = self._config.timing.command_seconds(
                command, words[HoldingRegister.ARG1], words[HoldingRegister.ARG2],
                (before.level, before.position), before.geometry)
        except ValueError:
            return 0.0
        return max(0.0, expected * (1 - EARLY_SHARE) - EARLY_SECONDS)

    async def _resend(self, words: list[int]) -> None:
        try:
            await self._link.write_registers(HoldingRegister.CMD, words)
        except DriverError as exc:
            log.warning("re-sending SEQ %d failed: %s", words[HoldingRegister.SEQ], exc)
        finally:
            self._poller.wrote()

    @staticmethod
    def _finished(command: Command, seq: int, status: CarouselStatus) -> CommandOutcome:
        outcome = CommandOutcome(command=command, seq=seq, result=status.result)
        if outcome.result is Result.JAM:
            raise CarouselJammed(outcome, status.fault)
        return outcome
