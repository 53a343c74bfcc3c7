"""The one poller of the PLC's status: every command, wait and monitor event reads its snapshots.

It reads what is wanted when it is wanted: fast (poll_interval) the input registers while a
motion nears its predicted end, or the sensors while someone waits for one; otherwise the
input registers every idle_interval (STATE shows an interlock, HEARTBEAT a hang) and the
sensors every idle_sensor_interval; the lamps only for a caller who asks for a full reading.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from drivers.carousel.codec import (
    INPUT_REGISTER_COUNT,
    LAMP_COUNT,
    SENSOR_COUNT,
    CarouselStatus,
    decode_status,
    encode_input_registers,
)
from drivers.carousel.config import CarouselConfig
from drivers.carousel.events import CarouselEvent, ConnectionLost
from drivers.carousel.modbus import ModbusLink
from drivers.carousel.monitor import StatusWatcher
from drivers.errors import DeviceUnavailable, DriverError

log = logging.getLogger(__name__)


class Part(enum.Flag):
    """The three Modbus reads a status is made of."""

    REGISTERS = enum.auto()  # input registers (function 4)
    SENSORS = enum.auto()  # discrete inputs (function 2)
    LAMPS = enum.auto()  # coils (function 1)


ALL = Part.REGISTERS | Part.SENSORS | Part.LAMPS
DUE_SHARE = 0.9  # a part is due a little before its idle period is over (timers run late)


@dataclass(frozen=True)
class Snapshot:
    """One reading; parts not read in it are carried over from the last reading that had them."""

    status: CarouselStatus
    version: int  # readings started so far, this one included
    started: float  # monotonic time the reading began
    writes: int  # link writes finished before it began
    parts_read: dict[Part, tuple[float, int]]  # each part's last actual read: (started, writes)


@dataclass(eq=False)
class Interest:
    """Someone expects a change: poll `parts` fast from monotonic time `fast_from`."""

    parts: Part
    fast_from: float = 0.0


class Poller:
    """Owns the status reads of one ModbusLink; `emit` gets the monitor's events on the loop."""

    def __init__(self, link: ModbusLink, config: CarouselConfig,
                 emit: Callable[[CarouselEvent], None]):
        self._link = link
        self._config = config
        self._emit = emit
        self._watcher = StatusWatcher(config.heartbeat_stall)
        self._interests: list[Interest] = []
        self._wanted = Part(0)  # parts a caller asked for in the next reading
        self._started = 0  # readings begun
        self._finished = 0  # readings ended (read or failed)
        self._writes = 0
        self._last_begun = 0.0  # monotonic time the last reading began
        self.latest: Snapshot | None = None
        self._failure: tuple[int, DriverError] | None = None
        self._tick = asyncio.Event()  # set (and replaced) at the end of every reading
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closed = False
        self.reads: dict[Part, int] = {part: 0 for part in ALL}  # Modbus reads made, by part

    # -- life cycle ----------------------------------------------------------
    async def start(self) -> CarouselStatus:
        """A first full reading (DriverError if it fails), then poll in a task until stop()."""
        self._closed = False
        snapshot = await self._read(ALL)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="carousel-poller")
        self._task.add_done_callback(self._ended)
        return snapshot.status

    @property
    def running(self) -> bool:
        """Whether the poller's task runs (connected, and not dead of a bug)."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop polling; waiters get DeviceUnavailable."""
        self._closed = True
        self._notify()
        task, self._task = self._task, None
        while task is not None and not task.done():
            # Python 3.11's asyncio.wait_for (the Modbus library's) drops a cancel that lands
            # as a request completes (gh-86296): cancel until the poller has ended.
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)

    def wrote(self) -> None:
        """A write went over the link: readings begun before it no longer count as fresh."""
        self._writes += 1

    @property
    def writes(self) -> int:
        """Link writes finished so far."""
        return self._writes

    # -- what callers use ----------------------------------------------------
    async def fresh(self, parts: Part = ALL, max_age: float = 0.0) -> Snapshot:
        """A snapshot with `parts` read after the last write and at most `max_age` s ago."""
        latest = self.latest
        if latest is not None and max_age > 0 and self._is_fresh(latest, parts, max_age):
            return latest
        if self._task is None:  # not polling (before connect, after close): read directly
            return await self._read(parts)
        self._wanted |= parts
        target = self._started + 1  # the next reading to begin: it includes `parts`
        self._wake.set()
        while self._finished < target:
            await self._next_tick(None)
        return self._outcome(target)

    @asynccontextmanager
    async def interest(self, parts: Part, fast_from: float = 0.0) -> AsyncIterator[Interest]:
        """While inside, `parts` are polled fast (from `fast_from`, a monotonic time)."""
        interest = Interest(parts, fast_from)
        self._interests.append(interest)
        self._wake.set()
        try:
            yield interest
        finally:
            self._interests.remove(interest)

    async def next_reading(self, since: int,
                           deadline: float) -> tuple[int, Snapshot | DriverError] | None:
        """The newest reading after reading number `since`: (its number, snapshot or error).

        None if none has ended by the deadline (a monotonic time).
        """
        while self._finished <= since:
            if not await self._next_tick(deadline):
                return None
        version = self._finished
        if self.latest is not None and self.latest.version == version:
            return version, self.latest
        assert self._failure is not None and self._failure[0] == version
        return version, self._failure[1]

    @property
    def expecting(self) -> bool:
        """Whether a command or a wait is subscribed (else the poller runs at the idle rate)."""
        return bool(self._interests)

    @property
    def started(self) -> int:
        """Readings begun so far: next_reading(since=started) looks only at later ones."""
        return self._started

    # -- the loop ------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            await self._sleep_until_due()
            parts, self._wanted = self._parts_due(), Part(0)
            try:
                await self._read(parts)
            except DriverError:
                pass  # already reported as an event and to the waiters

    async def _sleep_until_due(self) -> None:
        while True:
            self._wake.clear()
            delay = self._due() - time.monotonic()
            if delay <= 0:
                return
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                return

    def _due(self) -> float:
        """When the next reading should begin."""
        if self._wanted:
            return 0.0
        last = self._last_begun
        due = last + self._config.idle_interval
        for interest in self._interests:
            due = min(due, max(interest.fast_from, last + self._config.poll_interval))
        return due

    def _parts_due(self) -> Part:
        """Wanted parts, interests already fast, and what the idle rates require."""
        now, c = time.monotonic(), self._config
        parts = self._wanted
        for interest in self._interests:
            if now >= interest.fast_from:
                parts |= interest.parts
        if self._age(Part.REGISTERS, now) >= c.idle_interval * DUE_SHARE:
            parts |= Part.REGISTERS  # STATE and HEARTBEAT: an interlock, a hang
        if self._age(Part.SENSORS, now) >= c.idle_sensor_interval * DUE_SHARE:
            parts |= Part.SENSORS
        return parts or Part.REGISTERS

    def _age(self, part: Part, now: float) -> float:
        """Seconds since `part` was last read (infinite before the first reading)."""
        read = self.latest.parts_read.get(part) if self.latest is not None else None
        return float("inf") if read is None else now - read[0]

    async def _read(self, parts: Part) -> Snapshot:
        """One reading of `parts`; its events go out and its waiters wake."""
        self._started += 1
        version, started, writes = self._started, time.monotonic(), self._writes
        self._last_begun = started
        try:
            status = await self._read_status(parts)
        except DriverError as exc:
            self._failure = (version, exc)
            self._finish(version, self._watcher.failed(exc))
            raise
        parts_read = dict(self.latest.parts_read) if self.latest is not None else {}
        parts_read.update({part: (started, writes) for part in ALL if part in parts})
        snapshot = Snapshot(status, version, started, writes, parts_read)
        self.latest = snapshot
        self._finish(version, self._watcher.observe(status, started))
        return snapshot

    async def _read_status(self, parts: Part) -> CarouselStatus:
        """The parts asked for (all of them the first time); the others carried over."""
        last = self.latest.status if self.latest is not None else None
        if last is None:
            parts = ALL
        words = encode_input_registers(last) if last is not None else []
        sensors = last.sensors.to_bits() if last is not None else []
        lamps = last.lamps.to_bits() if last is not None else []
        if Part.REGISTERS in parts:
            words = await self._link.read_input_registers(0, INPUT_REGISTER_COUNT)
            self.reads[Part.REGISTERS] += 1
        if Part.SENSORS in parts:
            sensors = await self._link.read_discrete_inputs(0, SENSOR_COUNT)
            self.reads[Part.SENSORS] += 1
        if Part.LAMPS in parts:
            lamps = await self._link.read_coils(0, LAMP_COUNT)
            self.reads[Part.LAMPS] += 1
        return decode_status(words, sensors, lamps)

    def _finish(self, version: int, events: list[CarouselEvent]) -> None:
        self._finished = version
        self._notify()
        for event in events:
            try:
                self._emit(event)
            except Exception:  # a broken handler must not stop the poller
                log.exception("carousel on_event handler failed for %r", event)

    # -- helpers -------------------------------------------------------------
    def _notify(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def _next_tick(self, deadline: float | None) -> bool:
        """Wait for the end of the next reading; False at the deadline."""
        if self._closed or self._task is None or self._task.done():
            raise DeviceUnavailable("the carousel link is closed")
        tick = self._tick
        try:
            async with asyncio.timeout(None if deadline is None else deadline - time.monotonic()):
                await tick.wait()
        except TimeoutError:
            return False
        if self._closed:
            raise DeviceUnavailable("the carousel link is closed")
        return True

    def _outcome(self, version: int) -> Snapshot:
        """The latest snapshot if it is at least `version`, else the failure that is."""
        if self.latest is not None and self.latest.version >= version:
            return self.latest
        assert self._failure is not None and self._failure[0] >= version
        raise self._failure[1]

    def _is_fresh(self, snapshot: Snapshot, parts: Part, max_age: float) -> bool:
        """Every part in `parts` read after the last write and at most `max_age` s ago."""
        oldest = time.monotonic() - max_age
        read = [snapshot.parts_read.get(part) for part in ALL if part in parts]
        return all(r is not None and r[0] >= oldest and r[1] == self._writes for r in read)


    def _ended(self, task: asyncio.Task) -> None:
        """A poller that died of a bug: logged, waiters woken (they fail), the link reported lost."""
        if task.cancelled() or task.exception() is None:
            return
        log.error("carousel poller stopped", exc_info=task.exception())
        self._notify()
        try:
            self._emit(ConnectionLost(f"poller stopped: {task.exception()!r}"))
        except Exception:  # a broken handler: already logged as the poller's end
            log.exception("carousel on_event handler failed")
