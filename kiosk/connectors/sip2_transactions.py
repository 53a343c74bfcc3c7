"""SIP2 transactions (11, 29, 09, 15) and journal delivery, exactly once without a private field.

A standard ACS ignores the XT transaction id, so the connector keeps its own word:
- every transaction id it sent is remembered with its answer; the same id again returns that
  answer as a duplicate without asking the ACS, and the id for another copy is refused;
- a transaction that may have been sent before with its answer lost (the journal's `resend`,
  or an id sent in this run with no answer) is checked against what the ACS says now (17,
  63) and not sent again when it already took effect;
- a checkout never goes out for a copy the patron already holds, because Koha and Evergreen
  turn that into a renewal.
A refusal is REFUSED (not recorded at the library), never a conflict.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from uuid import UUID

from drivers.sip2 import Message, format_local
from drivers.sip2 import layouts as f
from kiosk.connectors.base import (
    ConnectorError, DeliveryInterrupted, EventKind, EventResult, HoldResult, JournalEvent,
    LibraryHold, LibraryProtocolError, LoanResult, Outcome, Reason, Refusal, ReturnResult,
)
from kiosk.connectors.sip2_facts import (
    SUMMARY_CHARGED, SUMMARY_HOLDS, SUMMARY_UNAVAILABLE_HOLDS, Sip2Facts, refused, sendable, yn,
)
from kiosk.connectors.sip2_reasons import ItemFacts, reason_of

log = logging.getLogger(__name__)
Answer = LoanResult | ReturnResult | HoldResult | Refusal
REMEMBERED = 10_000  # transaction ids kept (about a month of a busy machine's circulation)
_END_OF_DAY = time(23, 59, 59)


class SentTransactions:
    """Transaction ids this connector sent, with their answer (None: no answer came back)."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self._sent: OrderedDict[UUID, tuple[str, str, Answer | None]] = OrderedDict()
        self._limit = limit

    def get(self, tx: UUID) -> tuple[str, str, Answer | None] | None:
        """(kind, item, answer) of a transaction id sent before."""
        return self._sent.get(tx)

    def note(self, tx: UUID, kind: str, item_id: str, answer: Answer | None) -> None:
        """Remember what was sent under `tx` and what came back."""
        self._sent[tx] = (kind, item_id, answer)
        self._sent.move_to_end(tx)
        while len(self._sent) > self._limit:
            self._sent.popitem(last=False)


class Sip2Transactions(Sip2Facts):
    """Checkouts, renewals, returns, holds and journal delivery over SIP2."""

    _sent: SentTransactions

    def checkout(self, patron: str, item_id: str, transaction_id: UUID,
                 when: datetime | None = None, no_block: bool = False,
                 fee_acknowledged: bool = False, due_on: date | None = None,
                 resend: bool = False, offline: bool = False) -> LoanResult | Refusal:
        """Lend the copy (no_block: replayed, due `due_on`; offline: lent offline, XO Y)."""
        def attempt(again: bool) -> Answer:
            lent = self.already_lent(patron, item_id)
            if lent is not None:  # sending would renew it (Koha, Evergreen)
                return lent if again else Refusal(Reason.ALREADY_ON_LOAN)
            # An offline loan happened: the book is with the patron, and the library must
            # record it whatever fee it asks (Koha refuses an 11 with a fee and no BO Y).
            acknowledged = fee_acknowledged or no_block
            reply = self._send(self._request("11", {
                "renewal_policy": "N", "no_block": yn(no_block),
                "transaction_date": self._time(when), "nb_due_date": self._due(due_on),
            }, [(f.PATRON_ID, patron), (f.ITEM_ID, item_id),
                (f.FEE_ACKNOWLEDGED, "Y" if acknowledged else None),
                (f.X_TRANSACTION_ID, str(transaction_id)), (f.X_OFFLINE, _y(offline))]))
            if not reply.flag("ok") and reply.get(f.FEE_AMOUNT) and not acknowledged:
                return refused(Reason.FEE_REQUIRED, reply)
            return self._loan_result(reply, "11", patron, item_id)
        return self._once("checkout", transaction_id, item_id, resend, attempt)

    def already_lent(self, patron: str, item_id: str) -> LoanResult | None:
        """The loan, when the library already has the copy lent to this patron."""
        if not (sendable(patron) and sendable(item_id)):
            return None
        if item_id not in self.patron_facts(patron, SUMMARY_CHARGED).charged:
            return None
        return LoanResult(item_id=item_id, patron=patron, due_at=self._due_at(item_id),
                          duplicate=True, conflict=None)

    def renew(self, patron: str, item_id: str, transaction_id: UUID,
              when: datetime | None = None, no_block: bool = False,
              due_on: date | None = None, resend: bool = False,
              due_before: date | None = None, offline: bool = False) -> LoanResult | Refusal:
        """Extend the loan once (no_block: replayed, to `due_on`, from `due_before`;
        offline: renewed offline, XO Y)."""
        def attempt(again: bool) -> Answer:
            if again and self._renewed(item_id, due_before, due_on):
                return LoanResult(item_id=item_id, patron=patron, due_at=self._due_at(item_id),
                                  duplicate=True, conflict=None)
            reply = self._send(self._request("29", {
                "third_party_allowed": "N", "no_block": yn(no_block),
                "transaction_date": self._time(when), "nb_due_date": self._due(due_on),
            }, [(f.PATRON_ID, patron), (f.ITEM_ID, item_id),
                (f.X_TRANSACTION_ID, str(transaction_id)), (f.X_OFFLINE, _y(offline))]))
            return self._loan_result(reply, "29", patron, item_id)
        return self._once("renew", transaction_id, item_id, resend, attempt)

    def _renewed(self, item_id: str, due_before: date | None, due_on: date | None) -> bool:
        """Whether the loan is already due later than before the renewal (the ACS may have
        set another date than the kiosk told); without the old date, on the new one."""
        item = self.item_facts(item_id)
        if not item.on_loan or item.due_at is None or (due_before or due_on) is None:
            return False
        due = item.due_at.astimezone(self.zone).date()
        return due > due_before if due_before is not None else due >= due_on

    def _due_at(self, item_id: str) -> datetime:
        item = self.item_facts(item_id)
        if item.due_at is None:
            raise LibraryProtocolError(f"charged item {item_id} has no due date")
        return item.due_at

    def _loan_result(self, reply: Message, code: str, patron: str,
                     item_id: str) -> LoanResult | Refusal:
        self._echo(reply, f.ITEM_ID, item_id)
        if not reply.flag("ok"):
            return refused(self.refusal_reason(code, reply, patron, item_id), reply)
        due = self._date(reply.get(f.DUE_DATE))
        if due is None:
            raise LibraryProtocolError("SIP2 loan without a due date")
        conflict = reason_of(reply.get(f.X_REASON))
        if code == "11" and reply.flag("renewal_ok") and conflict is None:
            conflict = Reason.ALREADY_ON_LOAN  # the ACS renewed a loan it already had
        return LoanResult(item_id=item_id, patron=reply.get(f.PATRON_ID) or patron, due_at=due,
                          duplicate=reply.get(f.X_DUPLICATE) == "Y", conflict=conflict)

    def checkin(self, item_id: str, transaction_id: UUID, when: datetime | None = None,
                no_block: bool = False, resend: bool = False) -> ReturnResult | Refusal:
        """Take the copy back (no_block: returned offline at `when`)."""
        def attempt(again: bool) -> Answer:
            before = self.item_facts(item_id) if sendable(item_id) else None
            if again and before is not None and before.known and before.back_in:
                return ReturnResult(item_id, None, 0, False, duplicate=True, conflict=None)
            reply = self._send(self._request("09", {
                "no_block": yn(no_block), "transaction_date": self._time(when),
                "return_date": self._time(when) if no_block else " " * 18,
            }, [(f.CURRENT_LOCATION, self.config.here), (f.ITEM_ID, item_id),
                (f.X_TRANSACTION_ID, str(transaction_id))]))
            return self._return_result(reply, item_id, before, when)
        return self._once("checkin", transaction_id, item_id, resend, attempt)

    def _return_result(self, reply: Message, item_id: str, before: ItemFacts | None,
                       when: datetime | None) -> ReturnResult | Refusal:
        self._echo(reply, f.ITEM_ID, item_id)
        if not reply.flag("ok"):
            return refused(self.refusal_reason("09", reply, None, item_id, before), reply)
        alert = reply.get(f.ALERT_TYPE)
        return ReturnResult(
            item_id=item_id, patron=reply.get(f.PATRON_ID) or None,
            late_days=self._late_days(reply, before, when),
            hold_waiting=alert in f.ALERT_HOLDS if alert else reply.flag("alert"),
            duplicate=reply.get(f.X_DUPLICATE) == "Y", conflict=reason_of(reply.get(f.X_REASON)),
            alert=alert,
            hold_patron=reply.get(f.X_HOLD_PATRON) or reply.get(f.HOLD_PATRON_ID) or None,
            hold_expires_at=self._date(reply.get(f.X_HOLD_EXPIRES)))

    def _late_days(self, reply: Message, before: ItemFacts | None, when: datetime | None) -> int:
        """XL when sent, else whole days from the due day to the return day."""
        late = reply.get(f.X_LATE_DAYS)
        if late is not None:
            if not (late.isascii() and late.isdigit()):
                raise LibraryProtocolError(f"bad late days {late!r}")
            return int(late)
        if before is None or before.due_at is None:
            return 0
        returned = (when or self.acs_now(reply)).astimezone(self.zone).date()
        return max(0, (returned - before.due_at.astimezone(self.zone).date()).days)

    def place_hold(self, patron: str, item_id: str, transaction_id: UUID,
                   resend: bool = False) -> HoldResult | Refusal:
        """Reserve a copy that is out, for pickup at this machine."""
        return self._once("hold_placed", transaction_id, item_id, resend,
                          lambda again: self._hold("+", patron, item_id, transaction_id, again))

    def cancel_hold(self, patron: str, item_id: str, transaction_id: UUID,
                    resend: bool = False) -> HoldResult | Refusal:
        """Cancel the patron's hold on the copy."""
        return self._once("hold_cancelled", transaction_id, item_id, resend,
                          lambda again: self._hold("-", patron, item_id, transaction_id, again))

    def _hold(self, mode: str, patron: str, item_id: str, tx: UUID, again: bool) -> Answer:
        if again:
            held = item_id in self.patron_facts(
                patron, SUMMARY_HOLDS, SUMMARY_UNAVAILABLE_HOLDS).holds
            if held == (mode == "+"):
                return HoldResult(item_id, patron, "cancelled" if mode == "-" else "waiting",
                                  None, duplicate=True)
        reply = self._send(self._request("15", {"hold_mode": mode}, [
            (f.PICKUP_LOCATION, self.config.here), (f.PATRON_ID, patron), (f.ITEM_ID, item_id),
            (f.X_TRANSACTION_ID, str(tx))]))
        if reply.flag("ok") or reply.get(f.ITEM_ID):  # a refused 16 may name no copy
            self._echo(reply, f.ITEM_ID, item_id)
        if not reply.flag("ok"):
            return refused(self.refusal_reason("15" + mode, reply, patron, item_id), reply)
        state = "cancelled" if mode == "-" else ("ready" if reply.flag("available") else "waiting")
        return HoldResult(item_id=item_id, patron=patron, state=state,
                          expires_at=self._date(reply.get(f.EXPIRATION_DATE)),
                          duplicate=reply.get(f.X_DUPLICATE) == "Y")

    def _once(self, kind: str, tx: UUID, item_id: str, resend: bool,
              attempt: Callable[[bool], Answer]) -> Answer:
        """The answer to a transaction id: remembered, checked against the ACS, or sent."""
        known = self._sent.get(tx)
        if known is not None:
            sent_kind, sent_item, answer = known
            if (sent_kind, sent_item) != (kind, item_id):
                return Refusal(Reason.TRANSACTION_REUSED)
            if answer is not None:
                return _repeat(answer)
            resend = True  # sent in this run, answer lost
        self._sent.note(tx, kind, item_id, None)
        answer = attempt(resend)
        self._sent.note(tx, kind, item_id, answer)
        return answer

    def _due(self, due_on: date | None) -> str:
        """A no-block nb_due_date: the end of the day the patron was told, in the ACS's zone."""
        if due_on is None:
            return " " * 18
        return format_local(datetime.combine(due_on, _END_OF_DAY, tzinfo=self.zone), self.zone)

    def deliver_events(self, events: Sequence[JournalEvent]) -> tuple[EventResult, ...]:
        """A result per event answered, in order.

        An answer that makes no sense leaves that event (and the later ones of its item)
        unanswered and the rest goes on; a lost connection raises DeliveryInterrupted with
        the results before it.
        """
        results: list[EventResult] = []
        stuck: set[str] = set()
        for event in events:
            if event.item_id in stuck:
                continue
            try:
                answer = self._deliver(event)
                results.append(EventResult(event.id, *verdict(answer), ready_hold(answer)))
            except LibraryProtocolError as exc:
                log.error("SIP2 event %s of %s left for later: %s", event.id, event.item_id, exc)
                stuck.add(event.item_id)
            except ConnectorError as exc:
                raise DeliveryInterrupted(
                    f"delivery stopped at event {len(results) + 1} of {len(events)}: {exc}",
                    tuple(results), exc) from exc
        return tuple(results)

    def _deliver(self, e: JournalEvent) -> Answer:
        """The event as a no-block transaction at its own time."""
        patron = e.patron or ""
        if e.kind is EventKind.CHECKOUT:
            return self.checkout(patron, e.item_id, e.id, e.occurred_at, no_block=True,
                                 due_on=e.due_on, resend=e.resend, offline=e.offline)
        if e.kind is EventKind.CHECKIN:
            return _same_borrower(
                self.checkin(e.item_id, e.id, e.occurred_at, no_block=True, resend=e.resend),
                e.patron)
        if e.kind is EventKind.RENEW:
            return self.renew(patron, e.item_id, e.id, e.occurred_at, no_block=True,
                              due_on=e.due_on, resend=e.resend, due_before=e.due_before,
                              offline=e.offline)
        if e.kind is EventKind.HOLD_PLACED:
            return self.place_hold(patron, e.item_id, e.id, resend=e.resend)
        return self.cancel_hold(patron, e.item_id, e.id, resend=e.resend)


def verdict(answer: Answer) -> tuple[Outcome, Reason | None]:
    """REFUSED (not recorded), CONFLICT (recorded with an objection, a repeat too), DUPLICATE
    or APPLIED."""
    if isinstance(answer, Refusal):
        return Outcome.REFUSED, answer.reason
    conflict = getattr(answer, "conflict", None)
    if conflict:
        return Outcome.CONFLICT, conflict
    return (Outcome.DUPLICATE if answer.duplicate else Outcome.APPLIED), None


def ready_hold(answer: Answer) -> LibraryHold | None:
    """The hold a return made ready here, when the 10 names its patron (CY or XP) and says
    it is here (CV 01, or alert Y without a CV); the until-when only from XW."""
    if not isinstance(answer, ReturnResult) or answer.hold_patron is None:
        return None
    here = answer.alert == f.ALERT_HOLD_HERE or (answer.alert is None and answer.hold_waiting)
    if not here:
        return None
    return LibraryHold(answer.item_id, answer.hold_patron, True, answer.hold_expires_at)


def _y(value: bool) -> str | None:
    return "Y" if value else None


def _repeat(answer: Answer) -> Answer:
    """What a repeated transaction id answers: the first answer (its conflict kept), as a
    duplicate."""
    if isinstance(answer, Refusal):
        return answer
    return dataclasses.replace(answer, duplicate=True)


def _same_borrower(answer: Answer, patron: str | None) -> Answer:
    """A check-in goes with its patron: SIP2's 09 has no field for one (Koha's C4/SIP reads
    AO, AB, AP, AC, CH, BI; Evergreen AB, AP), but the ACS's 10 names whose loan it closed
    (AA, protocol 2.00). An ACS that closed another patron's loan recorded it with an
    objection: a conflict (not_loaned_to_patron) for the technician."""
    if (isinstance(answer, ReturnResult) and patron and answer.patron
            and answer.patron != patron and answer.conflict is None and not answer.duplicate):
        return dataclasses.replace(answer, conflict=Reason.NOT_LOANED_TO_PATRON)
    return answer
