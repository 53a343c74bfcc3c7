"""The library connector over SIP2 2.00 (3M): standard fields first, this project's X fields when sent.

Messages: 93, 99, 23, 63, 17, 11, 09, 29, 15, 35, 01. Refusal reasons come from XR when the
ACS sends it, else from the standard fields (kiosk/connectors/sip2_reasons.py). Journal
events, checkouts, returns, renewals and holds go by kiosk/connectors/sip2_transactions.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.sip2 import Message
from drivers.sip2 import layouts as f
from kiosk.connectors.base import (
    ItemInfo, ItemStatus, LibraryHold, LibraryInfo,
    LibraryProtocolError, Loan, Patron, PatronStatus, PickupHold, Reason, Refusal,
)
from kiosk.connectors.config import Sip2ConnectorConfig, read_login, read_secret
from kiosk.connectors.sip2_client import Sip2Client, acs_status, sc_status_request
from kiosk.connectors.sip2_facts import (SUMMARY_CHARGED, SUMMARY_HOLDS, count_of, message_of,
                                         refused, sendable, yn)
from kiosk.connectors.sip2_transactions import SentTransactions, Sip2Transactions
from kiosk.connectors.sip2_reasons import lookup_refusal, patron_reason, reason_of

_STATUS = {f.CIRCULATION_AVAILABLE: ItemStatus.AVAILABLE, f.CIRCULATION_CHARGED: ItemStatus.ON_LOAN,
           f.CIRCULATION_CHARGED_NO_RECALL: ItemStatus.ON_LOAN,
           f.CIRCULATION_RECALLED: ItemStatus.ON_LOAN,
           f.CIRCULATION_ON_HOLD_SHELF: ItemStatus.ON_HOLD_SHELF}


class Sip2Connector(Sip2Transactions):
    """LibraryConnector over SIP2."""

    def __init__(self, config: Sip2ConnectorConfig) -> None:
        terminal = (read_secret(config.terminal_password_file)
                    if config.terminal_password_file else None)
        super().__init__(config, ZoneInfo(config.timezone), terminal,
                         Sip2Client(config, *read_login(config.credentials_file)))
        self._sent = SentTransactions()

    def info(self) -> LibraryInfo:
        reply = self._send(sc_status_request())
        now = self._date(reply.fixed["date_time_sync"])
        if now is None:
            raise LibraryProtocolError("SIP2 98 without date/time sync")
        flags = acs_status(reply)
        return LibraryInfo(library=self._required(reply, f.INSTITUTION),
                           name=reply.get(f.LIBRARY_NAME) or "", now=now,
                           checkout_ok=flags.checkout_ok, checkin_ok=flags.checkin_ok,
                           renewal_ok=flags.renewal_ok, offline_ok=flags.offline_ok)

    def lookup_card(self, card_uid: str, pin: str | None = None) -> Patron | Refusal:
        return self._lookup(card_uid, pin)

    def lookup_member(self, member_number: str, pin: str | None = None) -> Patron | Refusal:
        return self._lookup(member_number, pin)

    def _lookup(self, ident: str, pin: str | None) -> Patron | Refusal:
        if not sendable(ident) or (pin is not None and not sendable(pin)):
            return Refusal(Reason.UNKNOWN_PATRON if not sendable(ident) else Reason.BAD_PIN)
        reply = self._send(self._request("23", {"language": "000"}, [
            (f.PATRON_ID, ident), (f.PATRON_PASSWORD, pin)]))
        reason = reason_of(reply.get(f.X_REASON)) if reply.get(f.VALID_PATRON) == "N" else None
        reason = reason or lookup_refusal(reply.get(f.VALID_PATRON),
                                          reply.get(f.VALID_PATRON_PASSWORD), pin is not None)
        if reason is not None:
            return refused(reason, reply)
        return self._patron(reply)

    def patron_status(self, member_number: str) -> PatronStatus | Refusal:
        if not sendable(member_number):
            return Refusal(Reason.UNKNOWN_PATRON)
        charged = self._patron_information(member_number, SUMMARY_CHARGED)
        if charged.get(f.VALID_PATRON) != "Y":
            return refused(Reason.UNKNOWN_PATRON, charged)
        held = self._patron_information(member_number, SUMMARY_HOLDS)
        facts = self._patron_facts_of(charged)
        now = self.acs_now(charged)
        reason = reason_of(charged.get(f.X_REASON)) or patron_reason(
            facts, self.home_libraries, now.date())
        if reason is None and self._client.acs is not None and not self._client.acs.checkout_ok:
            reason = Reason.CHECKOUT_DISABLED
        patron = self._patron(charged)
        limit = charged.get(f.CHARGED_ITEMS_LIMIT)
        fees = charged.get(f.FEE_AMOUNT)
        return PatronStatus(
            patron=patron, may_borrow=reason is None, reason=reason,
            blocked_until=facts.blocked_until,
            loan_limit=count_of(limit, self.config.loan_limit),
            loans=tuple(self._loan(i, now) for i in charged.all(f.CHARGED_ITEMS)),
            holds_ready=self._ready_holds(held.all(f.HOLD_ITEMS), patron.member_number),
            fees_owed=fees if _nonzero(fees) else None, currency=charged.get(f.CURRENCY),
            card_reported_lost=facts.status[f.STATUS_CARD_LOST] == "Y",
            message=message_of(charged), print_lines=tuple(charged.all(f.PRINT_LINE)))

    def _patron(self, reply: Message) -> Patron:
        return Patron(member_number=self._required(reply, f.PATRON_ID),
                      name=reply.get(f.PERSONAL_NAME) or "",
                      home_library=reply.get(f.X_HOME_LIBRARY) or reply.get(f.PERMANENT_LOCATION),
                      expires_on=self._acs_day(reply.get(f.X_EXPIRES) or reply.get(f.PATRON_EXPIRES)))

    def _loan(self, item_id: str, now: datetime) -> Loan:
        item = self.item_info(item_id)
        if isinstance(item, Refusal):  # Evergreen lists titles unless told to list barcodes
            raise LibraryProtocolError(
                f"charged item {item_id!r} is unknown to the ACS: it must list item barcodes "
                "in AU and AS (Evergreen: msg64_summary_datatype and msg64_hold_datatype "
                "= barcode)")
        if item.due_at is None:
            raise LibraryProtocolError(f"charged item {item_id} has no due date")
        return Loan(item_id=item_id, title=item.title, due_at=item.due_at,
                    overdue=now > item.due_at, here=item.home_machine == self.config.here)

    def _ready_holds(self, item_ids: list[str], member: str) -> tuple[PickupHold, ...]:
        """The patron's holds waiting on this machine's shelf (Evergreen lists every hold)."""
        ready = []
        for item_id in filter(sendable, item_ids):
            reply = self._item_reply(item_id)
            hold = self._pickup_hold(item_id, reply)
            if hold is not None and hold.patron in (None, member):
                ready.append(PickupHold(item_id, hold.title, member, hold.expires_at))
        return tuple(ready)

    def _pickup_hold(self, item_id: str, reply: Message) -> PickupHold | None:
        if reply.fixed["circulation_status"] != f.CIRCULATION_ON_HOLD_SHELF:
            return None
        return PickupHold(item_id=item_id, title=reply.get(f.TITLE) or "",
                          patron=reply.get(f.X_HOLD_PATRON) or reply.get(f.HOLD_PATRON_ID),
                          expires_at=self._date(reply.get(f.HOLD_PICKUP_DATE)))

    def item_info(self, item_id: str) -> ItemInfo | Refusal:
        if not sendable(item_id):
            return Refusal(Reason.UNKNOWN_ITEM)
        reply = self._item_reply(item_id)
        facts = self._item_facts_of(item_id, reply)
        if not facts.known:
            return refused(reason_of(reply.get(f.X_REASON)) or Reason.UNKNOWN_ITEM, reply)
        return ItemInfo(
            item_id=item_id, title=reply.get(f.TITLE), authors=reply.get(f.X_AUTHORS),
            isbn13=reply.get(f.X_ISBN), owner=reply.get(f.OWNER), home_machine=facts.location,
            status=_STATUS.get(facts.status, ItemStatus.OTHER), due_at=facts.due_at,
            hold_queue=facts.hold_queue)

    def holds_for_pickup(self, item_ids: Sequence[str]) -> tuple[PickupHold, ...]:
        holds = (self._pickup_hold(i, self._item_reply(i)) for i in filter(sendable, item_ids))
        return tuple(h for h in holds if h is not None)

    def holds_here(self) -> tuple[LibraryHold, ...] | None:
        """None: SIP2 has no message that lists a machine's holds (15 places, 63 lists one
        patron's, 17 names only the patron a copy on the shelf waits for); they come with
        returns (the 10's CY/XP, EventResult.hold)."""
        return None

    def catalogue(self, item_ids: Sequence[str]) -> tuple[ItemInfo, ...]:
        infos = (self.item_info(i) for i in item_ids)
        return tuple(i for i in infos if isinstance(i, ItemInfo))

    def end_session(self, patron: str) -> bool:
        answer = self._send(self._request("35", {}, [(f.PATRON_ID, patron)]))
        return answer.flag("end_session") and answer.get(f.PATRON_ID) == patron

    def block_patron(self, patron: str, message: str, card_retained: bool = False) -> bool:
        if not sendable(patron):
            return False
        answer = self._send(self._request("01", {"card_retained": yn(card_retained)}, [
            (f.BLOCKED_CARD_MESSAGE, _clean(message)), (f.PATRON_ID, patron)]))
        flags = answer.fixed["patron_status"]
        return answer.get(f.PATRON_ID) == patron and "Y" in (
            flags[f.STATUS_CHARGE_DENIED], flags[f.STATUS_CARD_LOST])

    def close(self) -> None:
        self._client.close()


def _nonzero(amount: str | None) -> bool:
    return bool(amount) and any(c in "123456789" for c in amount)


def _clean(text: str) -> str:
    return text.replace("|", "/").replace("\r", " ").replace("\n", " ")


__all__ = ["Sip2Connector"]
