"""The controller: one asyncio loop owns the state machine, the flows and the journal.

Everything reaches the loop through one queue: steps reported by actions, requests from the
patron API and the control socket, driver events from reader threads, timers. Each is sent to
the transition table, and how a refusal is handled depends only on where the event came from
(`refused`): an action's step that the table refuses is a fault; a request is answered "not
now"; a device's or a timer's event is documented as ignored in that state.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from statemachine.exceptions import TransitionNotAllowed

from drivers.barcode import Scanned
from drivers.errors import DriverError
from kiosk import device_events, journal_room, library_holds, patron, text_input
from kiosk.access import TechnicianAccess
from kiosk.actions import ACTIONS, WAITS_FOR
from kiosk.config import KioskConfig
from kiosk.connectors import LibraryUnavailable
from kiosk.device_health import HEALTH_EVENTS, DeviceHealth
from kiosk.devices import Devices, Library
from kiosk.flows import Credential, CredentialKind, Flows
from kiosk.guards import FlowGuards
from kiosk.hold_timer import HoldTimer
from kiosk.inbox import (
    REQUEST_REFUSALS,
    External,
    Query,
    Reported,
    Request,
    Source,
    fail,
    settle,
)
from kiosk.job import Interruption
from kiosk.journal import FaultRecorded, Journal, JournalError
from kiosk.machine import KioskMachine, KioskState
from kiosk.mechanics import Mechanics
from kiosk.observe import Observability
from kiosk.patron_cache import PatronCache
from kiosk.private_files import private_dir
from kiosk.screens import Screens
from kiosk.speech import Speaker
from kiosk.steps import Event, Fault, Refused, Reply, StartRefused, Step
from kiosk.sync import Sync

log = logging.getLogger(__name__)

SESSION_STATES = (KioskState.PIN_ENTRY, KioskState.BROWSING, KioskState.PREFETCHING)
NO_SESSION = (KioskState.READY, KioskState.CLOSED, KioskState.OUT_OF_SERVICE,
              KioskState.MAINTENANCE, KioskState.STARTING, KioskState.HOMING)
HOURS_CHECK_SECONDS = 30.0
FAULT_HISTORY = 50  # faults `kiosk faults` remembers
REFERENCE_SLOTS = 1000  # the reference machine: 10 levels x 100 positions
JOB_INTERRUPTIONS = {Event.CARD_PRESENTED: Interruption.CARD,
                     Event.RETURN_REQUESTED: Interruption.RETURN}
IDENTIFICATION_ANSWERS = (Event.PATRON_FOUND, Event.PIN_NEEDED, Event.PIN_REJECTED,
                          Event.PIN_ACCEPTED, Event.PATRON_REFUSED, Event.CARD_UNREADABLE)


class Controller:
    """Sequences the devices through the state machine; every journal write happens on its loop."""

    def __init__(self, config: KioskConfig):
        self.config = config
        self.timing = config.carousel.timing
        self.queue: asyncio.Queue = asyncio.Queue()
        self.journal: Journal | None = None
        self.devices: Devices | None = None
        self.mech: Mechanics | None = None
        self.library: Library | None = None
        self.sync: Sync | None = None
        self.guards = FlowGuards(self)
        self.machine = KioskMachine(self, self.guards)
        self.cache = PatronCache(config.journal_path.parent / "patron-cache.json")
        self.flows = Flows()
        self.fault: dict | None = None
        self.health = DeviceHealth()
        self.fault_history: deque[dict] = deque(maxlen=FAULT_HISTORY)  # newest first
        self.notice: dict | None = None
        self.notice_seq = 0  # counts notices: the same notice twice is still news
        self.step: dict | None = None
        self.ui_url: str | None = None
        self.identifications = 0  # answers to cards and QR codes so far: a screen sees a new one
        self.screens = Screens()
        self._task: asyncio.Task | None = None
        self._generation = 0  # of the current state's action
        self._idle_timer: asyncio.TimerHandle | None = None
        self.hold_timer = HoldTimer(self)
        self.observe = Observability(config)  # metrics and alerts (kiosk/observe.py)
        self.technician_access = TechnicianAccess(config.control, config.path)
        self.speaker = Speaker(config.speech)  # voice guidance (kiosk/speech.py)
        self.health.speech = self.speaker.health

    # -- life cycle ---------------------------------------------------------
    async def open(self) -> None:
        """Open the journal, the library connector, the devices and the sync worker."""
        private_dir(self.config.journal_path.parent)
        self.journal = Journal.open(self.config.journal_path, slot_count=_slot_count(self.config))
        self.library = Library.from_config(self.config)
        self.devices = Devices(self.config, self.post)
        self.mech = Mechanics(self.devices, self.config.carousel.poll_interval)
        self.sync = Sync(self.journal, self.library, self.config.sync, self.config.machine.id,
                         policy=self.config.policy, on_change=lambda _status: self.publish(),
                         on_holds=lambda holds, complete: self.post(
                             Query(library_holds.take, (holds, complete))))
        self.observe.attach(self)
        self.speaker.start()

    async def run(self, started: asyncio.Event | None = None) -> None:
        """Run until cancelled: start-up, then one event at a time."""
        await self.open()
        sync_task = asyncio.create_task(self._supervise_sync(), name="sync")
        hours_task = asyncio.create_task(self._watch_hours(), name="hours")
        room_task = asyncio.create_task(journal_room.watch(self), name="journal-room")
        try:
            await self.machine.activate_initial_state()
            if started is not None:
                started.set()
            while True:
                await self._dispatch(await self.queue.get())
        finally:
            for task in (sync_task, hours_task, room_task, self._task):
                if task is not None:
                    task.cancel()
            await self.close()

    async def _supervise_sync(self) -> None:
        """Keep the outbox worker running: an unexpected error is logged and it starts again."""
        while True:
            try:
                await self.sync.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sync worker failed; restarting it")
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        """Release every device, the speaker, the connector and the journal."""
        self.speaker.close()
        if self.devices is not None:
            try:
                await self.devices.stop()
            except DriverError as exc:
                log.warning("closing devices: %s", exc)
        if self.library is not None:
            self.library.close()
        if self.journal is not None:
            self.journal.close()

    # -- what reaches the loop ------------------------------------------------
    def post(self, item: object) -> None:
        """Queue an item for the loop (driver events, steps, requests)."""
        self.queue.put_nowait(item)

    async def request(self, event: Event, payload: dict | None = None,
                      handler: Callable[["Controller", dict], Reply] | None = None) -> Any:
        """Send a request's event; its handler (default: the patron's) answers once allowed."""
        request = Request(event, payload or {}, handler or patron.HANDLERS.get(event))
        self.post(request)
        return await request.future

    async def query(self, read: Callable[..., Any], *args: Any) -> Any:
        """Run `read(self, *args)` on the loop, between two events, and return its answer."""
        query = Query(read, args)
        self.post(query)
        return await query.future

    async def _dispatch(self, item: object) -> None:
        if isinstance(item, Reported):
            if item.generation != self._generation:  # its state was left meanwhile: stale
                log.debug("stale result %r dropped", item.item)
                return
            item = item.item
        if isinstance(item, StartRefused):
            raise item
        if isinstance(item, Step):
            await self._apply(item.event, item.payload, Source.ACTION)
        elif isinstance(item, Fault):
            await self._enter_fault(item.code, item.detail)
        elif isinstance(item, Request):
            await self._answer(item)
        elif isinstance(item, Query):
            settle(item.future, item.read, self, *item.args)
        elif isinstance(item, External):
            await self._apply(item.event, item.payload, item.source)
        else:
            await self._device_event(item)

    async def _device_event(self, item: object) -> None:
        if isinstance(item, Scanned):
            await self._scanned(item.data)
        elif (event := device_events.translate(item, self.health)) is not None:
            await self._apply(*event, Source.DEVICE)
        elif isinstance(item, HEALTH_EVENTS):
            self.publish()  # the screen shows which ways in work (a lost card reader: QR only)

    async def _scanned(self, data: str) -> None:
        """A member's QR code or barcode; anything that is no member number is logged, not sent.
        While a return waits for a book's barcode, the scan is that book's item id."""
        if self.state is KioskState.IDENTIFYING_RETURN and self._item_barcode(data):
            return
        try:
            member = text_input.MEMBER.check(data)
        except text_input.InvalidText as exc:
            log.warning("scanned code ignored: %s", exc)
            return
        credential = Credential(CredentialKind.MEMBER, member)
        await self._apply(Event.CARD_PRESENTED, {"credential": credential}, Source.DEVICE)

    def _item_barcode(self, data: str) -> bool:
        """Hand a scanned item id to the return waiting for it; True if one was waiting."""
        flow = self.flows.ret
        if flow is None or flow.barcode is None or flow.barcode.done():
            return False
        try:
            flow.barcode.set_result(text_input.ITEM_ID.check(data))
        except text_input.InvalidText as exc:
            log.warning("scanned item barcode ignored: %s", exc)
        return True

    async def _apply(self, event: Event, payload: dict, source: Source) -> bool:
        """Send one event to the table; a refusal is handled by its source. True if taken."""
        if not await self._send(event, payload):
            await self.refused(event, source)
            return False
        if event in IDENTIFICATION_ANSWERS:
            self.identifications += 1
        if "notice" in payload:
            self.tell(payload["notice"])
        if "fault" in payload and self.fault is None:  # out of service already: keep the first
            self._note_fault(payload["fault"])
        self.publish()
        return True

    async def _send(self, event: Event, payload: dict) -> bool:
        try:
            await self.machine.send(event.value, payload=payload)
        except TransitionNotAllowed:
            return False
        if self.state is KioskState.SERVICING and event in JOB_INTERRUPTIONS:
            self.flows.job.interrupt(JOB_INTERRUPTIONS[event], payload.get("credential"))
        return True

    async def refused(self, event: Event, source: Source) -> None:
        """What a refused event means, by where it came from."""
        if source is Source.ACTION and event is Event.FAULT:
            log.critical("a fault was refused in state %s", self.state.value)
        elif source is Source.ACTION:
            await self._enter_fault("event_refused", f"{event.value} in {self.state.value}")
        else:  # the hours timer is refused twice a minute whenever nothing changes: debug only
            level = logging.DEBUG if source is Source.TIMER else logging.INFO
            log.log(level, "%s event %s ignored in state %s", source.value, event.value,
                    self.state.value)

    async def _answer(self, request: Request) -> None:
        if request.future is not None and self.state in SESSION_STATES:
            self.touch()  # a patron's request, not the idle timer's
        if not self.machine.allows(request.event.value):
            return fail(request.future, Refused(REQUEST_REFUSALS.get(request.event, "not_now")))
        try:
            reply = request.handler(self, request.payload) if request.handler else Reply(
                None, request.event)
        except Exception as exc:  # a refusal, or a bug: the caller gets it, the loop goes on
            return fail(request.future, exc)
        if reply.event is not None and not await self._send(reply.event, reply.payload):
            return fail(request.future, Refused(REQUEST_REFUSALS.get(request.event, "not_now")))
        if "notice" in request.payload and reply.event is not None:
            self.tell(request.payload["notice"])
        self.publish()
        if request.future is not None and not request.future.done():
            request.future.set_result(reply.answer)

    def _note_fault(self, fault: dict) -> None:
        """The fault the machine is out of service for: shown, remembered, journaled (for
        `kiosk stats`; a full disk must not stop the safe state)."""
        self.fault = fault
        self.fault_history.appendleft(fault)
        if self.journal is None:  # not open yet
            return
        try:
            self.journal.append(FaultRecorded(code=str(fault["code"])[:64] or "unknown",
                                              detail=str(fault.get("detail") or "")[:500] or None))
        except (JournalError, OSError, sqlite3.Error) as exc:
            log.error("could not journal the fault %s: %s", fault.get("code"), exc)

    async def _enter_fault(self, code: str, detail: str) -> None:
        log.error("fault: %s %s", code, detail)
        await self._apply(Event.FAULT, {"fault": device_events.fault(code, detail)},
                          Source.ACTION)

    @property
    def state(self) -> KioskState:
        """The current state."""
        return self.machine.state

    # -- entering a state: start its action ----------------------------------
    async def enter(self, state: KioskState, payload: dict) -> None:
        """Called by the machine on every entry; long work runs as a task reporting a Step."""
        self._cancel_action()
        self.flows.take(payload)
        self._housekeep(state, payload)
        action = ACTIONS.get(state)
        if action is not None:
            self._spawn(state, lambda: action(self, payload))
        if state in SESSION_STATES:
            self.touch()
        else:
            self._cancel_idle_timer()

    def _housekeep(self, state: KioskState, payload: dict) -> None:
        """What entering a state means for the flows it leaves behind."""
        session = self.flows.session
        if "missed" in payload and session is not None:  # the prefetched book was not there
            session.prefetch = None
            if payload["missed"] in session.cart:
                session.cart.remove(payload["missed"])
        if state in (KioskState.VERIFYING, KioskState.RETRACTING) and session is not None:
            session.prefetch = None  # a prefetched book is now an ordinary vend (or goes back)
        if state is KioskState.BROWSING and session is not None:
            session.confirmed = False  # back from a vend: the patron may choose again
        if state in (KioskState.READY, KioskState.CLOSED):
            self.flows.end_patron_flows()
            self.fault = None
        if state is not KioskState.SERVICING and self.flows.job is not None:
            self.flows.job.finish(ended_in=state.value)  # a fault ends it too: say where it is
            self.flows.job = None
        if state is KioskState.OUT_OF_SERVICE:
            self.flows = Flows()
            if self.fault is None and payload.get("fault"):
                self._note_fault(payload["fault"])

    def _cancel_action(self) -> None:
        """Stop the previous state's action: its results no longer apply."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._generation += 1

    def _spawn(self, state: KioskState, work: Callable[[], Awaitable[Step | None]]) -> None:
        generation = self._generation

        def report(item: object) -> None:
            self.post(Reported(generation, item))

        async def run() -> None:
            try:
                step = await work()
            except asyncio.CancelledError:
                return
            except StartRefused as refused:  # not this machine: the loop stops, the process exits
                report(refused)
            except Fault as fault:
                report(fault)
            except DriverError as exc:
                report(Fault("device", f"{type(exc).__name__}: {exc}"))
            except (sqlite3.Error, OSError) as exc:  # the journal could not be written
                log.exception("action of %s could not write the journal", state.value)
                report(journal_room.write_failure(self, exc))
            except Exception as exc:
                log.exception("action of %s failed", state.value)
                report(Fault("internal", f"{type(exc).__name__}: {exc}"))
            else:
                if step is not None:
                    report(step)
                elif state not in WAITS_FOR:
                    report(Fault("internal", f"the action of {state.value} ended without a step"))
        self._task = asyncio.get_running_loop().create_task(run())

    def is_open(self) -> bool:
        """Within opening hours now."""
        return self.guards.is_open()

    # -- services the actions use ---------------------------------------------
    async def ask_library(self, method: str, *args: Any) -> Any:
        """A library call within the session's deadline; a late answer counts as unreachable."""
        deadline = self.config.session.library_deadline
        try:
            async with asyncio.timeout(deadline):  # wait_for (3.11) can lose a cancel
                return await self.library.call(method, *args)
        except asyncio.TimeoutError:
            raise LibraryUnavailable(f"{method}: no answer within {deadline} s") from None

    @property
    def offline(self) -> bool:
        """True while the library system cannot be reached (or this session was opened offline)."""
        session = self.flows.session
        return bool(session and session.offline) or (
            self.sync is not None and not self.sync.status.online)

    def kick_sync(self) -> None:
        """Deliver new outbox events now."""
        if self.sync is not None:
            self.sync.kick()

    def tell(self, notice: dict | None) -> None:
        """Set the patron's notice; each new one is numbered so the screen shows it once."""
        self.notice = notice
        if notice is not None:
            self.notice_seq += 1

    def progress(self, step: str | None, item_id: str | None, seconds: float | None = None) -> None:
        """Note the machine's visible progress (with the seconds it should take, when known) and
        tell the screens."""
        self.step = None if step is None else {"step": step, "item_id": item_id}
        if self.step is not None and seconds is not None:
            self.step["seconds"] = round(seconds, 1)
        self.publish()

    # -- the patron's idle countdown -------------------------------------------
    def touch(self) -> None:
        """The patron did something: restart the idle countdown."""
        self._cancel_idle_timer()
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.idle_backstop, self._idle_expired)

    @property
    def idle_backstop(self) -> float:
        """Seconds without a request that end a session: longer while voice mode is on."""
        factor = self.config.accessibility.voice_idle_factor if self.flows.voice_on() else 1.0
        return self.config.session.idle_timeout * factor

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_expired(self) -> None:
        self.post(Request(Event.SESSION_ENDED, {"notice": {"code": "session_timed_out"}},
                          patron.idle_timeout, future=None))

    # -- what the screen sees ----------------------------------------------------
    def snapshot(self) -> dict:
        """Everything the touchscreen shows, as plain JSON (no display text)."""
        sync = self.sync.status if self.sync is not None else None
        session = self.flows.session
        return {
            "state": self.state.value,
            # read between a transition and its housekeeping, a left state's session is gone
            "session": session.public() if session and self.state not in NO_SESSION else None,
            "pin_needed": self.flows.pin_wait is not None,
            "identifications": self.identifications,
            "progress": self.step,
            "notice": self.notice,
            "notice_seq": self.notice_seq,
            "fault": self.fault,
            "offline": self.offline,
            "backlog": sync.backlog if sync is not None else None,
            "idle_timeout": self.idle_backstop,
            "job": self.flows.job.public() if self.flows.job is not None else None,
            "readers": {"card": self.health.card.ok, "scanner": self.health.scanner.ok},
        }

    def publish(self) -> None:
        """Send the current snapshot to every screen (and re-arm the hold timer: holds change
        with the state)."""
        self.screens.publish(self.snapshot())
        self.hold_timer.arm()

    async def _watch_hours(self) -> None:
        while True:
            await asyncio.sleep(HOURS_CHECK_SECONDS)
            self.post(External(Event.HOURS_CHANGED, Source.TIMER))


def _slot_count(config: KioskConfig) -> int:
    """The slots the journal may name: [carousel.geometry], else the reference machine's."""
    expected = config.carousel.geometry
    if expected.levels is not None and expected.positions is not None:
        return expected.levels * expected.positions
    return REFERENCE_SLOTS

