"""The machine's books as the touchscreen browses them: every copy, where it stands for this
patron (available, held for them, out on loan, held), and what browsing sorts by.

Read on the controller's loop (`ctl.query`), from the journal only: no device, no library.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from kiosk import policy
from kiosk.journal import Item, Place, utc_now

if TYPE_CHECKING:
    from kiosk.controller import Controller


class Availability(StrEnum):
    """What a patron may do with a copy now (the screen translates it)."""

    AVAILABLE = "available"  # on the shelf: add it to the cart
    HELD_FOR_YOU = "held_for_you"  # on the shelf, kept for this patron
    ON_LOAN = "on_loan"  # out: it may be held, for pickup here
    ON_LOAN_HELD = "on_loan_held"  # out, and already held by someone else
    HOLD_PLACED = "hold_placed"  # out, held for this patron: kept for them when it is back
    HELD = "held"  # on the shelf, kept for another patron
    UNAVAILABLE = "unavailable"  # in the machine but not on a shelf (on its way, being audited)


def books(ctl: "Controller") -> dict:
    """Every copy of this machine that a patron may see, with its availability for the session's
    patron (none: the attract screen's anonymous view)."""
    session = ctl.flows.session
    member = session.member if session else None
    now, config = utc_now(), ctl.config.policy
    holds = {h.item_id: h for h in ctl.journal.active_holds()}
    due = {loan.item_id: loan.due.isoformat() for loan in ctl.journal.open_loans()}
    rows = []
    for item in ctl.journal.items():
        if item.place in (Place.REMOVED, Place.UNKNOWN):
            continue
        hold = holds.get(item.item_id)
        live_hold = hold is not None and not policy.hold_expired(
            policy.HoldFacts(hold.item_id, hold.patron_id, hold.ready_at, hold.expires_at),
            now, config)
        state = _availability(ctl, item, live_hold and hold.patron_id == member,
                              live_hold and hold.patron_id != member)
        rows.append(_row(item, state, due.get(item.item_id)))
    return {"books": rows, "hold_days": config.hold_days, "loan_days": config.loan_days}


def _availability(ctl: "Controller", item: Item, mine: bool, others: bool) -> Availability:
    """The copy's availability for a patron whose hold it is (`mine`) or not (`others`)."""
    if item.place is Place.ON_LOAN:
        if mine:
            return Availability.HOLD_PLACED
        return Availability.ON_LOAN_HELD if others else Availability.ON_LOAN
    if item.place is not Place.SLOT or item.slot is None or ctl.journal.slot_flagged(item.slot):
        return Availability.UNAVAILABLE
    if mine:
        return Availability.HELD_FOR_YOU
    return Availability.HELD if others else Availability.AVAILABLE


def _row(item: Item, state: Availability, due: str | None) -> dict:
    """One copy as the screen receives it (its text is the library's: shown as text only)."""
    return {"item_id": item.item_id, "title": item.title, "authors": item.authors,
            "year": item.year, "subject": item.subject, "popularity": item.popularity,
            "availability": state.value, "due": due}
