"""The controller: one asyncio loop owns the state machine and the journal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.barcode import Scanned
from drivers.card import CardPresented, CardUnreadable
from drivers.carousel import (
    ConnectionLost,
    FaultLatched,
    HeartbeatStalled,
    PlcRebooted,
    StateChanged,
)
from drivers.carousel.geometry import REFERENCE_TIMING
from drivers.errors import DriverError
from kiosk import patron, policy, returning, startup, vending
from kiosk.config import KioskConfig
from kiosk.devices import Devices, Library
from kiosk.journal import HoldCancelled, HoldEnd, Journal, utc_now
from kiosk.machine import KioskMachine, KioskState
from kiosk.mechanics import Mechanics
from kiosk.session import PatronCache, Session
from kiosk.steps import Fault, Step
from kiosk.sync import Sync

log = logging.getLogger(__name__)

IDLE_STATES = (KioskState.READY, KioskState.CLOSED)
SESSION_STATES = (KioskState.PIN_ENTRY, KioskState.BROWSING, KioskState.PREFETCHING)
DEVICE_FAULTS = (PlcRebooted, HeartbeatStalled, FaultLatched, ConnectionLost)
HOURS_CHECK_SECONDS = 30.0


@dataclass
class Request:
    """A patron's or technician's request, answered on the loop through `future`."""

    handler: Callable[..., Awaitable[Any]]
    args: tuple = ()
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Controller:
    """Sequences the devices through the state machine; the only writer of the journal."""

    def __init__(self, config: KioskConfig):
        self.config = config
        self.timing = REFERENCE_TIMING
        self.queue: asyncio.Queue = asyncio.Queue()
        self.journal: Journal | None = None
        self.devices: Devices | None = None
        self.mech: Mechanics | None = None
        self.library: Library | None = None
        self.sync: Sync | None = None
        self.machine = KioskMachine(self, self)
        self.cache = PatronCache(config.journal_path.parent / "patron-cache.json")
        self.session: Session | None = None
        self.pending: dict | None = None  # a credential waiting for its PIN
        self.vend_item: str | None = None
        self.prefetch: dict | None = None  # {"item_id", "keep", "ready"}: fetched while browsing
        self.return_intent: str | None = None
        self.return_item: str | None = None
        self.fault: dict | None = None
        self.notice: dict | None = None
        self.step: dict | None = None
        self.identifications = 0  # answers to cards and QR codes so far: a screen sees a new one
        self._subscribers: set[asyncio.Queue] = set()
        self._task: asyncio.Task | None = None
        self._generation = 0  # of the current state's action
        self._idle_timer: asyncio.TimerHandle | None = None
        self._offline_session = False

    # -- life cycle ---------------------------------------------------------
    async def open(self) -> None:
        """Open the journal, the library connector, the devices and the sync worker."""
        self.config.journal_path.parent.mkdir(parents=True, exist_ok=True)
        self.journal = Journal.open(self.config.journal_path, slot_count=1000)
        self.library = Library.from_config(self.config)
        self.devices = Devices(self.config, self.post)
        self.mech = Mechanics(self.devices, self.config.carousel.poll_interval)
        self.sync = Sync(self.journal, self.library, self.config.sync, self.config.machine.id,
                         policy=self.config.policy, on_change=lambda _status: self.publish())

    async def run(self, started: asyncio.Event | None = None) -> None:
        """Run until cancelled: start-up, then one event at a time."""
        await self.open()
        sync_task = asyncio.create_task(self._supervise_sync(), name="sync")
        hours_task = asyncio.create_task(self._watch_hours(), name="hours")
        try:
            await self.machine.activate_initial_state()
            if started is not None:
                started.set()
            while True:
                await self._dispatch(await self.queue.get())
        finally:
            for task in (sync_task, hours_task, self._task):
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
        """Release every device, the connector and the journal."""
        if self.devices is not None:
            try:
                await self.devices.stop()
            except DriverError as exc:
                log.warning("closing devices: %s", exc)
        if self.library is not None:
            self.library.close()
        if self.journal is not None:
            self.journal.close()

    # -- events -------------------------------------------------------------
    def post(self, item: object) -> None:
        """Queue an event for the loop (driver events, steps, requests)."""
        self.queue.put_nowait(item)

    async def request(self, handler: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run `handler(self, *args)` between two events and return its answer."""
        request = Request(handler, args)
        self.post(request)
        return await request.future

    async def _dispatch(self, item: object) -> None:
        if isinstance(item, Step):
            await self._send(item.event, item.payload)
        elif isinstance(item, Fault):
            await self._enter_fault(item.code, item.detail)
        elif isinstance(item, Request):
            await self._answer(item)
        elif isinstance(item, CardPresented):
            await self._identify_from({"card": item.uid.hex().upper()})
        elif isinstance(item, CardUnreadable):
            if self.state is KioskState.READY:
                self.notice = {"code": "card_unreadable"}
                self.identifications += 1
                self.publish()
        elif isinstance(item, Scanned):
            await self._identify_from({"member": item.data})
        elif isinstance(item, DEVICE_FAULTS):
            if self.state not in (KioskState.STARTING, KioskState.OUT_OF_SERVICE,
                                  KioskState.MAINTENANCE, KioskState.HOMING):
                await self._enter_fault("device", type(item).__name__)
        elif isinstance(item, StateChanged):
            log.info("PLC state %s -> %s", item.old.name, item.new.name)
        else:
            log.debug("event %r", item)

    async def _identify_from(self, credential: dict) -> None:
        if self.state is KioskState.READY:
            await self._send("card_presented", credential)
        else:
            log.info("credential ignored in state %s", self.state.value)

    async def _answer(self, request: Request) -> None:
        try:
            request.future.set_result(await request.handler(self, *request.args))
        except Exception as exc:  # the caller gets the error; the loop goes on
            if not request.future.done():
                request.future.set_exception(exc)

    async def _send(self, event: str, payload: dict | None = None) -> None:
        try:
            await self.machine.send(event, payload=payload or {})
        except Exception as exc:
            log.error("event %s refused in state %s: %s", event, self.state.value, exc)
        self.publish()

    async def _enter_fault(self, code: str, detail: str) -> None:
        self.fault = {"code": code, "detail": detail, "at": utc_now().isoformat()}
        log.error("fault: %s %s", code, detail)
        await self._send("fault")

    @property
    def state(self) -> KioskState:
        """The current state."""
        return self.machine.state

    # -- entering a state: start its action ----------------------------------
    async def enter(self, state: KioskState, payload: dict) -> None:
        """Called by the machine on every entry; long work runs as a task reporting a Step."""
        action = ACTIONS.get(state)
        self._cancel_action()
        if state in (KioskState.VERIFYING, KioskState.RETRACTING):
            self.prefetch = None  # a prefetched book is now an ordinary vend (or goes back)
        if state is KioskState.BROWSING and self.session is not None:
            self.session.confirmed = False  # back from a vend: the patron may choose again
        if state in IDLE_STATES:
            self._end_session()
        if state is KioskState.OUT_OF_SERVICE:
            self._end_session()
            self._spawn(startup.safe_state(self))
        elif action is not None:
            self._spawn(action(self, payload))
        if state in SESSION_STATES:
            self.touch()

    def _cancel_action(self) -> None:
        """Stop the previous state's action: its results no longer apply."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._generation += 1

    def _spawn(self, work: Awaitable[Step | None]) -> None:
        generation = self._generation

        def report(item: object) -> None:
            if generation == self._generation:  # a cancelled or replaced action says nothing
                self.post(item)

        async def run() -> None:
            try:
                step = await work
            except asyncio.CancelledError:
                return
            except Fault as fault:
                report(fault)
            except DriverError as exc:
                report(Fault("device", f"{type(exc).__name__}: {exc}"))
            except Exception as exc:
                log.exception("action failed")
                report(Fault("internal", f"{type(exc).__name__}: {exc}"))
            else:
                if step is not None:
                    report(step)
        self._task = asyncio.get_running_loop().create_task(run())

    # -- guards for the transition table -------------------------------------
    def is_open(self) -> bool:
        return policy.is_open(utc_now(), self.config.policy)

    def needs_pin(self) -> bool:
        return self.pending is not None

    def more_to_vend(self) -> bool:
        return self.session is not None and bool(self.session.to_vend)

    def session_open(self) -> bool:
        return self.session is not None and not self.session.ending

    def use_prefetched(self) -> bool:
        pre, session = self.prefetch, self.session
        return bool(pre and pre["ready"] and pre["keep"] and session and session.confirmed
                    and not session.ending)

    def drop_prefetched(self) -> bool:
        pre, session = self.prefetch, self.session
        return bool(pre and pre["ready"] and (session is None or session.ending
                                               or (session.confirmed and not pre["keep"])))

    def book_in_port(self) -> bool:
        status = self.mech.last_status if self.mech else None
        return status is not None and status.sensors.return_item_present

    def returns_when_closed(self) -> bool:
        return self.config.session.returns_when_closed

    # -- session helpers -------------------------------------------------------
    def require_session(self) -> Session:
        """The session an action needs; a Fault if there is none."""
        return _required(self.session, "no session")

    def require_vend_item(self) -> str:
        """The item being lent."""
        return _required(self.vend_item, "no item being lent")

    def require_return_intent(self) -> str:
        """The open return intent."""
        return _required(self.return_intent, "no return under way")

    def require_return_item(self) -> str:
        """The item being taken back."""
        return _required(self.return_item, "no returned item")

    @property
    def offline(self) -> bool:
        """True while the library system cannot be reached."""
        return self._offline_session or (self.sync is not None and not self.sync.status.online)

    def kick_sync(self) -> None:
        """Deliver new outbox events now."""
        if self.sync is not None:
            self.sync.kick()

    def touch(self) -> None:
        """The patron did something: restart the idle countdown."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.config.session.idle_timeout, self._idle_expired)

    def _idle_expired(self) -> None:
        if self.state in SESSION_STATES and not (self.session and self.session.confirmed):
            self.notice = {"code": "session_timed_out"}
            self.end_session_soon()

    def end_session_soon(self) -> None:
        """End the session now, or once a book being prefetched is back in its slot."""
        if self.session is not None:
            self.session.ending = True
            self.session.to_vend = []  # the patron has gone: fetch nothing more
        if self.state in (KioskState.BROWSING, KioskState.PIN_ENTRY, KioskState.IDENTIFYING):
            self.post(Step("session_ended"))

    def _end_session(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self.session, self.pending, self._offline_session = None, None, False
        self.prefetch = None

    # -- what the screen sees ----------------------------------------------------
    def progress(self, step: str | None, item_id: str | None) -> None:
        """Note the machine's visible progress and tell the screens."""
        self.step = None if step is None else {"step": step, "item_id": item_id}
        self.publish()

    def snapshot(self) -> dict:
        """Everything the touchscreen shows, as plain JSON (no display text)."""
        sync = self.sync.status if self.sync is not None else None
        return {
            "state": self.state.value,
            "session": self.session.public() if self.session else None,
            "pin_needed": self.pending is not None,
            "identifications": self.identifications,
            "progress": self.step,
            "notice": self.notice,
            "fault": self.fault,
            "offline": self.offline,
            "backlog": sync.backlog if sync is not None else None,
            "idle_timeout": self.config.session.idle_timeout,
        }

    def subscribe(self) -> asyncio.Queue:
        """A queue that receives every new snapshot (for server-sent events)."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=16)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        """Stop sending snapshots to `queue`."""
        self._subscribers.discard(queue)

    def close_subscribers(self) -> None:
        """Tell every event stream to end (shutdown): a None ends it."""
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(None)

    def publish(self) -> None:
        """Send the current snapshot to every subscriber (dropping the oldest if one lags)."""
        snapshot = self.snapshot()
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(snapshot)

    async def _watch_hours(self) -> None:
        while True:
            await asyncio.sleep(HOURS_CHECK_SECONDS)
            self.post(Request(_check_hours))


def _required(value, missing: str):
    """`value`, or an internal Fault when an action runs without what it needs."""
    if value is None:
        raise Fault("internal", missing)
    return value


async def _check_hours(ctl: Controller) -> None:
    _expire_holds(ctl)
    open_now = ctl.is_open()
    if (ctl.state is KioskState.READY and not open_now) or (ctl.state is KioskState.CLOSED and open_now):
        await ctl._send("hours_changed")


def _expire_holds(ctl: Controller) -> None:
    """A ready hold not collected within its days ends; the library is told through the outbox."""
    now = utc_now()
    for hold in ctl.journal.active_holds():
        facts = policy.HoldFacts(hold.item_id, hold.patron_id, hold.ready_at)
        if policy.hold_expired(facts, now, ctl.config.policy):
            ctl.journal.append(HoldCancelled(item_id=hold.item_id, patron_id=hold.patron_id,
                                             reason=HoldEnd.EXPIRED))
            ctl.kick_sync()


ACTIONS: dict[KioskState, Callable[[Controller, dict], Awaitable[Step | None]]] = {
    KioskState.STARTING: lambda ctl, p: startup.start(ctl),
    KioskState.HOMING: lambda ctl, p: startup.home(ctl),
    KioskState.IDENTIFYING: lambda ctl, p: patron.identify(ctl, p),
    KioskState.PREFETCHING: lambda ctl, p: vending.prefetch(ctl),
    KioskState.FETCHING: lambda ctl, p: vending.fetch(ctl),
    KioskState.VERIFYING: lambda ctl, p: vending.verify(ctl),
    KioskState.PRESENTING: lambda ctl, p: vending.present(ctl),
    KioskState.AWAITING_TAKE: lambda ctl, p: vending.await_take(ctl),
    KioskState.CLOSING_PICKUP: lambda ctl, p: vending.close_pickup(ctl),
    KioskState.RETRACTING: lambda ctl, p: vending.retract(ctl, p),
    KioskState.OPENING_RETURN: lambda ctl, p: returning.open_shutter(ctl),
    KioskState.AWAITING_INSERT: lambda ctl, p: returning.await_insert(ctl),
    KioskState.CLOSING_RETURN: lambda ctl, p: returning.close_shutter(ctl),
    KioskState.IDENTIFYING_RETURN: lambda ctl, p: returning.identify(ctl),
    KioskState.SHELVING: lambda ctl, p: returning.shelve(ctl),
    KioskState.HANDING_BACK: lambda ctl, p: returning.hand_back(ctl),
    KioskState.DIVERTING: lambda ctl, p: returning.divert(ctl),
}
