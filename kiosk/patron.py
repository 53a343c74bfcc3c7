"""The patron's requests: validated against the session, answered, and sent on as events.

Each handler runs on the controller's loop only after the transition table has allowed its
event in the current state; it reads the journal and the session, never a device or the
library, and returns a Reply: the answer for the screen and the event that follows, if any.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk import planner, policy
from kiosk.journal import (
    Hold, HoldCancelled, HoldEnd, HoldPlaced, HoldReleased, Place, utc_now,
)
from kiosk.flows import RenewalFlow
from kiosk.session import Prefetch, Session
from kiosk.steps import Event, Refused, Reply

if TYPE_CHECKING:
    from kiosk.controller import Controller

__all__ = ["Refused", "shelf", "HANDLERS"]
log = logging.getLogger(__name__)


def shelf(ctl: "Controller", query: str = "") -> list[dict]:
    """Books in the machine a patron may take now (holds shown only to their patron)."""
    session = ctl.flows.session
    member = session.member if session else None
    holds = [hold_facts(h) for h in ctl.journal.active_holds()]
    on_shelf = ctl.journal.items(Place.SLOT)
    visible = set(policy.visible_items([i.item_id for i in on_shelf], holds, member, utc_now(),
                                       ctl.config.policy))
    flagged = {flag.slot for flag in ctl.journal.open_flags() if flag.slot is not None}
    held = {h.item_id for h in holds if h.patron_id == member}
    needle = query.casefold().strip()
    books = []
    for item in on_shelf:
        if item.item_id not in visible or item.slot is None or item.slot in flagged:
            continue
        if needle and needle not in f"{item.title} {item.authors or ''}".casefold():
            continue
        books.append({"item_id": item.item_id, "title": item.title, "authors": item.authors,
                      "held_for_you": item.item_id in held})
    return books


def on_shelf(ctl: "Controller", item_id: str) -> bool:
    """Whether shelf() lists this book for the session's patron (without reading every book)."""
    item = ctl.journal.item(item_id)
    if item is None or item.place is not Place.SLOT or item.slot is None:
        return False
    session = ctl.flows.session
    member = session.member if session else None
    holds = [hold_facts(h) for h in ctl.journal.active_holds() if h.item_id == item_id]
    return (bool(policy.visible_items([item_id], holds, member, utc_now(), ctl.config.policy))
            and not ctl.journal.slot_flagged(item.slot))


def enter_pin(ctl: "Controller", payload: dict) -> Reply:
    """Send the PIN to be checked (the checking_pin state asks the library)."""
    pin = payload["pin"]
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise Refused("bad_pin_format")
    return Reply({}, Event.PIN_ENTERED, {"pin": pin})


def add_to_cart(ctl: "Controller", payload: dict) -> Reply:
    """Choose a book; the first one starts on its way at once. Refused beyond the limit."""
    session, item_id = _choosing(ctl), payload["item_id"]
    if item_id in session.cart:
        return Reply(session.public())
    if len(session.cart) >= session.remaining:
        raise Refused("limit_reached")
    chosen = session.prefetch
    if chosen is None and not ctl.machine.allows(Event.PREFETCH_STARTED.value):
        raise Refused("not_now")  # checked before the session changes
    prefetched = chosen is not None and chosen.item_id == item_id
    if not prefetched and not on_shelf(ctl, item_id):
        raise Refused("not_available")
    session.cart.append(item_id)
    if chosen is not None:
        chosen.keep = chosen.keep or prefetched
        return Reply(session.public())
    session.prefetch = Prefetch(item_id)
    return Reply(session.public(), Event.PREFETCH_STARTED)


def remove_from_cart(ctl: "Controller", payload: dict) -> Reply:
    """Un-choose a book (one already fetched goes back to its slot later)."""
    session, item_id = _choosing(ctl), payload["item_id"]
    if item_id in session.cart:
        session.cart.remove(item_id)
    if session.prefetch is not None and session.prefetch.item_id == item_id:
        session.prefetch.keep = False
    return Reply(session.public())


def confirm_cart(ctl: "Controller", payload: dict) -> Reply:
    """Lend the cart: a book already fetched first, the others in the quickest order."""
    session = _choosing(ctl)
    if not session.cart:
        raise Refused("cart_empty")
    waiting = session.prefetch.item_id if session.prefetch else None
    session.to_vend = [i for i in session.cart if i != waiting]
    estimate = _plan_order(ctl, session)
    order = ([waiting] if waiting in session.cart else []) + session.to_vend
    session.cart, session.confirmed = [], True
    return Reply({"order": order, "estimate_seconds": round(estimate, 1)}, Event.CART_CONFIRMED)


def _plan_order(ctl: "Controller", session: Session) -> float:
    """Put the books still to fetch in the quickest order from the picker's last known place."""
    slots = {ctl.journal.item(i).slot: i for i in session.to_vend}
    status = ctl.mech.last_status  # the coordinator's latest reading: no device I/O here
    if status is None or not slots:
        return 0.0
    plan = planner.fetch_order((status.level, status.position), list(slots), status.geometry,
                               ctl.timing)
    session.to_vend = [slots[s] for s in plan.order]
    return plan.seconds


def end_session(ctl: "Controller", payload: dict) -> Reply:
    """The patron is done (or walked away): fetch nothing more; a fetched book goes back first."""
    session = ctl.flows.session
    if session is not None:
        session.ending = True
        session.to_vend = []
    return Reply({}, Event.SESSION_ENDED)


def idle_timeout(ctl: "Controller", payload: dict) -> Reply:
    """The idle countdown ran out: end the session, unless the cart is already on its way."""
    session = ctl.flows.session
    if session is not None and session.confirmed:
        return Reply(None)  # the vend's own timeouts end it
    return end_session(ctl, payload)


def start_return(ctl: "Controller", payload: dict) -> Reply:
    """Open the return slot (outside opening hours only where the config allows it)."""
    if not ctl.is_open() and not ctl.config.session.returns_when_closed:
        raise Refused("closed")
    return Reply({}, Event.RETURN_REQUESTED)


def my_loans(ctl: "Controller", payload: dict) -> Reply:
    """The session patron's loans from this machine."""
    session = _session(ctl)
    return Reply([{"item_id": loan.item_id, "title": ctl.journal.item(loan.item_id).title,
                   "due": loan.due.isoformat(), "renewals": loan.renewals}
                  for loan in ctl.journal.open_loans(session.member)])


def my_holds(ctl: "Controller", payload: dict) -> Reply:
    """The session patron's holds on this machine's books: ready ones with their last day."""
    session = _session(ctl)
    holds = []
    for hold in ctl.journal.active_holds():
        if hold.patron_id != session.member:
            continue
        item = ctl.journal.item(hold.item_id)
        expires = policy.hold_expires_at(hold_facts(hold), ctl.config.policy)
        holds.append({"item_id": hold.item_id, "title": item.title if item else hold.item_id,
                      "ready": hold.ready_at is not None,
                      "until": expires.isoformat() if expires else None})
    return Reply(holds)


def still_here(ctl: "Controller", payload: dict) -> Reply:
    """The patron asked for more time: the idle countdown restarts (every request restarts it);
    `voice` turns voice mode's longer backstop on or off until the patron leaves."""
    if "voice" in payload:
        ctl.flows.set_voice(payload["voice"])
        ctl.touch()  # the countdown started before the change: again, at its new length
    return Reply({"idle_timeout": ctl.idle_backstop})


def renew(ctl: "Controller", payload: dict) -> Reply:
    """Ask the library for one renewal (the renewing state asks it); offline: refused, as the
    kiosk's rules say, since only the library knows who else waits for the book."""
    session, item_id = _session(ctl), payload["item_id"]
    loan = ctl.journal.open_loan(item_id)
    if loan is None or loan.patron_id != session.member:
        raise Refused("not_your_loan")
    if ctl.offline:
        raise Refused(policy.PolicyRefusal.LIBRARY_UNREACHABLE.value)
    if ctl.journal.owes_library(item_id):
        raise Refused("not_synced_yet")  # the library does not know this loan yet
    if not ctl.machine.allows(Event.RENEWAL_ASKED.value):
        raise Refused("not_now")  # a book is on its way: ask again in a moment
    # One id per loan and session: asked again after an unknown answer, the library (HTTP, SIP2
    # by the connector's memory) answers the first time's result instead of renewing twice.
    tx = session.renewal_ids.setdefault(item_id, str(uuid.uuid4()))
    flow = RenewalFlow(item_id=item_id, member=session.member, transaction_id=tx,
                       due_before=loan.due)
    return Reply({"item_id": item_id, "asked": True}, Event.RENEWAL_ASKED, {"renewal": flow})


def place_hold(ctl: "Controller", payload: dict) -> Reply:
    """Hold a book of this machine that is out on loan, for pickup here."""
    session, item_id = _session(ctl), payload["item_id"]
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
    return Reply({"item_id": item_id})


def hold_facts(hold: Hold) -> policy.HoldFacts:
    """What the policy needs of a journal hold."""
    return policy.HoldFacts(hold.item_id, hold.patron_id, hold.ready_at, hold.expires_at)


def expire_hold(ctl: "Controller", hold: Hold) -> None:
    """End a ready hold past its last moment. A hold the library reported ends at the library
    by its own rule (the journal notes it); one placed here is cancelled there too."""
    if hold.source == "library":
        ctl.journal.append(HoldReleased(item_id=hold.item_id, patron_id=hold.patron_id))
        return
    ctl.journal.append(HoldCancelled(item_id=hold.item_id, patron_id=hold.patron_id,
                                     reason=HoldEnd.EXPIRED))
    ctl.kick_sync()


def expire_holds(ctl: "Controller") -> None:
    """Every ready hold past its last moment ends now; the screens see it; the timer is set
    for the next."""
    now, ended = utc_now(), 0
    try:
        for hold in ctl.journal.active_holds():
            if not policy.hold_expired(hold_facts(hold), now, ctl.config.policy):
                continue
            try:
                expire_hold(ctl, hold)
                ended += 1
            except Exception:  # one bad hold must not keep the others from ending
                log.exception("ending the hold on %s failed", hold.item_id)
    finally:
        if ended:
            ctl.publish()  # re-arms the timer too
        else:
            ctl.hold_timer.arm()


def next_hold_expiry(ctl: "Controller") -> datetime | None:
    """The earliest last moment of a ready hold (None: no ready hold)."""
    ends = [policy.hold_expires_at(hold_facts(h), ctl.config.policy)
            for h in ctl.journal.active_holds()]
    return min((e for e in ends if e is not None), default=None)


def _session(ctl: "Controller") -> Session:
    """The session of a request the table allowed (browsing, prefetching)."""
    if ctl.flows.session is None:
        raise Refused("no_session")
    return ctl.flows.session


def _choosing(ctl: "Controller") -> Session:
    """The session, while its patron may still change the cart."""
    session = _session(ctl)
    if session.confirmed or session.ending:
        raise Refused("not_now")
    return session


HANDLERS = {
    Event.PIN_ENTERED: enter_pin,
    Event.CART_ADD: add_to_cart,
    Event.CART_REMOVE: remove_from_cart,
    Event.CART_CONFIRMED: confirm_cart,
    Event.SESSION_ENDED: end_session,
    Event.RETURN_REQUESTED: start_return,
    Event.LOANS_ASKED: my_loans,
    Event.HOLDS_ASKED: my_holds,
    Event.STILL_HERE: still_here,
    Event.RENEW: renew,
    Event.HOLD: place_hold,
}
