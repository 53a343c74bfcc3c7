"""The card reader driver: a thread that watches one PC/SC reader and reports cards by UID.

It runs its own SCardGetStatusChange loop rather than pyscard's CardMonitor: CardMonitor is
a process-wide singleton whose thread ends for good on SCARD_E_NO_SERVICE (pcscd restarted),
cannot be stopped before its 60 s wait ends, and diffs card lists, so a tap that comes and
goes between two looks is lost. Our own context can be re-established after pcscd returns,
woken by SCardCancel on stop(), and pcsc-lite's event counter reveals taps too quick to see.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from smartcard import scard

from drivers.card.config import CardConfig
from drivers.card.events import (CardEvent, CardPresented, CardRemoved, CardUnreadable,
                                 ReaderLost, ReaderLostReason, ReaderRestored, UnreadableReason)
from drivers.card.pcsc import CardReadFailed, PcscContext, PcscUnavailable, card_events

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 2.0  # beyond poll_seconds, for a PC/SC call already under way


class CardReader:
    """Watches the configured reader; emits CardPresented/CardRemoved/... through `on_event`.

    Every card that enters the field yields exactly one CardPresented or CardUnreadable, and
    later exactly one CardRemoved (also when the reader is lost while the card is in).
    """

    def __init__(self, config: CardConfig, on_event: Callable[[CardEvent], None]):
        self.config = config
        self._on_event = on_event
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _context between the thread and stop()
        self._context: PcscContext | None = None
        self._thread: threading.Thread | None = None
        self._lost = False
        self._card_in = False
        self._backoff = config.retry_min_seconds
        self.reader_name: str | None = None  # the full name of the reader watched, once found

    def start(self) -> None:
        """Start watching in the driver's thread."""
        if self.running:
            raise RuntimeError("the card reader is already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="card-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and join the thread."""
        self._stop.set()
        with self._lock:
            if self._context is not None:
                self._context.cancel()
        thread = self._thread
        if thread is not None:
            thread.join(self.config.poll_seconds + STOP_GRACE_SECONDS)
            if thread.is_alive():
                log.warning("card reader thread still inside a PC/SC call after stop()")

    @property
    def running(self) -> bool:
        """Whether the driver's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # -- the thread -------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except PcscUnavailable as exc:
                self._reader_lost(exc.reason, exc.code, str(exc))
            except Exception as exc:  # noqa: BLE001 - the watch must outlive a surprise
                log.exception("card reader: unexpected error")
                self._reader_lost(ReaderLostReason.PCSC_ERROR, None, repr(exc))
            self._stop.wait(self._backoff)  # returns at once after stop()
            self._backoff = min(self._backoff * 2, self.config.retry_max_seconds)

    def _session(self) -> None:
        """Watch the reader with one PC/SC context until stop() or a failure."""
        context = PcscContext()
        with self._lock:
            self._context = context
        try:
            if self._stop.is_set():
                return
            reader = context.find_reader(self.config.reader)
            state = context.wait_change(reader, scard.SCARD_STATE_UNAWARE, 0)
            if state is None:
                return
            self.reader_name = reader
            self._reader_restored()
            if state & scard.SCARD_STATE_PRESENT:
                self._card_arrived(context, reader)
            self._watch(context, reader, state)
        finally:
            with self._lock:
                self._context = None
            context.close()

    def _watch(self, context: PcscContext, reader: str, known: int) -> None:
        while not self._stop.is_set():
            state = context.wait_change(reader, known, self.config.poll_seconds)
            if state is not None:
                self._changed(context, reader, known, state)
                known = state

    def _changed(self, context: PcscContext, reader: str, known: int, state: int) -> None:
        """Turn a reader state change into card events, counting taps too quick to see."""
        present = bool(state & scard.SCARD_STATE_PRESENT)
        events = (card_events(state) - card_events(known)) & 0xFFFF
        if events == 0 and present != self._card_in:
            events = 1  # a PC/SC stack without pcsc-lite's event counter
        if self._card_in and events:
            self._card_left()
            events -= 1
        unseen_taps = (events - 1) // 2 if present else events // 2
        if unseen_taps > 0:
            # A card came and went between two looks: tell the patron to hold it longer.
            self._emit(CardUnreadable(UnreadableReason.REMOVED_TOO_SOON))
            self._emit(CardRemoved())
        if present and events:
            self._card_arrived(context, reader)

    def _card_arrived(self, context: PcscContext, reader: str) -> None:
        try:
            uid = context.read_uid(reader)
        except CardReadFailed as exc:
            log.info("card unreadable: %s", exc)
            event: CardEvent = CardUnreadable(exc.reason, exc.status_words)
        else:
            event = CardPresented(uid)
        self._card_in = True
        self._emit(event)

    def _card_left(self) -> None:
        self._card_in = False
        self._emit(CardRemoved())

    def _reader_lost(self, reason: ReaderLostReason, code: int | None, detail: str) -> None:
        if self._card_in:
            self._card_left()
        if not self._lost:
            log.warning("card reader lost: %s", detail)
            self._lost = True
            self._emit(ReaderLost(reason, code))

    def _reader_restored(self) -> None:
        self._backoff = self.config.retry_min_seconds
        if self._lost:
            log.info("card reader %r restored", self.reader_name)
            self._lost = False
            self._emit(ReaderRestored())

    def _emit(self, event: CardEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a failing consumer must not stop the watch
            log.exception("card reader: on_event failed for %r", event)
