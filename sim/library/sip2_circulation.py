"""SIP2 circulation requests (11, 29, 09, 17, 15) answered in the session's ACS profile."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from drivers.sip2 import Message, build, parse_date
from drivers.sip2 import layouts as f
from sim.library import circulation, events, holds, items, patrons
from sim.library.core import Library, Result
from sim.library.rules import CURRENCY, Refused
from sim.library.sip2_wire import Fields, Wire, amount, clean

if TYPE_CHECKING:
    from sim.library.sip2_handlers import Session

_CIRCULATION = {"available": f.CIRCULATION_AVAILABLE, "on_loan": f.CIRCULATION_CHARGED,
                "on_hold_shelf": f.CIRCULATION_ON_HOLD_SHELF}
_REFUSAL_ALERTS = {"unknown_item": f.ALERT_OTHER, "wrong_location": f.ALERT_TRANSFER}
_WRONG_TERMINAL: Result = {"reason": "terminal_password"}


class _FeeRequired(Exception):
    """Rolls back a checkout whose loan fee was not acknowledged."""


def terminal_ok(msg: Message, session: Session) -> bool:
    """Whether the request's AC is the terminal password (always, when none is set)."""
    expected = session.terminal_password
    given = msg.get(f.TERMINAL_PASSWORD)
    return expected is None or (given is not None and hmac.compare_digest(
        given.encode(), expected.encode()))


class Sip2Circulation:
    """Checkout, renewal, checkin, item information and holds over SIP2."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib

    def checkout(self, msg: Message, session: Session) -> Message:
        wire, patron, item_id = Wire(session.profile, self.lib), self._member(msg), _item(msg)
        if not terminal_ok(msg, session):
            return self._loan_response("12", msg, wire, _WRONG_TERMINAL, patron, item_id)
        no_block, at = self._when(msg, "transaction_date")
        tx, own = self._tx(msg, wire), self._loaned_to(item_id, patron)
        offline = _offline(msg, wire)
        if own and self._renews(msg, wire):
            result = self._attempt(lambda: circulation.renew(
                self.lib, tx, session.machine_id, patron, item_id, at, no_block, offline))
            return self._loan_response("12", msg, wire, result, patron, item_id, renewing=True)
        acknowledged = no_block or msg.get(f.FEE_ACKNOWLEDGED) == "Y"
        result = self._lend(tx, session.machine_id, patron, item_id, at, no_block, acknowledged,
                            offline)
        same = own and wire.profile.same_patron_renews == "if_sc_allows"
        return self._loan_response("12", msg, wire, result, patron, item_id, renewing=same)

    def _renews(self, msg: Message, wire: Wire) -> bool:
        """Whether a checkout of a copy the patron already has is a renewal here."""
        mode = wire.profile.same_patron_renews
        return mode == "always" or (mode == "if_sc_allows" and msg.fixed["renewal_policy"] == "Y")

    def _lend(self, tx: str | None, machine_id: str, patron: str, item_id: str, at: datetime,
              no_block: bool, acknowledged: bool, offline: bool) -> Result:
        """Check out; undone (fee_required) when the copy has a loan fee not acknowledged."""
        try:
            with self.lib.atomic():  # a refusal is an answer here, so its record is kept
                result = self._attempt(lambda: circulation.checkout(
                    self.lib, tx, machine_id, patron, item_id, at, no_block, offline))
                if ("due_at" in result and self._loan_fee(item_id) and not acknowledged
                        and not result.get("duplicate")):
                    raise _FeeRequired
        except _FeeRequired:
            return {"reason": "fee_required", "duplicate": False}
        return result

    def renew(self, msg: Message, session: Session) -> Message:
        wire, patron, item_id = Wire(session.profile, self.lib), self._member(msg), _item(msg)
        if not terminal_ok(msg, session):
            return self._loan_response("30", msg, wire, _WRONG_TERMINAL, patron, item_id)
        no_block, at = self._when(msg, "transaction_date")
        tx = self._tx(msg, wire)
        result = self._attempt(lambda: circulation.renew(
            self.lib, tx, session.machine_id, patron, item_id, at, no_block,
            _offline(msg, wire)))
        return self._loan_response("30", msg, wire, result, patron, item_id)

    def _loan_response(self, code: str, msg: Message, wire: Wire, result: Result, patron: str,
                       item_id: str, renewing: bool = False) -> Message:
        profile, ok = wire.profile, "due_at" in result
        base = profile.sipserver_base
        # Koha says Y only for a renewal done; Evergreen also when refusing the patron's own copy
        own_refused = profile.same_patron_renews == "if_sc_allows"
        renewal = (renewing and (ok or own_refused)) or (base and code == "30" and ok)
        fee = self._loan_fee(item_id) if code == "12" else 0
        return build(code, {
            "ok": "1" if ok else "0", "renewal_ok": "Y" if renewal else "N",
            "magnetic_media": "U" if base and not ok else "N",
            "desensitize": "Y" if ok else "N", "transaction_date": wire.now(),
        }, [(f.INSTITUTION, self.lib.home_isil), (f.PATRON_ID, patron), (f.ITEM_ID, item_id),
            (f.TITLE, self._title(item_id)), (f.DUE_DATE, wire.due(result.get("due_at"))),
            (f.TRANSACTION_ID, wire.x(msg.get(f.X_TRANSACTION_ID)))]
            + _fee_fields(fee)
            + [(f.SCREEN_MESSAGE, self._loan_text(code, wire, result, patron, item_id, renewing)),
               (f.VALID_PATRON, None if ok or not base else self._valid(patron))]
            + wire.verdict(result))

    def _loan_text(self, code: str, wire: Wire, result: Result, patron: str, item_id: str,
                   renewing: bool) -> str | None:
        context = "checkout" if code == "12" else "renew"
        if "due_at" in result:
            return wire.profile.text(context, "renewing") if renewing else None
        row = patrons.find(self.lib, member_number=patron)
        return wire.profile.text(context, result["reason"], item=item_id, patron=patron,
                                 expires=row["expires_on"] if row else "")

    def checkin(self, msg: Message, session: Session) -> Message:
        wire, item_id = Wire(session.profile, self.lib), _item(msg)
        profile = wire.profile
        result = _WRONG_TERMINAL
        if terminal_ok(msg, session):
            no_block, at = self._when(msg, "return_date")
            result = self._attempt(lambda: circulation.checkin(
                self.lib, self._tx(msg, wire), session.machine_id, item_id, at, no_block))
        reason = result.get("reason")
        forgiven = reason == "not_on_loan" and profile.not_on_loan_ok
        ok, hold_here = "late_days" in result or forgiven, bool(result.get("hold_waiting"))
        alert = hold_here or (not ok and profile.alert_on_refusal)
        item = self.lib.one("SELECT home_machine FROM items WHERE item_id = ?", item_id)
        return build("10", {
            "ok": "1" if ok else "0", "resensitize": "Y" if ok else "N",
            "magnetic_media": "U" if profile.sipserver_base and item is None else "N",
            "alert": "Y" if alert else "N", "transaction_date": wire.now(),
        }, [(f.INSTITUTION, self.lib.home_isil), (f.ITEM_ID, item_id),
            (f.PERMANENT_LOCATION, (item and item["home_machine"]) or ""),
            (f.TITLE, self._title(item_id)), (f.PATRON_ID, result.get("patron"))]
            + self._alert_fields(wire, alert, hold_here, reason, item_id)
            + _hold_x_fields(wire, result.get("hold"))
            + [(f.X_LATE_DAYS, wire.x(str(result["late_days"])) if "late_days" in result
                else None),
               (f.SCREEN_MESSAGE, None if ok else profile.text("checkin", reason, item=item_id))]
            + wire.verdict(result))

    def _alert_fields(self, wire: Wire, alert: bool, hold_here: bool, reason: str | None,
                      item_id: str) -> Fields:
        """CV, and CY/DA of the hold the copy is now kept for (3M's fields)."""
        if not (wire.profile.three_m_fields and alert):
            return []
        if not hold_here:
            return [(f.ALERT_TYPE, _REFUSAL_ALERTS.get(reason or ""))]
        hold = holds.ready_hold(self.lib, item_id)
        holder = patrons.find(self.lib, member_number=hold["member_number"]) if hold else None
        return [(f.ALERT_TYPE, f.ALERT_HOLD_HERE),
                (f.HOLD_PATRON_ID, holder["member_number"] if holder else None),
                (f.HOLD_PATRON_NAME, clean(holder["name"]) if holder else None)]

    def item_information(self, msg: Message, session: Session) -> Message:
        wire, item_id = Wire(session.profile, self.lib), _item(msg)
        profile = wire.profile
        result = self._attempt(lambda: items.info(self.lib, item_id))
        if "status" not in result:
            marker = "01" if profile.sipserver_base else "00"
            return build("18", {"circulation_status": f.CIRCULATION_OTHER,
                                "security_marker": marker, "fee_type": "01",
                                "transaction_date": wire.now()},
                         [(f.ITEM_ID, item_id), (f.TITLE, ""),
                          (f.X_REASON, wire.x(result["reason"])),
                          (f.SCREEN_MESSAGE, None if profile.sipserver_base
                           else profile.text("item", result["reason"]))])
        queue = {"always": True, "nonzero": result["hold_queue"] > 0, "never": False}
        return build("18", {
            "circulation_status": _CIRCULATION[result["status"]], "security_marker": "00",
            "fee_type": "01", "transaction_date": wire.now(),
        }, [(f.HOLD_QUEUE_LENGTH, str(result["hold_queue"]) if queue[profile.hold_queue_18]
             else None),
            (f.DUE_DATE, wire.due(result["due_at"])),
            (f.HOLD_PICKUP_DATE, wire.pickup(result["hold_expires_at"])),
            (f.ITEM_ID, item_id), (f.TITLE, clean(result["title"])),
            (f.OWNER, result["owner"]), (f.PERMANENT_LOCATION, result["home_machine"] or "")]
            + _fee_fields(self._loan_fee(item_id))
            + [(f.X_AUTHORS, wire.x(clean(result["authors"] or ""))),
               (f.X_ISBN, wire.x(result["isbn13"])),
               (f.X_HOLD_PATRON, wire.x(result["hold_patron"]))])

    def hold(self, msg: Message, session: Session) -> Message:
        wire, patron, item_id = Wire(session.profile, self.lib), self._member(msg), _item(msg)
        mode, result = msg.fixed["hold_mode"], _WRONG_TERMINAL
        if terminal_ok(msg, session):
            _, at = self._when(msg, "transaction_date", no_block=False)
            action = circulation.cancel_hold if mode == "-" else circulation.place_hold
            result = self._attempt(lambda: action(self.lib, self._tx(msg, wire),
                                                  session.machine_id, patron, item_id, at))
        ok, base = "state" in result, wire.profile.sipserver_base
        text = self._hold_text(wire, result, mode, patron, item_id)
        fixed = {"ok": "1" if ok else "0", "transaction_date": wire.now(),
                 "available": "Y" if result.get("state") == "ready" else "N"}
        if base and not ok:  # SIPServer's refusal: AA, AO, AF only (no AB)
            return build("16", fixed, [(f.INSTITUTION, self.lib.home_isil),
                                       (f.PATRON_ID, patron), (f.SCREEN_MESSAGE, text)])
        expires = result.get("expires_at")
        return build("16", fixed, [
            (f.EXPIRATION_DATE, wire.stamp(expires) if expires else None),
            (f.PICKUP_LOCATION, session.machine_id), (f.INSTITUTION, self.lib.home_isil),
            (f.PATRON_ID, patron), (f.ITEM_ID, item_id), (f.TITLE, self._title(item_id)),
            (f.QUEUE_POSITION, self._position(patron, item_id) if base else None),
            (f.SCREEN_MESSAGE, text)] + wire.verdict(result))

    def _hold_text(self, wire: Wire, result: Result, mode: str, patron: str,
                   item_id: str) -> str | None:
        if "state" in result:
            return wire.profile.text("hold", "cancelled") if mode == "-" else None
        return wire.profile.text("hold", result["reason"], item=item_id, patron=patron)

    def _position(self, patron: str, item_id: str) -> str | None:
        """BR: the patron's place in the copy's hold queue (None when not queued)."""
        queue = self.lib.all("SELECT member_number FROM holds WHERE item_id = ? AND state IN "
                             "('waiting', 'ready') ORDER BY placed_at, hold_id", item_id)
        members = [row["member_number"] for row in queue]
        return str(members.index(patron) + 1) if patron in members else None

    def _when(self, msg: Message, date_field: str, no_block: bool | None = None):
        """(no_block, time of the transaction): its own date for no-block requests."""
        if no_block is None:
            no_block = msg.fixed.get("no_block") == "Y"
        given = parse_date(msg.fixed[date_field], self.lib.tz) or parse_date(
            msg.fixed["transaction_date"], self.lib.tz)
        return no_block, events.at_or_now(self.lib, given, no_block)

    @staticmethod
    def _tx(msg: Message, wire: Wire) -> str | None:
        """The XT transaction id when the profile honours it (else not idempotent)."""
        return wire.x(msg.get(f.X_TRANSACTION_ID))

    def _member(self, msg: Message) -> str:
        ident = msg.get(f.PATRON_ID) or ""
        row = patrons.find(self.lib, card_uid=ident, member_number=ident)
        return row["member_number"] if row else ident

    def _valid(self, patron: str) -> str:
        return "Y" if patrons.find(self.lib, member_number=patron) else "N"

    def _loaned_to(self, item_id: str, patron: str) -> bool:
        return self.lib.one("SELECT 1 FROM loans WHERE item_id = ? AND member_number = ? AND "
                            "returned_at IS NULL", item_id, patron) is not None

    def _loan_fee(self, item_id: str) -> float:
        row = self.lib.one("SELECT loan_fee FROM items WHERE item_id = ?", item_id)
        return row["loan_fee"] if row else 0

    def _title(self, item_id: str) -> str:
        row = self.lib.one("SELECT t.title FROM items JOIN titles t USING (title_id) "
                           "WHERE item_id = ?", item_id)
        return clean(row["title"]) if row else ""

    @staticmethod
    def _attempt(action: Callable[[], Result]) -> Result:
        try:
            return action()
        except Refused as refusal:
            return {"reason": refusal.reason, "duplicate": refusal.duplicate}


def _item(msg: Message) -> str:
    return msg.get(f.ITEM_ID) or ""


def _offline(msg: Message, wire: Wire) -> bool:
    """XO Y: the kiosk lent or renewed while offline (the project profile reads it)."""
    return wire.x(msg.get(f.X_OFFLINE)) == "Y"


def _hold_x_fields(wire: Wire, hold: Result | None) -> Fields:
    """XP and XW of a 10: for whom, and until when, the return made a hold ready."""
    if hold is None:
        return []
    return [(f.X_HOLD_PATRON, wire.x(hold["patron"])),
            (f.X_HOLD_EXPIRES, wire.x(wire.stamp(hold["expires_at"])))]


def _fee_fields(fee: float) -> Fields:
    """BV and BH of a copy with a loan fee (nothing without one)."""
    return [(f.FEE_AMOUNT, amount(fee)), (f.CURRENCY, CURRENCY)] if fee else []
