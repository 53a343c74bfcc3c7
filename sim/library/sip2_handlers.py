"""SIP2 requests answered from the same rules and database as the HTTP API."""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.sip2 import Message, build
from drivers.sip2 import layouts as f
from sim.library import holds, patrons
from sim.library.core import Library, Result
from sim.library.rules import MACHINE_LOAN_LIMIT, Refused
from sim.library.sip2_circulation import Sip2Circulation, terminal_ok
from sim.library.sip2_profiles import AcsProfile, Sip2Settings
from sim.library.sip2_wire import Fields, Wire, clean, count

_SUMMARY_LISTS = (f.HOLD_ITEMS, f.OVERDUE_ITEMS, f.CHARGED_ITEMS, None, None,
                  f.UNAVAILABLE_HOLD_ITEMS)  # the lists a 63's summary can ask for, by position


@dataclass
class Session:
    """One SC connection: the machine it logged in as, and the settings it was opened with."""

    machine_id: str | None = None
    profile: AcsProfile = field(default_factory=lambda: Sip2Settings().profile)
    terminal_password: str | None = None


@dataclass
class PatronView:
    """What 24 and 64 say of the patron a request names (row None: unknown)."""

    ident: str
    row: sqlite3.Row | None
    status: Result | None
    pin_ok: bool
    flags: str

    @property
    def reason(self) -> str | None:
        """Why the patron may not borrow here, or None."""
        return None if self.status is None else self.status["reason"]


class Sip2Handlers:
    """Turns each SC request into the ACS response of the session's profile."""

    def __init__(self, lib: Library, password: str, settings: Sip2Settings | None = None) -> None:
        self.lib = lib
        self.password = password
        self.settings = settings or Sip2Settings()
        circ = Sip2Circulation(lib)
        self._table: dict[str, Callable[[Message, Session], Message]] = {
            "93": self.login, "99": self.sc_status, "23": self.patron_status,
            "63": self.patron_information, "01": self.block_patron, "11": circ.checkout,
            "09": circ.checkin, "29": circ.renew, "17": circ.item_information,
            "15": circ.hold, "35": self.end_session,
        }

    def new_session(self) -> Session:
        """A session with the settings of this moment."""
        return Session(profile=self.settings.profile,
                       terminal_password=self.settings.terminal_password)

    def handles(self, code: str) -> bool:
        """Whether this ACS answers request `code`."""
        return code in self._table

    def handle(self, msg: Message, session: Session) -> Message:
        """The response to `msg`, with the request's sequence number."""
        holds.expire(self.lib, self.lib.now())
        response = self._table[msg.code](msg, session)
        return Message(response.code, response.fixed, response.fields, msg.sequence)

    def login(self, msg: Message, session: Session) -> Message:
        machine = msg.get(f.LOCATION_CODE) or msg.get(f.LOGIN_USER) or ""
        known = self.lib.one("SELECT 1 FROM machines WHERE machine_id = ?", machine)
        ok = known is not None and hmac.compare_digest(
            (msg.get(f.LOGIN_PASSWORD) or "").encode(), self.password.encode())
        session.machine_id = machine if ok else None
        return build("94", {"ok": "1" if ok else "0"})

    def sc_status(self, msg: Message, session: Session) -> Message:
        profile, isil = session.profile, self.lib.home_isil
        own = not profile.sipserver_base  # SIPServer sends AO and BX only
        return build("98", {
            "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "renewal_policy": "Y",
            "status_update_ok": "N", "offline_ok": profile.offline_ok,
            "timeout_period": profile.timeout_period, "retries_allowed": profile.retries_allowed,
            "date_time_sync": Wire(profile, self.lib).now(), "protocol_version": "2.00",
        }, [(f.INSTITUTION, isil),
            (f.LIBRARY_NAME, clean(self.lib.library_name(isil)) if own else None),
            (f.SUPPORTED_MESSAGES, profile.supported),
            (f.CURRENT_LOCATION, session.machine_id if own else None)])

    def patron_status(self, msg: Message, session: Session) -> Message:
        wire, view = Wire(session.profile, self.lib), self._view(msg, session)
        fields = self._identity(msg, view, wire, always_cq=True)
        if not terminal_ok(msg, session):
            fields.append((f.SCREEN_MESSAGE, session.profile.text("*", "terminal_password")))
        return build("24", {"patron_status": view.flags, "language": "000",
                            "transaction_date": wire.now()}, fields)

    def block_patron(self, msg: Message, session: Session) -> Message:
        """01: block the card (lost or retained), noting the AL message; answered with a 24."""
        row = patrons.find(self.lib, card_uid=msg.get(f.PATRON_ID) or "",
                           member_number=msg.get(f.PATRON_ID) or "")
        if row is not None and terminal_ok(msg, session):
            note = patrons.block_note(msg.get(f.BLOCKED_CARD_MESSAGE),
                                      msg.fixed["card_retained"] == "Y")
            patrons.block(self.lib, row["member_number"], note)
        return self.patron_status(msg, session)

    def patron_information(self, msg: Message, session: Session) -> Message:
        wire, view = Wire(session.profile, self.lib), self._view(msg, session)
        lists = self._lists(view, session.profile)
        fixed = {"patron_status": view.flags, "language": "000", "transaction_date": wire.now(),
                 "hold_items_count": count(lists[0]), "overdue_items_count": count(lists[1]),
                 "charged_items_count": count(lists[2]), "fine_items_count": "0000",
                 "recall_items_count": "0000", "unavailable_holds_count": count(lists[5])}
        wanted = msg.fixed["summary"].find("Y")  # the one list the SC asked for, if any
        listed = _SUMMARY_LISTS[wanted] if 0 <= wanted < len(_SUMMARY_LISTS) else None
        chosen = [(listed, i) for i in lists[wanted]] if listed else []
        fields = (self._identity(msg, view, wire, always_cq=False) + self._account(view, wire)
                  + chosen + [(f.SCREEN_MESSAGE, self._patron_text(msg, view, session))])
        return build("64", fixed, fields)

    def _view(self, msg: Message, session: Session) -> PatronView:
        ident, pin = msg.get(f.PATRON_ID) or "", msg.get(f.PATRON_PASSWORD)
        row = patrons.find(self.lib, card_uid=ident, member_number=ident)
        if row is None or not terminal_ok(msg, session):
            return PatronView(ident, None, None, False, "Y" * 4 + " " * 10)
        status = patrons.status(self.lib, session.machine_id, row["member_number"])
        pin_ok = row["pin_hash"] is None or _pin_ok(row, pin)
        flags = Wire(session.profile, self.lib).flags(status["reason"], row["fees_owed"])
        return PatronView(ident, row, status, pin_ok, flags)

    def _identity(self, msg: Message, view: PatronView, wire: Wire, always_cq: bool) -> Fields:
        """AO AA AE BL CQ and the project's patron X fields."""
        base = wire.profile.sipserver_base
        institution = msg.get(f.INSTITUTION) or self.lib.home_isil
        if view.row is None:
            return [(f.INSTITUTION, institution), (f.PATRON_ID, view.ident),
                    (f.PERSONAL_NAME, ""), (f.VALID_PATRON, "N"),
                    (f.VALID_PATRON_PASSWORD, None if base else "N"),
                    (f.X_REASON, wire.x("unknown_patron"))]
        row, status = view.row, view.status
        cq_sent = always_cq or not base or msg.get(f.PATRON_PASSWORD) is not None
        return [(f.INSTITUTION, institution), (f.PATRON_ID, row["member_number"]),
                (f.PERSONAL_NAME, clean(row["name"])), (f.VALID_PATRON, "Y"),
                (f.VALID_PATRON_PASSWORD, ("Y" if view.pin_ok else "N") if cq_sent else None),
                (f.X_REASON, wire.x(view.reason)), (f.X_HOME_LIBRARY, wire.x(row["home_isil"])),
                (f.X_EXPIRES, wire.x(wire.day(row["expires_on"]))),
                (f.X_BLOCKED_UNTIL, wire.x(wire.day(status["blocked_until"])))]

    def _account(self, view: PatronView, wire: Wire) -> Fields:
        """AQ, PA, CB, BH, BV and CC of a 64, as the profile sends them."""
        profile, row = wire.profile, view.row
        limit = [(f.CHARGED_ITEMS_LIMIT, f"{MACHINE_LOAN_LIMIT:04d}" if profile.charged_limit
                  else None)]
        if row is None:
            return [] if profile.sipserver_base else limit
        return ([(f.PERMANENT_LOCATION, row["home_isil"] if profile.patron_home_aq else None),
                 (f.PATRON_EXPIRES, wire.day(row["expires_on"]) if profile.patron_expiry_pa
                  else None)] + limit + wire.fees(row["fees_owed"]))

    def _lists(self, view: PatronView, profile: AcsProfile) -> list[list[str]]:
        """Item lists by summary position: holds, overdue, charged, fines, recalls, unavailable."""
        if view.row is None:
            return [[] for _ in _SUMMARY_LISTS]
        loans = view.status["loans"]
        ready = [h["item_id"] for h in view.status["holds_ready"]]
        waiting = self._waiting_holds(view.row["member_number"])
        held = ready + waiting if profile.holds_listed == "all" else ready
        return [held, [loan["item_id"] for loan in loans if loan["overdue"]],
                [loan["item_id"] for loan in loans], [], [], waiting]

    def _waiting_holds(self, member: str) -> list[str]:
        rows = self.lib.all("SELECT item_id FROM holds WHERE member_number = ? AND "
                            "state = 'waiting' ORDER BY hold_id", member)
        return [r["item_id"] for r in rows]

    @staticmethod
    def _patron_text(msg: Message, view: PatronView, session: Session) -> str | None:
        """The 64's AF: the profile's greeting and the note on the patron's block."""
        profile = session.profile
        if not terminal_ok(msg, session):
            return profile.text("*", "terminal_password")
        if view.row is None:
            return profile.text("patron", "unknown_patron")
        note = profile.text("patron", view.reason) if view.reason else None
        return " ".join(t for t in (profile.texts.get("patron:greeting"), note) if t) or None

    def end_session(self, msg: Message, session: Session) -> Message:
        return build("36", {"end_session": "Y",
                            "transaction_date": Wire(session.profile, self.lib).now()},
                     [(f.INSTITUTION, self.lib.home_isil),
                      (f.PATRON_ID, msg.get(f.PATRON_ID) or "")])


def _pin_ok(row: sqlite3.Row, pin: str | None) -> bool:
    try:
        patrons.check_pin(row, pin)
    except Refused:
        return False
    return True
