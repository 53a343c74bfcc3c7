"""What the SIP2 connector asks an ACS to explain a refusal or to check an earlier send."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from drivers.sip2 import LAYOUTS, Message, Sip2Error, build, format_local, parse_acs_date
from drivers.sip2 import parse_acs_day
from drivers.sip2 import layouts as f
from kiosk.connectors.base import LibraryProtocolError, Reason, Refusal
from kiosk.connectors.config import Sip2ConnectorConfig
from kiosk.connectors.sip2_client import Sip2Client
from kiosk.connectors.sip2_reasons import (
    ItemFacts, PatronFacts, checkin_refusal, checkout_refusal, hold_refusal, reason_of,
    renewal_refusal,
)

TRANSACTIONS = ("11", "09", "29", "15", "01")  # never sent twice without asking first
SUMMARY_CHARGED = "  Y"
SUMMARY_HOLDS = "Y"  # holds ready (Koha) or every hold (Evergreen)
SUMMARY_UNAVAILABLE_HOLDS = "     Y"


class Sip2Facts:
    """Requests with the connector's common fields, and the facts behind a refusal."""

    def __init__(self, config: Sip2ConnectorConfig, tz: tzinfo, terminal: str | None,
                 client: Sip2Client) -> None:
        self.config = config
        self._tz = tz
        self._terminal = terminal
        self._client = client

    def _send(self, request: Message) -> Message:
        try:
            return self._client.exchange(request, repeatable=request.code not in TRANSACTIONS)
        except ValueError as exc:  # a value the ACS's charset cannot carry
            raise LibraryProtocolError(str(exc)) from None

    def _request(self, code: str, fixed: dict[str, str],
                 fields: Sequence[tuple[str, str | None]]) -> Message:
        """A request with its transaction date, institution (AO) and terminal password (AC);
        LibraryProtocolError when a value cannot travel in SIP2 (a '|' or a line break)."""
        names = {name for name, _ in LAYOUTS[code]}
        if "transaction_date" in names and "transaction_date" not in fixed:
            fixed = {**fixed, "transaction_date": self._time(None)}
        try:
            return build(code, fixed, [(f.INSTITUTION, self.config.institution_id), *fields,
                                       (f.TERMINAL_PASSWORD, self._terminal)])
        except Sip2Error as exc:
            raise LibraryProtocolError(f"cannot send a SIP2 {code}: {exc}") from None

    def _time(self, when: datetime | None) -> str:
        """A time as the ACS reads it: its own zone, the zone field blank."""
        return format_local(when or datetime.now(self._tz), self._tz)

    def acs_now(self, reply: Message) -> datetime:
        """The ACS's time of an answer (its clock may not be ours), in its zone."""
        return self._date(reply.fixed.get("transaction_date")) or datetime.now(self._tz)

    def _patron_information(self, ident: str, summary: str) -> Message:
        return self._send(self._request("63", {"language": "000", "summary": summary.ljust(10)},
                                        [(f.PATRON_ID, ident)]))

    def _item_reply(self, item_id: str) -> Message:
        reply = self._send(self._request("17", {}, [(f.ITEM_ID, item_id)]))
        if reply.get(f.ITEM_ID) not in (None, item_id):
            raise LibraryProtocolError("SIP2 18 is about another item")
        return reply

    def patron_facts(self, member: str, *summaries: str) -> PatronFacts:
        """The patron's standing and the lists asked for (AU, AS, CD)."""
        replies = [self._patron_information(member, s) for s in summaries or ("",)]
        facts = self._patron_facts_of(replies[0])
        if not facts.known:
            return facts
        charged = tuple(i for r in replies for i in r.all(f.CHARGED_ITEMS))
        holds = tuple(i for r in replies for k in (f.HOLD_ITEMS, f.UNAVAILABLE_HOLD_ITEMS)
                      for i in r.all(k))
        return PatronFacts(**{**facts.__dict__, "charged": charged, "holds": holds})

    def _patron_facts_of(self, reply: Message) -> PatronFacts:
        if reply.get(f.VALID_PATRON) != "Y":
            return PatronFacts(known=False)
        overdue = reply.fixed.get("overdue_items_count", "0000")
        return PatronFacts(
            known=True, status=reply.fixed["patron_status"],
            home_library=reply.get(f.X_HOME_LIBRARY) or reply.get(f.PERMANENT_LOCATION),
            expires_on=self._acs_day(reply.get(f.X_EXPIRES) or reply.get(f.PATRON_EXPIRES)),
            blocked_until=self._acs_day(reply.get(f.X_BLOCKED_UNTIL)),
            overdue_count=count_of(overdue, 0),
            charged=tuple(reply.all(f.CHARGED_ITEMS)))

    def item_facts(self, item_id: str) -> ItemFacts:
        """What the ACS says of a copy now."""
        return self._item_facts_of(item_id, self._item_reply(item_id))

    def _item_facts_of(self, item_id: str, reply: Message) -> ItemFacts:
        if reason_of(reply.get(f.X_REASON)) is not None or not reply.get(f.TITLE):
            return ItemFacts(item_id, known=False)
        queue = reply.get(f.HOLD_QUEUE_LENGTH) or "0"
        due = self._date(reply.get(f.DUE_DATE))
        return ItemFacts(
            item_id, known=True, status=reply.fixed["circulation_status"],
            location=reply.get(f.PERMANENT_LOCATION) or None,
            hold_queue=count_of(queue, 0),
            hold_patron=reply.get(f.X_HOLD_PATRON) or reply.get(f.HOLD_PATRON_ID), due_at=due)

    def refusal_reason(self, request: str, reply: Message, patron: str | None, item_id: str,
                       item: ItemFacts | None = None) -> Reason:
        """Why the ACS refused a transaction: XR, BL, else what it says of patron and copy."""
        told = reason_of(reply.get(f.X_REASON))
        if told is not None:
            return told
        if patron is not None and reply.get(f.VALID_PATRON) == "N":
            return Reason.UNKNOWN_PATRON
        item = item or self.item_facts(item_id)
        now = self.acs_now(reply)
        today, here, home = now.date(), self.config.here, self.home_libraries
        if request == "09":
            return checkin_refusal(item, here)
        if request.startswith("15"):
            facts = self.patron_facts(patron or "", SUMMARY_HOLDS, SUMMARY_UNAVAILABLE_HOLDS)
            return hold_refusal(request == "15+", facts, item, here, today, home)
        facts = self.patron_facts(patron or "", SUMMARY_CHARGED)
        if request == "29":
            return renewal_refusal(facts, item, now, today, home)
        return checkout_refusal(facts, item, here, patron or "", today, home)

    @property
    def home_libraries(self) -> tuple[str, ...]:
        """The home-library codes of this library's own members (config; may be empty)."""
        return tuple(self.config.home_libraries or ())

    @property
    def zone(self) -> tzinfo:
        """The ACS's timezone."""
        return self._tz

    def _date(self, text: str | None) -> datetime | None:
        try:
            parsed = parse_acs_date(text, self._tz)
        except Sip2Error as exc:
            raise LibraryProtocolError(str(exc)) from None
        return None if parsed is None else parsed.astimezone(self._tz)

    def _acs_day(self, text: str | None) -> date | None:
        try:
            return parse_acs_day(text, self._tz)
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


def count_of(text: str | None, default: int) -> int:
    """A count an ACS wrote in ASCII digits (int() would take "²" as a digit and fail)."""
    return int(text) if text and text.isascii() and text.isdigit() else default


def message_of(reply: Message) -> str | None:
    """The ACS's screen message(s), AF, as one text."""
    return " ".join(m for m in reply.all(f.SCREEN_MESSAGE) if m) or None


def refused(reason: Reason, reply: Message) -> Refusal:
    """A refusal carrying the ACS's own screen message and print lines."""
    return Refusal(reason, message=message_of(reply), print_lines=tuple(reply.all(f.PRINT_LINE)))


def sendable(value: str) -> bool:
    """Whether a value can travel in a SIP2 field (no separator, no line break)."""
    return bool(value) and not any(c in value for c in "|\r\n")


def yn(value: bool) -> str:
    """A Y/N fixed field."""
    return "Y" if value else "N"
