"""The outbox worker: delivers journal events to the library system from the controller's loop."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from kiosk.config import SyncConfig
from kiosk.connectors import ConnectorError, EventResult, LibraryProtocolError, Outcome, Reason
from kiosk.connectors.base import DeliveryInterrupted, LibraryHold
from kiosk.journal import Event, Journal, JournalRefused, Loan, OutboxConflict, utc_now
from kiosk.journal import EventKind as JournalKind
from kiosk.machine_key import KEY_FILE, MachineKey
from kiosk.policy import PolicyConfig
from kiosk.sync.model import (
    SyncConflict, SyncError, SyncStatus, backoff_delay, error_kind, library_event, needless,
    settle,
)

log = logging.getLogger(__name__)
UNREACHABLE = (SyncError.UNAVAILABLE, SyncError.TIMEOUT)
OFFLINE_LENDING = "offline_lending"  # library_policy key: "yes" or "no"
# During a long catch-up, anonymise at most this often (seconds): each pass reads every event
# still naming a member, and all of a backlog does until it is delivered. Always once drained.
ANONYMISE_EVERY = 30.0
# A pass goes this many (patron, item) pairs at a time, each its own transaction, and lets
# the loop run between them: a week's catch-up closes thousands (one go held it 1.1-1.5 s).
ANONYMISE_PAIRS = 200
ANONYMISE_CHUNKS = 10_000  # at most this many in one pass (2,000,000 pairs); the next goes on


class LibraryCaller(Protocol):
    """kiosk.devices.Library: a connector method run in the library thread, awaited."""

    async def call(self, method: str, *args: Any) -> Any:
        """Call a connector method."""


class Sync:
    """Delivers the outbox in batches, in order per item; knows whether the library answers.

    Runs on the controller's loop and touches the journal only there; only the connector
    call goes to the library thread.
    """

    def __init__(self, journal: Journal, library: LibraryCaller, config: SyncConfig,
                 machine_id: str, on_change: Callable[[SyncStatus], None] | None = None, *,
                 policy: PolicyConfig | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 rng: random.Random | None = None,
                 pseudonym: Callable[[str], str] | None = None,
                 on_holds: Callable[[Sequence[LibraryHold], bool], None] | None = None) -> None:
        self.journal = journal
        self.library = library
        self.config = config
        self.machine_id = machine_id
        self.policy = policy or PolicyConfig()
        self._on_change = on_change
        self._clock = clock
        self._random = rng or random.Random()
        self._online = True
        self._verified = False  # the library has answered at least once
        # The library's last word on lending while unreachable, kept across restarts.
        self._offline_lending = journal.library_policy(OFFLINE_LENDING) != "no"
        self._policy_known = False  # asked since the library was last reachable
        self._failures = 0  # consecutive failed attempts of any kind
        self._unreachable = 0  # consecutive attempts that could not reach the library
        self._last_error: SyncError | None = None
        self._last_delivery_at: datetime | None = None
        self._wake = asyncio.Event()
        self._notified: SyncStatus | None = None
        self._running = False
        self._pseudonym = pseudonym or _machine_pseudonym(journal)
        self._on_holds = on_holds  # (holds the library reported, complete list?)
        self._holds_due = 0.0  # monotonic time of the next pull of the library's holds
        self._holds_listed = True  # the connector can list them (HTTP); SIP2 cannot
        self._anonymise_due = False  # delivered since the last anonymising pass
        self._anonymised_at = -ANONYMISE_EVERY  # monotonic time of the last pass

    @property
    def status(self) -> SyncStatus:
        """Online, backlog, oldest pending age, last error, failures, conflicts, last delivery."""
        backlog = self.journal.outbox_backlog()
        conflicts, refused = self.journal.open_conflict_counts()
        return SyncStatus(
            online=self._online, backlog=backlog.count,
            oldest_pending_age=backlog.oldest_age_seconds(self._clock()),
            last_error=self._last_error, consecutive_failures=self._failures,
            conflicts=conflicts, last_delivery_at=self._last_delivery_at,
            refused=refused, offline_lending=self._offline_lending)

    def kick(self) -> None:
        """Deliver now (the controller just appended an outbox event); no effect on a backoff."""
        self._wake.set()
        self._notify()

    async def run(self) -> None:
        """Deliver until cancelled."""
        if self._running:
            raise RuntimeError("Sync.run is already running")
        self._running = True
        await self.anonymise()  # what an earlier run delivered, or a journal from before it
        try:
            while True:
                await self._pause(await self.step())
        finally:
            self._running = False

    async def step(self) -> float | None:
        """One attempt (a batch, or a probe while unsure); seconds to wait, None: until kicked."""
        self._wake.clear()
        batch = self.journal.pending_outbox(self.config.batch_size)
        if not batch and self._online and self._verified and self._policy_known:
            await self._pull_holds()
            return None
        ok = await self._attempt(self._deliver(batch) if batch else self._probe())
        self._notify()
        await self._anonymise_delivered()
        if not ok:
            return backoff_delay(self._failures, self.config, self._random.random())
        await self._pull_holds()  # on its own schedule, whatever the backlog
        return 0.0 if batch or not self._policy_known else None

    def conflicts(self, open_only: bool = False) -> list[SyncConflict]:
        """Events the library objected to, oldest first (for the technician); open only: not
        yet resolved by a technician."""
        return [self._conflict(c) for c in self.journal.outbox_conflicts(open_only)]

    async def anonymise(self) -> int:
        """Closed, delivered circulation loses its member numbers (kiosk/journal/anonymise.py),
        ANONYMISE_PAIRS at a time; rows changed."""
        if self._pseudonym is None:
            return 0
        window = timedelta(hours=self.policy.offline_recent_hours)
        self._anonymise_due, self._anonymised_at = False, time.monotonic()
        changed = 0
        try:
            for _ in range(ANONYMISE_CHUNKS):
                rows = self.journal.anonymise(self._pseudonym, self._clock() - window,
                                              pairs_limit=ANONYMISE_PAIRS)
                if not rows:
                    break
                changed += rows
                await asyncio.sleep(0)  # the patron's flows and the screens go on meanwhile
        except Exception:  # privacy upkeep must never stop delivery; it runs again next time
            log.exception("anonymising delivered events failed")
        return changed

    async def _anonymise_delivered(self) -> None:
        """Anonymise after deliveries: once the backlog is drained, or every ANONYMISE_EVERY."""
        if not self._anonymise_due:
            return
        if (time.monotonic() - self._anonymised_at >= ANONYMISE_EVERY
                or not self.journal.pending_outbox(1)):
            await self.anonymise()

    async def _pause(self, delay: float | None) -> None:
        if delay is None:
            idle = self.config.retry_max  # a slow safety poll in case a kick was missed
            if self._pulls_holds():
                idle = min(idle, max(0.0, self._holds_due - time.monotonic()))
            # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancel that comes
            # as a kick wakes it (it returns the wait's result), and run() would never end.
            with suppress(TimeoutError):
                async with asyncio.timeout(idle):
                    await self._wake.wait()
        else:
            await asyncio.sleep(delay)

    async def _attempt(self, work: Awaitable[None]) -> bool:
        try:
            await work
        except ConnectorError as exc:
            self._failed(error_kind(exc), exc)
            return False
        except JournalRefused as exc:
            self._failed(SyncError.JOURNAL, exc)
            return False
        self._succeeded()
        return True

    def _pulls_holds(self) -> bool:
        return bool(self._on_holds and self.config.holds_every and self._holds_listed)

    async def _pull_holds(self) -> None:
        """Every holds_every seconds, the library's holds on this machine's books."""
        if not self._pulls_holds() or time.monotonic() < self._holds_due:
            return
        self._holds_due = time.monotonic() + self.config.holds_every
        try:
            holds = await self.library.call("holds_here")
        except ConnectorError as exc:  # the next delivery or probe notices; try again later
            log.warning("could not list the library's holds: %s", exc)
            return
        if holds is None:  # SIP2: holds arrive with returns and renewals instead
            self._holds_listed = False
            return
        self._report_holds(holds, complete=True)

    def _report_holds(self, holds: Sequence[LibraryHold], complete: bool) -> None:
        if self._on_holds is None:
            return
        try:
            self._on_holds(holds, complete)
        except Exception:  # the controller's bug must not stop delivery
            log.exception("reporting the library's holds failed")

    async def _probe(self) -> None:
        """Ask the library who it is and what it allows (SIP2: its 98)."""
        info = await self.library.call("info")
        said = "yes" if info.offline_ok else "no"
        if self.journal.library_policy(OFFLINE_LENDING) != said:
            log.warning("the library %s lending while it cannot be reached",
                        "allows" if info.offline_ok else "forbids")
            self.journal.note_library_policy(OFFLINE_LENDING, said)
        self._offline_lending, self._policy_known = info.offline_ok, True

    async def _deliver(self, batch: Sequence[Event]) -> None:
        sent_before = self.journal.mark_sending([e.uuid for e in batch])
        closed = self.journal.loans_closed_by(
            [e for e in batch if e.kind is JournalKind.RETURN_IDENTIFIED])
        events = [library_event(e, self.machine_id, e.uuid in sent_before, self._due_before(e),
                                _patron(closed.get(e.uuid))) for e in batch]
        try:
            results = await self.library.call("deliver_events", events)
        except DeliveryInterrupted as exc:  # what was answered before the break counts
            unanswered = self._settle(batch, exc.results)
            self._report_holds([r.hold for r in exc.results if r.hold is not None], False)
            self.journal.mark_failed(unanswered, error_kind(exc.cause).value)
            raise exc.cause from exc
        except ConnectorError as exc:
            self.journal.mark_failed([e.uuid for e in batch], error_kind(exc).value)
            raise
        unanswered = self._settle(batch, results)
        self._report_holds([r.hold for r in results if r.hold is not None], complete=False)
        if unanswered:
            self.journal.mark_failed(unanswered, SyncError.PROTOCOL.value)
            raise LibraryProtocolError(f"{len(unanswered)} of {len(batch)} events unanswered")

    def _settle(self, batch: Sequence[Event], results: Sequence[EventResult]) -> list[str]:
        """Mark what the library answered, in journal order; return the uuids left pending."""
        runs, unanswered = settle(batch, results)
        for uuids, (conflict, refused) in runs:
            self.journal.mark_delivered(uuids, conflict, refused)
        if runs:
            self._last_delivery_at = self._clock()
            self._anonymise_due = True
        objections = [r for r in results  # most batches have none
                      if r.reason is not None or r.outcome in (Outcome.CONFLICT, Outcome.REFUSED)]
        kinds = {e.uuid: e.kind for e in batch} if objections else {}
        for result in objections:
            if needless(kinds.get(str(result.event_id)), result):
                log.info("library did not need event %s any more (%s): settled",
                         result.event_id, result.reason)
            elif result.outcome is Outcome.CONFLICT:
                log.warning("library conflict on event %s: %s", result.event_id, result.reason)
            elif result.outcome is Outcome.REFUSED:
                log.error("library refused event %s (%s): not recorded there, a technician "
                          "must act", result.event_id, result.reason)
        return unanswered

    def _failed(self, kind: SyncError, exc: Exception) -> None:
        self._failures += 1
        self._last_error = kind
        self._unreachable = self._unreachable + 1 if kind in UNREACHABLE else 0
        if kind in UNREACHABLE:
            self._policy_known = False  # ask again once it answers
        if self._unreachable >= self.config.offline_after_failures:
            self._online = False
        log.warning("sync attempt %d failed (%s): %s", self._failures, kind, exc)

    def _succeeded(self) -> None:
        if not self._online:
            log.info("library system reachable again")
        self._online, self._verified = True, True
        self._failures = self._unreachable = 0
        self._last_error = None

    def _notify(self) -> None:
        if self._on_change is None:
            return
        status = self.status
        seen = dataclasses.replace(status, oldest_pending_age=0.0)  # age alone is no change
        if seen == self._notified:
            return
        self._notified = seen
        try:
            self._on_change(status)
        except Exception:  # a listener's bug must not stop delivery
            log.exception("sync on_change listener failed")

    def _returned_by(self, event: Event) -> str | None:
        """The patron whose loan a return closed (None for other events, or none found)."""
        if event.kind is not JournalKind.RETURN_IDENTIFIED:
            return None
        loan = self.journal.loan_closed_by(event)
        return loan.patron_id if loan else None

    def _due_before(self, event: Event) -> date | None:
        """A renewal's previous due date (the connector checks a resend against it)."""
        if event.kind is not JournalKind.RENEWED:
            return None
        return self.journal.due_before(event.payload.item_id, event.seq)

    def _conflict(self, conflict: OutboxConflict) -> SyncConflict:
        sent = library_event(conflict.event, self.machine_id,
                             returned_by=self._returned_by(conflict.event))
        return SyncConflict(conflict.event.uuid, sent.kind, sent.item_id, sent.patron,
                            sent.occurred_at, _reason(conflict.conflict), conflict.refused,
                            resolved_by=conflict.resolved_by, resolved_at=conflict.resolved_at,
                            note=conflict.note)


def _patron(loan: Loan | None) -> str | None:
    """The borrower of a loan a return closed (None: no loan found)."""
    return loan.patron_id if loan else None


def _machine_pseudonym(journal: Journal) -> Callable[[str], str] | None:
    """Pseudonyms from the machine key beside the journal file (None for a journal in memory)."""
    if journal.path is None:
        return None
    return MachineKey(journal.path.parent / KEY_FILE).patron


def _reason(code: str) -> Reason:
    """The Reason of a stored conflict code (UNSPECIFIED for a code this version lacks)."""
    try:
        return Reason(code)
    except ValueError:
        return Reason.UNSPECIFIED
