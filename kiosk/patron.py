"""The patron's side: identification, the shelf, the cart, loans, renewals, holds."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk import planner, policy
from kiosk.connectors import ConnectorError, LibraryUnavailable, Reason, Refusal
from kiosk.journal import HoldPlaced, PatronVerified, Place, Renewed, utc_now
from kiosk.machine import KioskState
from kiosk.session import Session, library_refusal, patron_facts
from kiosk.steps import Step

if TYPE_CHECKING:
    from kiosk.controller import Controller

log = logging.getLogger(__name__)


PIN_ATTEMPTS = 3  # wrong PINs before the session is refused


class Refused(Exception):
    """A patron request the kiosk says no to; `code` is what the screen translates."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# -- identification ------------------------------------------------------------
async def identify(ctl: "Controller", credential: dict, pin: str | None = None) -> Step:
    """Ask the library who holds this card or member number, and whether they may borrow."""
    by_card = "card" in credential
    value = credential.get("card") or credential.get("member") or ""
    credential = {k: v for k, v in credential.items() if k in ("card", "member")}
    try:
        found = await ctl.library.call("lookup_card" if by_card else "lookup_member", value, pin)
        if isinstance(found, Refusal):
            return _lookup_refused(ctl, found.reason, credential)
        status = await ctl.library.call("patron_status", found.member_number)
    except LibraryUnavailable:
        return _identify_offline(ctl, value, by_card, pin_checked=False)
    except ConnectorError as exc:
        log.error("library answered nonsense while identifying: %s", exc)
        return _refuse(ctl, "library_error")
    if isinstance(status, Refusal):
        return _refuse(ctl, status.reason.value)
    return _start_session(ctl, status, value, by_card)


def _lookup_refused(ctl: "Controller", reason: Reason, credential: dict) -> Step:
    if reason is Reason.BAD_PIN and ctl.pending is not None:
        ctl.pending["tries"] = ctl.pending.get("tries", 0) + 1
        if ctl.pending["tries"] >= PIN_ATTEMPTS:
            return _refuse(ctl, "too_many_pin_attempts")
    if reason is Reason.PIN_REQUIRED or (reason is Reason.BAD_PIN and ctl.pending is not None):
        ctl.pending = {**credential, "tries": (ctl.pending or {}).get("tries", 0)}
        ctl.identifications += 1
        ctl.notice = {"code": reason.value} if reason is Reason.BAD_PIN else None
        event = "patron_found" if ctl.state is KioskState.IDENTIFYING else None
        return Step(event) if event else Step("noop")
    return _refuse(ctl, reason.value)


def _start_session(ctl: "Controller", status, credential: str, by_card: bool) -> Step:
    now = utc_now()
    member = status.patron.member_number
    loans_here = len(ctl.journal.open_loans(member))
    refusal = library_refusal(status)
    decision = policy.may_borrow(patron_facts(status, loans_here, now), now, ctl.config.policy)
    good_standing = status.may_borrow or status.reason is Reason.LIMIT_REACHED
    ctl.journal.append(PatronVerified(patron_id=member, good_standing=good_standing))
    if refusal is None and decision.refusal not in (None, policy.PolicyRefusal.LIMIT_REACHED):
        refusal = decision.refusal.value
    if refusal is not None:
        return _refuse(ctl, refusal)
    ctl.cache.remember(credential, member, status.patron.name,
                       pin_required=ctl.state is KioskState.PIN_ENTRY)
    remaining = min(decision.remaining, status.remaining)
    ctl.session = Session(member=member, name=status.patron.name, remaining=remaining,
                          offline=False, credential=credential, by_card=by_card)
    return _found(ctl)


def _identify_offline(ctl: "Controller", credential: str, by_card: bool,
                      pin_checked: bool) -> Step:
    known = ctl.cache.lookup(credential)
    if known is None:
        return _refuse(ctl, "offline_unknown_patron")
    member, name, pin_required = known
    if pin_required and not pin_checked:
        return _refuse(ctl, "offline_pin_unavailable")  # the PIN can only be checked online
    now = utc_now()
    facts = policy.PatronFacts(member=True, loans_here=len(ctl.journal.open_loans(member)),
                               last_good_standing=ctl.journal.patron_last_good(member))
    decision = policy.may_borrow(facts, now, ctl.config.policy, offline=True)
    if decision.refusal not in (None, policy.PolicyRefusal.LIMIT_REACHED):
        return _refuse(ctl, decision.refusal.value)
    ctl._offline_session = True
    ctl.session = Session(member=member, name=name, remaining=decision.remaining, offline=True,
                          credential=credential, by_card=by_card)
    return _found(ctl)


def _found(ctl: "Controller") -> Step:
    ctl.notice = None
    ctl.identifications += 1
    if ctl.state is KioskState.PIN_ENTRY:
        ctl.pending = None
        return Step("pin_accepted")
    return Step("patron_found")


def _refuse(ctl: "Controller", code: str) -> Step:
    ctl.notice = {"code": code}
    ctl.identifications += 1
    ctl.pending = None
    return Step("patron_refused", {"reason": code})


# -- requests from the screen (run on the loop between events) -------------------
async def enter_pin(ctl: "Controller", pin: str) -> dict:
    """Check the PIN with the library."""
    _expect(ctl, KioskState.PIN_ENTRY)
    ctl.touch()
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise Refused("bad_pin_format")
    step = await identify(ctl, ctl.pending or {}, pin)
    if step.event != "noop":
        ctl.post(step)
    ctl.publish()
    return {}


async def shelf(ctl: "Controller", query: str = "") -> list[dict]:
    """Books in the machine a patron may take now (holds shown only to their patron)."""
    member = ctl.session.member if ctl.session else None
    holds = [policy.HoldFacts(h.item_id, h.patron_id, h.ready_at) for h in ctl.journal.active_holds()]
    on_shelf = ctl.journal.items(Place.SLOT)
    visible = set(policy.visible_items([i.item_id for i in on_shelf], holds, member, utc_now(),
                                       ctl.config.policy))
    held = {h.item_id for h in holds if h.patron_id == member}
    needle = query.casefold().strip()
    books = []
    for item in on_shelf:
        if item.item_id not in visible:
            continue
        if item.slot is None or ctl.journal.slot_flagged(item.slot):
            continue
        if needle and needle not in f"{item.title} {item.authors or ''}".casefold():
            continue
        books.append({"item_id": item.item_id, "title": item.title, "authors": item.authors,
                      "held_for_you": item.item_id in held})
    return books


async def add_to_cart(ctl: "Controller", item_id: str) -> dict:
    """Choose a book; the first one starts on its way at once. Refused beyond the limit."""
    session = _expect_browsing(ctl)
    ctl.touch()
    if item_id in session.cart:
        return session.public()
    if len(session.cart) >= session.remaining:
        raise Refused("limit_reached")
    prefetched = ctl.prefetch is not None and ctl.prefetch["item_id"] == item_id
    if not prefetched and item_id not in {book["item_id"] for book in await shelf(ctl)}:
        raise Refused("not_available")
    session.cart.append(item_id)
    if prefetched:
        ctl.prefetch["keep"] = True
    elif ctl.prefetch is None and ctl.state is KioskState.BROWSING:
        ctl.prefetch = {"item_id": item_id, "keep": True, "ready": False}
        ctl.post(Step("prefetch_started"))
    ctl.publish()
    return session.public()


async def remove_from_cart(ctl: "Controller", item_id: str) -> dict:
    """Un-choose a book (one already fetched goes back to its slot later)."""
    session = _expect_browsing(ctl)
    ctl.touch()
    if item_id in session.cart:
        session.cart.remove(item_id)
    if ctl.prefetch is not None and ctl.prefetch["item_id"] == item_id:
        ctl.prefetch["keep"] = False
    ctl.publish()
    return session.public()


async def confirm_cart(ctl: "Controller") -> dict:
    """Lend the cart: a book already fetched first, the others in the quickest order."""
    session = _expect_browsing(ctl)
    ctl.touch()
    if not session.cart:
        raise Refused("cart_empty")
    waiting = ctl.prefetch["item_id"] if ctl.prefetch else None
    others = {ctl.journal.item(i).slot: i for i in session.cart if i != waiting}
    status = await ctl.mech.status()
    plan = planner.fetch_order((status.level, status.position), list(others), status.geometry,
                               ctl.timing)
    session.to_vend = [others[s] for s in plan.order]
    order = ([waiting] if waiting in session.cart else []) + session.to_vend
    session.cart, session.confirmed = [], True
    if ctl.state is KioskState.BROWSING:  # while prefetching, its end routes the vend
        ctl.post(Step("cart_confirmed"))
    return {"order": order, "estimate_seconds": round(plan.seconds, 1)}


async def end_session(ctl: "Controller") -> dict:
    """The patron is done (or walked away); a fetched book goes back first."""
    if ctl.session is not None or ctl.state in (KioskState.PIN_ENTRY, KioskState.IDENTIFYING):
        ctl.end_session_soon()
    return {}


async def start_return(ctl: "Controller") -> dict:
    """Open the return slot."""
    if ctl.state not in (KioskState.READY, KioskState.CLOSED):
        raise Refused("busy")
    if ctl.state is KioskState.CLOSED and not ctl.config.session.returns_when_closed:
        raise Refused("closed")
    ctl.post(Step("return_requested"))
    return {}


async def my_loans(ctl: "Controller") -> list[dict]:
    """The session patron's loans from this machine."""
    session = _session(ctl)
    return [{"item_id": loan.item_id, "title": ctl.journal.item(loan.item_id).title,
             "due": loan.due.isoformat(), "renewals": loan.renewals}
            for loan in ctl.journal.open_loans(session.member)]


async def renew(ctl: "Controller", item_id: str) -> dict:
    """One renewal, unless someone holds the title or the loan is overdue."""
    session = _session(ctl)
    ctl.touch()
    loan = ctl.journal.open_loan(item_id)
    if loan is None or loan.patron_id != session.member:
        raise Refused("not_your_loan")
    hold = ctl.journal.active_hold(item_id)
    facts = policy.LoanFacts(due=loan.due, renewals=loan.renewals,
                             held_by_other=hold is not None and hold.patron_id != session.member)
    member_facts = policy.PatronFacts(member=True, loans_here=len(ctl.journal.open_loans(session.member)))
    decision = policy.may_renew(facts, member_facts, utc_now(), ctl.config.policy, ctl.offline)
    if decision.refusal is not None:
        raise Refused(decision.refusal.value)
    ctl.journal.append(Renewed(item_id=item_id, patron_id=session.member, due=decision.new_due))
    ctl.kick_sync()
    return {"item_id": item_id, "due": decision.new_due.isoformat()}


async def place_hold(ctl: "Controller", item_id: str) -> dict:
    """Hold a book of this machine that is out on loan, for pickup here."""
    session = _session(ctl)
    ctl.touch()
    item = ctl.journal.item(item_id)
    if item is None:
        raise Refused("not_on_loan")
    loan = ctl.journal.open_loan(item_id)
    decision = policy.may_hold(
        policy.PatronFacts(member=True, loans_here=len(ctl.journal.open_loans(session.member))),
        item_on_loan=item.place is Place.ON_LOAN,
        item_held=ctl.journal.active_hold(item_id) is not None,
        lent_to_patron=loan is not None and loan.patron_id == session.member,
        now=utc_now(), config=ctl.config.policy, offline=ctl.offline)
    if decision is not None:
        raise Refused(decision.value)
    ctl.journal.append(HoldPlaced(item_id=item_id, patron_id=session.member))
    ctl.kick_sync()
    return {"item_id": item_id}


def _expect_browsing(ctl: "Controller") -> Session:
    if ctl.state not in (KioskState.BROWSING, KioskState.PREFETCHING) or ctl.session is None:
        raise Refused("not_now")
    if ctl.session.confirmed or ctl.session.ending:
        raise Refused("not_now")
    return ctl.session


def _expect(ctl: "Controller", state: KioskState) -> None:
    if ctl.state is not state:
        raise Refused("not_now")


def _session(ctl: "Controller") -> Session:
    if ctl.session is None or ctl.state not in (KioskState.BROWSING, KioskState.PREFETCHING):
        raise Refused("no_session")
    return ctl.session
