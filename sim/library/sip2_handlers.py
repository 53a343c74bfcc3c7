"""SIP2 requests answered from the same rules and database as the HTTP API."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from drivers.sip2 import Message, build, format_date, format_day, parse_date
from drivers.sip2 import layouts as f
from sim.library import circulation, events, holds, items, patrons
from sim.library.core import Library, Result
from sim.library.rules import MACHINE_LOAN_LIMIT, Refused

SUPPORTED = "YYYNYYYYYNYNNYYN"  # BX: the messages of SIP2 2.00 this ACS answers
_NO_RENEW = ("patron_blocked", "card_expired", "not_checked_in", "overdue", "suspended")


@dataclass
class Session:
    """One SC connection: the machine it logged in as."""

    machine_id: str | None = None


class Sip2Handlers:
    """Turns each SC request into the ACS response."""

    def __init__(self, lib: Library, password: str) -> None:
        self.lib = lib
        self.password = password
        self._table: dict[str, Callable[[Message, Session], Message]] = {
            "93": self.login, "99": self.sc_status, "23": self.patron_status,
            "63": self.patron_information, "11": self.checkout, "09": self.checkin,
            "29": self.renew, "17": self.item_information, "15": self.hold,
            "35": self.end_session,
        }

    def handles(self, code: str) -> bool:
        """Whether this ACS answers request `code`."""
        return code in self._table

    def handle(self, msg: Message, session: Session) -> Message:
        """The response to `msg`, with the request's sequence number."""
        holds.expire(self.lib, self.lib.now())
        response = self._table[msg.code](msg, session)
        return Message(response.code, response.fixed, response.fields, msg.sequence)

    def _now(self) -> str:
        return format_date(self.lib.now())

    def login(self, msg: Message, session: Session) -> Message:
        machine = msg.get(f.LOCATION_CODE) or msg.get(f.LOGIN_USER) or ""
        known = self.lib.one("SELECT 1 FROM machines WHERE machine_id = ?", machine)
        ok = known is not None and hmac.compare_digest(
            (msg.get(f.LOGIN_PASSWORD) or "").encode(), self.password.encode())
        session.machine_id = machine if ok else None
        return build("94", {"ok": "1" if ok else "0"})

    def sc_status(self, msg: Message, session: Session) -> Message:
        isil = self.lib.home_isil
        return build("98", {
            "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "renewal_policy": "Y",
            "status_update_ok": "N", "offline_ok": "Y", "timeout_period": "030",
            "retries_allowed": "003", "date_time_sync": self._now(), "protocol_version": "2.00",
        }, [(f.INSTITUTION, isil), (f.LIBRARY_NAME, _clean(self.lib.library_name(isil))),
            (f.SUPPORTED_MESSAGES, SUPPORTED), (f.CURRENT_LOCATION, session.machine_id)])

    def patron_status(self, msg: Message, session: Session) -> Message:
        view = self._patron_view(msg, session)
        return build("24", {"patron_status": view["flags"], "language": "000",
                            "transaction_date": self._now()}, view["fields"])

    def patron_information(self, msg: Message, session: Session) -> Message:
        view = self._patron_view(msg, session)
        status = view["status"] or {"loans": [], "holds_ready": []}
        member = view["member"]
        waiting = [] if member is None else self._waiting_holds(member)
        loans = status["loans"]
        overdue = [loan["item_id"] for loan in loans if loan["overdue"]]
        fixed = {
            "patron_status": view["flags"], "language": "000", "transaction_date": self._now(),
            "hold_items_count": _count(status["holds_ready"]),
            "overdue_items_count": _count(overdue),
            "charged_items_count": _count(loans), "fine_items_count": "0000",
            "recall_items_count": "0000", "unavailable_holds_count": _count(waiting),
        }
        lists = {0: [(f.HOLD_ITEMS, h["item_id"]) for h in status["holds_ready"]],
                 1: [(f.OVERDUE_ITEMS, i) for i in overdue],
                 2: [(f.CHARGED_ITEMS, loan["item_id"]) for loan in loans],
                 5: [(f.UNAVAILABLE_HOLD_ITEMS, i) for i in waiting]}
        wanted = msg.fixed["summary"].find("Y")  # the one list the SC asked for, if any
        limit = [(f.CHARGED_ITEMS_LIMIT, f"{MACHINE_LOAN_LIMIT:04d}")]
        return build("64", fixed, view["fields"] + limit + lists.get(wanted, []))

    def _patron_view(self, msg: Message, session: Session) -> dict:
        """Flags and fields common to 24 and 64, and the status dict (None if unknown)."""
        ident, pin = msg.get(f.PATRON_ID) or "", msg.get(f.PATRON_PASSWORD)
        row = patrons.find(self.lib, card_uid=ident, member_number=ident)
        base = [(f.INSTITUTION, msg.get(f.INSTITUTION) or self.lib.home_isil)]
        if row is None:
            return {"flags": "Y" * 4 + " " * 10, "member": None, "status": None, "fields": base
                    + [(f.PATRON_ID, ident), (f.PERSONAL_NAME, ""), (f.VALID_PATRON, "N"),
                       (f.VALID_PATRON_PASSWORD, "N"), (f.X_REASON, "unknown_patron")]}
        pin_ok = row["pin_hash"] is None or _pin_ok(row, pin)
        status = patrons.status(self.lib, session.machine_id, row["member_number"])
        reason = status["reason"]
        return {"flags": _flags(reason), "member": row["member_number"], "status": status,
                "fields": base + [
                    (f.PATRON_ID, row["member_number"]), (f.PERSONAL_NAME, _clean(row["name"])),
                    (f.VALID_PATRON, "Y"), (f.VALID_PATRON_PASSWORD, "Y" if pin_ok else "N"),
                    (f.X_REASON, reason), (f.X_HOME_LIBRARY, row["home_isil"]),
                    (f.X_EXPIRES, format_day(date.fromisoformat(row["expires_on"]))),
                    (f.X_BLOCKED_UNTIL, _day(status["blocked_until"]))]}

    def _waiting_holds(self, member: str) -> list[str]:
        rows = self.lib.all("SELECT item_id FROM holds WHERE member_number = ? AND "
                            "state = 'waiting' ORDER BY hold_id", member)
        return [r["item_id"] for r in rows]

    def checkout(self, msg: Message, session: Session) -> Message:
        no_block, at = self._when(msg, "transaction_date")
        patron, item_id = self._member(msg), msg.get(f.ITEM_ID) or ""
        result = self._attempt(lambda: circulation.checkout(
            self.lib, msg.get(f.X_TRANSACTION_ID), session.machine_id, patron, item_id, at,
            no_block))
        return self._loan_response("12", msg, result, patron, item_id)

    def renew(self, msg: Message, session: Session) -> Message:
        no_block, at = self._when(msg, "transaction_date")
        patron, item_id = self._member(msg), msg.get(f.ITEM_ID) or ""
        result = self._attempt(lambda: circulation.renew(
            self.lib, msg.get(f.X_TRANSACTION_ID), session.machine_id, patron, item_id, at,
            no_block))
        return self._loan_response("30", msg, result, patron, item_id)

    def _loan_response(self, code: str, msg: Message, result: Result, patron: str,
                       item_id: str) -> Message:
        ok = "due_at" in result
        due = datetime.fromisoformat(result["due_at"]) if ok else None
        return build(code, {
            "ok": "1" if ok else "0", "renewal_ok": "N", "magnetic_media": "N",
            "desensitize": "Y" if ok else "N", "transaction_date": self._now(),
        }, [(f.INSTITUTION, self.lib.home_isil), (f.PATRON_ID, patron), (f.ITEM_ID, item_id),
            (f.TITLE, self._title(item_id)), (f.DUE_DATE, format_date(due) if due else ""),
            (f.TRANSACTION_ID, msg.get(f.X_TRANSACTION_ID))] + _verdict(result))

    def checkin(self, msg: Message, session: Session) -> Message:
        no_block, at = self._when(msg, "return_date")
        item_id = msg.get(f.ITEM_ID) or ""
        result = self._attempt(lambda: circulation.checkin(
            self.lib, msg.get(f.X_TRANSACTION_ID), session.machine_id, item_id, at, no_block))
        ok = "late_days" in result
        home = self.lib.one("SELECT home_machine FROM items WHERE item_id = ?", item_id)
        return build("10", {
            "ok": "1" if ok else "0", "resensitize": "Y" if ok else "N", "magnetic_media": "N",
            "alert": "Y" if result.get("hold_waiting") else "N", "transaction_date": self._now(),
        }, [(f.INSTITUTION, self.lib.home_isil), (f.ITEM_ID, item_id),
            (f.PERMANENT_LOCATION, (home and home["home_machine"]) or ""),
            (f.TITLE, self._title(item_id)), (f.PATRON_ID, result.get("patron")),
            (f.X_LATE_DAYS, str(result["late_days"]) if ok else None)] + _verdict(result))

    def item_information(self, msg: Message, session: Session) -> Message:
        item_id = msg.get(f.ITEM_ID) or ""
        result = self._attempt(lambda: items.info(self.lib, item_id))
        if "status" not in result:
            return build("18", {"circulation_status": f.CIRCULATION_OTHER, "security_marker": "00",
                                "fee_type": "01", "transaction_date": self._now()},
                         [(f.ITEM_ID, item_id), (f.TITLE, ""), (f.X_REASON, result["reason"])])
        return build("18", {
            "circulation_status": _CIRCULATION[result["status"]], "security_marker": "00",
            "fee_type": "01", "transaction_date": self._now(),
        }, [(f.HOLD_QUEUE_LENGTH, str(result["hold_queue"])),
            (f.DUE_DATE, _sip_time(result["due_at"])),
            (f.HOLD_PICKUP_DATE, _sip_time(result["hold_expires_at"])),
            (f.ITEM_ID, item_id), (f.TITLE, _clean(result["title"])),
            (f.OWNER, result["owner"]), (f.PERMANENT_LOCATION, result["home_machine"] or ""),
            (f.X_AUTHORS, _clean(result["authors"] or "")), (f.X_ISBN, result["isbn13"]),
            (f.X_HOLD_PATRON, result["hold_patron"])])

    def hold(self, msg: Message, session: Session) -> Message:
        _, at = self._when(msg, "transaction_date", no_block=False)
        mode, patron, item_id = msg.fixed["hold_mode"], self._member(msg), msg.get(f.ITEM_ID) or ""
        action = circulation.cancel_hold if mode == "-" else circulation.place_hold
        result = self._attempt(lambda: action(self.lib, msg.get(f.X_TRANSACTION_ID),
                                              session.machine_id, patron, item_id, at))
        ok = "state" in result
        return build("16", {
            "ok": "1" if ok else "0", "available": "Y" if result.get("state") == "ready" else "N",
            "transaction_date": self._now(),
        }, [(f.EXPIRATION_DATE, _sip_time(result.get("expires_at")) or None),
            (f.PICKUP_LOCATION, session.machine_id), (f.INSTITUTION, self.lib.home_isil),
            (f.PATRON_ID, patron), (f.ITEM_ID, item_id), (f.TITLE, self._title(item_id))]
            + _verdict(result))

    def end_session(self, msg: Message, session: Session) -> Message:
        return build("36", {"end_session": "Y", "transaction_date": self._now()},
                     [(f.INSTITUTION, self.lib.home_isil),
                      (f.PATRON_ID, msg.get(f.PATRON_ID) or "")])

    def _when(self, msg: Message, date_field: str, no_block: bool | None = None):
        """(no_block, time of the transaction): its own date for no-block requests."""
        if no_block is None:
            no_block = msg.fixed.get("no_block") == "Y"
        given = parse_date(msg.fixed[date_field], self.lib.tz) or parse_date(
            msg.fixed["transaction_date"], self.lib.tz)
        return no_block, events.at_or_now(self.lib, given, no_block)

    def _member(self, msg: Message) -> str:
        ident = msg.get(f.PATRON_ID) or ""
        row = patrons.find(self.lib, card_uid=ident, member_number=ident)
        return row["member_number"] if row else ident

    def _title(self, item_id: str) -> str:
        row = self.lib.one("SELECT t.title FROM items JOIN titles t USING (title_id) "
                           "WHERE item_id = ?", item_id)
        return _clean(row["title"]) if row else ""

    @staticmethod
    def _attempt(action: Callable[[], Result]) -> Result:
        try:
            return action()
        except Refused as refusal:
            return {"reason": refusal.reason, "duplicate": refusal.duplicate}


_CIRCULATION = {"available": f.CIRCULATION_AVAILABLE, "on_loan": f.CIRCULATION_CHARGED,
                "on_hold_shelf": f.CIRCULATION_ON_HOLD_SHELF}


def _verdict(result: Result) -> list[tuple[str, str | None]]:
    """XR (refusal or conflict reason) and XD (duplicate) of a transaction response."""
    reason = result.get("reason") or result.get("conflict")
    return [(f.X_REASON, reason), (f.X_DUPLICATE, "Y" if result.get("duplicate") else None)]


def _flags(reason: str | None) -> str:
    flags = [" "] * 14
    if reason is not None:
        flags[f.STATUS_CHARGE_DENIED] = "Y"
    if reason in _NO_RENEW:
        flags[f.STATUS_RENEWAL_DENIED] = flags[f.STATUS_HOLD_DENIED] = "Y"
    flags[f.STATUS_CARD_LOST] = "Y" if reason == "patron_blocked" else " "
    flags[f.STATUS_TOO_MANY_CHARGED] = "Y" if reason == "limit_reached" else " "
    flags[f.STATUS_TOO_MANY_OVERDUE] = "Y" if reason == "overdue" else " "
    return "".join(flags)


def _pin_ok(row, pin: str | None) -> bool:
    try:
        patrons.check_pin(row, pin)
    except Refused:
        return False
    return True


def _count(values: list) -> str:
    return f"{min(len(values), 9999):04d}"


def _sip_time(iso: str | None) -> str:
    return format_date(datetime.fromisoformat(iso)) if iso else ""


def _day(iso: str | None) -> str | None:
    return format_day(date.fromisoformat(iso)) if iso else None


def _clean(value: str) -> str:
    """Text fit for a SIP2 field: no separators or line breaks."""
    return value.replace("|", "/").replace("\r", " ").replace("\n", " ")
