"""The library connector over SIP2 2.00 (3M): 93, 99, 23, 63, 11, 09, 29, 17, 15, 35."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from drivers.sip2 import Message, Sip2Error, build, format_date, parse_date, parse_day
from drivers.sip2 import layouts as f
from kiosk.connectors.base import (
    EventKind, EventResult, HoldResult, ItemInfo, ItemStatus, JournalEvent, LibraryInfo,
    LibraryProtocolError, Loan, LoanResult, Outcome, Patron, PatronStatus, PickupHold, Reason,
    Refusal, ReturnResult,
)
from kiosk.connectors.config import Sip2ConnectorConfig, read_login
from kiosk.connectors.sip2_client import Sip2Client
from kiosk.connectors.sip2_reasons import derived_reason, reason_of

DEFAULT_LOAN_LIMIT = 2  # when the ACS sends no charged-items limit (CB)
SUMMARY_HOLDS = "Y" + " " * 9
SUMMARY_CHARGED = "  Y" + " " * 7
_STATUS = {f.CIRCULATION_AVAILABLE: ItemStatus.AVAILABLE, f.CIRCULATION_CHARGED: ItemStatus.ON_LOAN,
           "05": ItemStatus.ON_LOAN, f.CIRCULATION_ON_HOLD_SHELF: ItemStatus.ON_HOLD_SHELF}


class Sip2Connector:
    """LibraryConnector over SIP2, with this project's optional extension fields."""

    def __init__(self, config: Sip2ConnectorConfig) -> None:
        self.config = config
        self._tz = ZoneInfo(config.timezone)
        self._client = Sip2Client(config, *read_login(config.credentials_file))

    def info(self) -> LibraryInfo:
        reply = self._send("99", {"status_code": "0", "max_print_width": "080",
                                  "protocol_version": "2.00"}, [])
        now = self._date(reply.fixed["date_time_sync"])
        if now is None:
            raise LibraryProtocolError("SIP2 98 without date/time sync")
        return LibraryInfo(library=self._required(reply, f.INSTITUTION),
                           name=reply.get(f.LIBRARY_NAME) or "", now=now)

    def lookup_card(self, card_uid: str, pin: str | None = None) -> Patron | Refusal:
        return self._lookup(card_uid, pin)

    def lookup_member(self, member_number: str, pin: str | None = None) -> Patron | Refusal:
        return self._lookup(member_number, pin)

    def _lookup(self, ident: str, pin: str | None) -> Patron | Refusal:
        if not _sendable(ident) or (pin is not None and not _sendable(pin)):
            return Refusal(Reason.UNKNOWN_PATRON if not _sendable(ident) else Reason.BAD_PIN)
        reply = self._send("23", {"language": "000", "transaction_date": self._now()}, [
            (f.INSTITUTION, self.config.institution_id), (f.PATRON_ID, ident),
            (f.PATRON_PASSWORD, pin)])
        if reply.get(f.VALID_PATRON) != "Y":
            return Refusal(Reason.UNKNOWN_PATRON)
        if reply.get(f.VALID_PATRON_PASSWORD) != "Y":
            return Refusal(Reason.BAD_PIN if pin else Reason.PIN_REQUIRED)
        return self._patron(reply)

    def patron_status(self, member_number: str) -> PatronStatus | Refusal:
        if not _sendable(member_number):
            return Refusal(Reason.UNKNOWN_PATRON)
        charged = self._patron_information(member_number, SUMMARY_CHARGED)
        if charged.get(f.VALID_PATRON) != "Y":
            return Refusal(Reason.UNKNOWN_PATRON)
        held = self._patron_information(member_number, SUMMARY_HOLDS)
        reason = reason_of(charged.get(f.X_REASON)) or derived_reason(
            charged.fixed["patron_status"])
        now = self._date(charged.fixed["transaction_date"]) or datetime.now(self._tz)
        patron = self._patron(charged)
        limit = charged.get(f.CHARGED_ITEMS_LIMIT)
        return PatronStatus(
            patron=patron, may_borrow=reason is None, reason=reason,
            blocked_until=self._day(charged.get(f.X_BLOCKED_UNTIL)),
            loan_limit=int(limit) if limit and limit.isdigit() else DEFAULT_LOAN_LIMIT,
            loans=tuple(self._loan(i, now) for i in charged.all(f.CHARGED_ITEMS)),
            holds_ready=tuple(self._ready_hold(i, patron.member_number)
                              for i in held.all(f.HOLD_ITEMS)))

    def _patron_information(self, ident: str, summary: str) -> Message:
        return self._send("63", {"language": "000", "transaction_date": self._now(),
                                 "summary": summary},
                          [(f.INSTITUTION, self.config.institution_id), (f.PATRON_ID, ident)])

    def _patron(self, reply: Message) -> Patron:
        return Patron(member_number=self._required(reply, f.PATRON_ID),
                      name=reply.get(f.PERSONAL_NAME) or "",
                      home_library=reply.get(f.X_HOME_LIBRARY),
                      expires_on=self._day(reply.get(f.X_EXPIRES)))

    def _loan(self, item_id: str, now: datetime) -> Loan:
        item = self.item_info(item_id)
        if isinstance(item, Refusal) or item.due_at is None:
            raise LibraryProtocolError(f"charged item {item_id} has no due date")
        return Loan(item_id=item_id, title=item.title, due_at=item.due_at,
                    overdue=now > item.due_at, here=item.home_machine == self.config.machine_id)

    def _ready_hold(self, item_id: str, patron: str) -> PickupHold:
        reply = self._item_reply(item_id)
        return PickupHold(item_id=item_id, title=reply.get(f.TITLE) or "", patron=patron,
                          expires_at=self._date(reply.get(f.HOLD_PICKUP_DATE) or ""))

    def item_info(self, item_id: str) -> ItemInfo | Refusal:
        if not _sendable(item_id):
            return Refusal(Reason.UNKNOWN_ITEM)
        reply = self._item_reply(item_id)
        refused = reason_of(reply.get(f.X_REASON))
        if refused is not None or not reply.get(f.TITLE):
            return Refusal(refused or Reason.UNKNOWN_ITEM)
        queue = reply.get(f.HOLD_QUEUE_LENGTH) or "0"
        return ItemInfo(
            item_id=item_id, title=reply.get(f.TITLE), authors=reply.get(f.X_AUTHORS),
            isbn13=reply.get(f.X_ISBN), owner=reply.get(f.OWNER),
            home_machine=reply.get(f.PERMANENT_LOCATION) or None,
            status=_STATUS.get(reply.fixed["circulation_status"], ItemStatus.OTHER),
            due_at=self._date(reply.get(f.DUE_DATE) or ""),
            hold_queue=int(queue) if queue.isdigit() else 0)

    def _item_reply(self, item_id: str) -> Message:
        reply = self._send("17", {"transaction_date": self._now()},
                           [(f.INSTITUTION, self.config.institution_id), (f.ITEM_ID, item_id)])
        self._echo(reply, f.ITEM_ID, item_id)
        return reply

    def checkout(self, patron: str, item_id: str, transaction_id: UUID,
                 when: datetime | None = None, no_block: bool = False) -> LoanResult | Refusal:
        return self._loan_result(self._checkout(patron, item_id, transaction_id, when, no_block),
                                 item_id)

    def _checkout(self, patron: str, item_id: str, tx: UUID, when: datetime | None,
                  no_block: bool) -> Message:
        return self._send("11", {
            "renewal_policy": "N", "no_block": _yn(no_block),
            "transaction_date": self._now(when), "nb_due_date": " " * 18,
        }, [(f.INSTITUTION, self.config.institution_id), (f.PATRON_ID, patron),
            (f.ITEM_ID, item_id), (f.X_TRANSACTION_ID, str(tx))])

    def renew(self, patron: str, item_id: str, transaction_id: UUID,
              when: datetime | None = None, no_block: bool = False) -> LoanResult | Refusal:
        return self._loan_result(self._renew(patron, item_id, transaction_id, when, no_block),
                                 item_id)

    def _renew(self, patron: str, item_id: str, tx: UUID, when: datetime | None,
               no_block: bool) -> Message:
        return self._send("29", {
            "third_party_allowed": "N", "no_block": _yn(no_block),
            "transaction_date": self._now(when), "nb_due_date": " " * 18,
        }, [(f.INSTITUTION, self.config.institution_id), (f.PATRON_ID, patron),
            (f.ITEM_ID, item_id), (f.X_TRANSACTION_ID, str(tx))])

    def _loan_result(self, reply: Message, item_id: str) -> LoanResult | Refusal:
        self._echo(reply, f.ITEM_ID, item_id)
        if not reply.flag("ok"):
            return Refusal(reason_of(reply.get(f.X_REASON)) or Reason.UNSPECIFIED)
        due = self._date(reply.get(f.DUE_DATE) or "")
        if due is None:
            raise LibraryProtocolError("SIP2 loan without a due date")
        return LoanResult(item_id=item_id, patron=self._required(reply, f.PATRON_ID), due_at=due,
                          duplicate=reply.get(f.X_DUPLICATE) == "Y",
                          conflict=reason_of(reply.get(f.X_REASON)))

    def checkin(self, item_id: str, transaction_id: UUID, when: datetime | None = None,
                no_block: bool = False) -> ReturnResult | Refusal:
        reply = self._checkin(item_id, transaction_id, when, no_block)
        if not reply.flag("ok"):
            return Refusal(reason_of(reply.get(f.X_REASON)) or Reason.UNSPECIFIED)
        late = reply.get(f.X_LATE_DAYS) or "0"
        if not late.isdigit():
            raise LibraryProtocolError(f"bad late days {late!r}")
        return ReturnResult(item_id=item_id, patron=reply.get(f.PATRON_ID) or None,
                            late_days=int(late), hold_waiting=reply.flag("alert"),
                            duplicate=reply.get(f.X_DUPLICATE) == "Y",
                            conflict=reason_of(reply.get(f.X_REASON)))

    def _checkin(self, item_id: str, tx: UUID, when: datetime | None, no_block: bool) -> Message:
        reply = self._send("09", {
            "no_block": _yn(no_block), "transaction_date": self._now(when),
            "return_date": format_date(when) if no_block else " " * 18,
        }, [(f.CURRENT_LOCATION, self.config.machine_id),
            (f.INSTITUTION, self.config.institution_id), (f.ITEM_ID, item_id),
            (f.X_TRANSACTION_ID, str(tx))])
        self._echo(reply, f.ITEM_ID, item_id)
        return reply

    def place_hold(self, patron: str, item_id: str, transaction_id: UUID) -> HoldResult | Refusal:
        return self._hold_result(self._hold("+", patron, item_id, transaction_id, None),
                                 "+", patron, item_id)

    def cancel_hold(self, patron: str, item_id: str, transaction_id: UUID) -> HoldResult | Refusal:
        return self._hold_result(self._hold("-", patron, item_id, transaction_id, None),
                                 "-", patron, item_id)

    def _hold(self, mode: str, patron: str, item_id: str, tx: UUID,
              when: datetime | None) -> Message:
        reply = self._send("15", {"hold_mode": mode, "transaction_date": self._now(when)}, [
            (f.PICKUP_LOCATION, self.config.machine_id),
            (f.INSTITUTION, self.config.institution_id), (f.PATRON_ID, patron),
            (f.ITEM_ID, item_id), (f.X_TRANSACTION_ID, str(tx))])
        self._echo(reply, f.ITEM_ID, item_id)
        return reply

    def _hold_result(self, reply: Message, mode: str, patron: str,
                     item_id: str) -> HoldResult | Refusal:
        if not reply.flag("ok"):
            return Refusal(reason_of(reply.get(f.X_REASON)) or Reason.UNSPECIFIED)
        state = "cancelled" if mode == "-" else ("ready" if reply.flag("available") else "waiting")
        return HoldResult(item_id=item_id, patron=patron, state=state,
                          expires_at=self._date(reply.get(f.EXPIRATION_DATE) or ""),
                          duplicate=reply.get(f.X_DUPLICATE) == "Y")

    def holds_for_pickup(self, item_ids: Sequence[str]) -> tuple[PickupHold, ...]:
        found = []
        for item_id in filter(_sendable, item_ids):
            reply = self._item_reply(item_id)
            if reply.fixed["circulation_status"] == f.CIRCULATION_ON_HOLD_SHELF:
                found.append(PickupHold(
                    item_id=item_id, title=reply.get(f.TITLE) or "",
                    patron=reply.get(f.X_HOLD_PATRON),
                    expires_at=self._date(reply.get(f.HOLD_PICKUP_DATE) or "")))
        return tuple(found)

    def catalogue(self, item_ids: Sequence[str]) -> tuple[ItemInfo, ...]:
        infos = (self.item_info(i) for i in item_ids)
        return tuple(i for i in infos if isinstance(i, ItemInfo))

    def deliver_events(self, events: Sequence[JournalEvent]) -> tuple[EventResult, ...]:
        return tuple(self._deliver(event) for event in events)

    def _deliver(self, e: JournalEvent) -> EventResult:
        patron = e.patron or ""
        if e.kind is EventKind.CHECKOUT:
            reply = self._checkout(patron, e.item_id, e.id, e.occurred_at, True)
        elif e.kind is EventKind.CHECKIN:
            reply = self._checkin(e.item_id, e.id, e.occurred_at, True)
        elif e.kind is EventKind.RENEW:
            reply = self._renew(patron, e.item_id, e.id, e.occurred_at, True)
        else:
            mode = "+" if e.kind is EventKind.HOLD_PLACED else "-"
            reply = self._hold(mode, patron, e.item_id, e.id, e.occurred_at)
        return EventResult(e.id, *_outcome(reply))

    def end_session(self, patron: str) -> bool:
        answer = self._send("35", {"transaction_date": self._now()},
                            [(f.INSTITUTION, self.config.institution_id), (f.PATRON_ID, patron)])
        return answer.flag("end_session") and answer.get(f.PATRON_ID) == patron

    def close(self) -> None:
        self._client.close()

    def _send(self, code: str, fixed: dict[str, str], fields: list) -> Message:
        return self._client.exchange(build(code, fixed, fields))

    def _now(self, when: datetime | None = None) -> str:
        return format_date(when or datetime.now(self._tz))

    def _date(self, text: str) -> datetime | None:
        try:
            parsed = parse_date(text, self._tz)
        except Sip2Error as exc:
            raise LibraryProtocolError(str(exc)) from None
        return None if parsed is None else parsed.astimezone(self._tz)

    def _day(self, text: str | None):
        try:
            return parse_day(text)
        except Sip2Error as exc:
            raise LibraryProtocolError(str(exc)) from None

    @staticmethod
    def _required(reply: Message, field_id: str) -> str:
        value = reply.get(field_id)
        if not value:
            raise LibraryProtocolError(f"SIP2 {reply.code} without field {field_id}")
        return value

    @staticmethod
    def _echo(reply: Message, field_id: str, expected: str) -> None:
        if reply.get(field_id) != expected:
            raise LibraryProtocolError(f"SIP2 {reply.code} is about another {field_id}")


def _outcome(reply: Message) -> tuple[Outcome, Reason | None]:
    """An event's verdict from the ok flag and the XR/XD extensions."""
    reason = reason_of(reply.get(f.X_REASON))
    if reply.get(f.X_DUPLICATE) == "Y":
        return Outcome.DUPLICATE, reason
    if not reply.flag("ok"):
        return Outcome.CONFLICT, reason or Reason.UNSPECIFIED
    return (Outcome.CONFLICT, reason) if reason else (Outcome.APPLIED, None)


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _sendable(value: str) -> bool:
    """Whether a value can travel in a SIP2 field (no separator, no line break)."""
    return bool(value) and not any(c in value for c in "|\r\n")
