"""Why a SIP2 ACS said no: the XR extension when present, else derived from standard fields.

The derivations are pure: the connector gathers the facts (the patron's 64, the item's 18)
and these functions name the reason the standard lets one tell apart. docs/library.md has
the table.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from drivers.sip2 import layouts as f
from kiosk.connectors.base import Reason

_BACK_IN = (f.CIRCULATION_AVAILABLE, f.CIRCULATION_ON_HOLD_SHELF, f.CIRCULATION_RESHELVING,
            f.CIRCULATION_IN_TRANSIT)
_UNAVAILABLE = (f.CIRCULATION_ON_ORDER, f.CIRCULATION_IN_PROCESS, f.CIRCULATION_IN_TRANSIT,
                f.CIRCULATION_CLAIMED_RETURNED, f.CIRCULATION_LOST, f.CIRCULATION_MISSING)


@dataclass(frozen=True)
class PatronFacts:
    """What a 64 (or 24) says of a patron, as far as a refusal needs it."""

    known: bool
    status: str = " " * 14  # the 14 patron-status flags
    home_library: str | None = None  # XH or AQ
    expires_on: date | None = None  # XE or PA
    blocked_until: date | None = None  # XU
    overdue_count: int = 0
    charged: tuple[str, ...] = ()  # AU, when asked for
    holds: tuple[str, ...] = ()  # AS and CD, when asked for


@dataclass(frozen=True)
class ItemFacts:
    """What an 18 says of a copy."""

    item_id: str
    known: bool
    status: str = f.CIRCULATION_OTHER
    location: str | None = None  # AQ: where the copy belongs
    hold_queue: int = 0
    hold_patron: str | None = None  # XP or CY
    due_at: datetime | None = None

    @property
    def on_loan(self) -> bool:
        """Whether the library has the copy lent to someone."""
        return self.status in f.CIRCULATION_ON_LOAN

    @property
    def back_in(self) -> bool:
        """Whether the library has the copy back (not lost, missing or claimed: those may be
        charged still, and a return must still be sent)."""
        return self.status in _BACK_IN


def reason_of(code: str | None) -> Reason | None:
    """The reason of an XR field; an unknown code is UNSPECIFIED, no field is None."""
    if not code:
        return None
    try:
        return Reason(code)
    except ValueError:
        return Reason.UNSPECIFIED


def patron_reason(patron: PatronFacts, home: Collection[str], today: date) -> Reason | None:
    """Why the patron may not borrow (None: they may), from the flags and the fields beside them.

    `home`: the codes of this library's own members' home library (empty: never guess
    federation from the home library an ACS sends).
    """
    flags = patron.status.ljust(14)
    if flags[f.STATUS_CHARGE_DENIED] != "Y":
        return None
    if flags[f.STATUS_CARD_LOST] == "Y":
        return Reason.PATRON_BLOCKED
    if patron.expires_on is not None and patron.expires_on < today:
        return Reason.CARD_EXPIRED
    if flags[f.STATUS_TOO_MANY_OVERDUE] == "Y":
        return Reason.OVERDUE
    if flags[f.STATUS_TOO_MANY_CHARGED] == "Y":
        return Reason.LIMIT_REACHED
    if "Y" in (flags[f.STATUS_EXCESSIVE_FINES], flags[f.STATUS_EXCESSIVE_FEES]):
        return Reason.FEES_OWED
    if patron.overdue_count > 0:  # flag 6 is optional in Koha; the count is not
        return Reason.OVERDUE
    if patron.blocked_until is not None:
        return Reason.SUSPENDED
    if home and patron.home_library is not None and patron.home_library not in home:
        return Reason.NOT_CHECKED_IN  # a member of another library, not admitted here
    return Reason.PATRON_BLOCKED  # denied for a reason the standard does not name


def checkout_refusal(patron: PatronFacts, item: ItemFacts, here: str, member: str,
                     today: date, home: Collection[str]) -> Reason:
    """Why a checkout was refused."""
    if not patron.known:
        return Reason.UNKNOWN_PATRON
    if not item.known:
        return Reason.UNKNOWN_ITEM
    if item.on_loan:
        return Reason.ALREADY_ON_LOAN if item_listed(patron.charged, item) else (
            Reason.ITEM_NOT_AVAILABLE)
    standing = patron_reason(patron, home, today)
    if standing is not None:
        return standing
    if item.location != here:
        return Reason.WRONG_LOCATION
    if item.status == f.CIRCULATION_ON_HOLD_SHELF and item.hold_patron != member:
        return Reason.HELD_FOR_OTHER  # with no hold patron named: theirs would have been lent
    if item.status in _UNAVAILABLE:
        return Reason.ITEM_NOT_AVAILABLE
    return Reason.UNSPECIFIED


def renewal_refusal(patron: PatronFacts, item: ItemFacts, now: datetime, today: date,
                    home: Collection[str]) -> Reason:
    """Why a renewal was refused."""
    if not patron.known:
        return Reason.UNKNOWN_PATRON
    if not item.known:
        return Reason.UNKNOWN_ITEM
    if not item.on_loan:
        return Reason.NOT_ON_LOAN
    if not item_listed(patron.charged, item):
        return Reason.NOT_LOANED_TO_PATRON
    if item.due_at is not None and item.due_at < now:
        return Reason.OVERDUE
    if item.hold_queue > 0:
        return Reason.HELD_FOR_OTHER
    if patron.status.ljust(14)[f.STATUS_RENEWAL_DENIED] == "Y":
        return patron_reason(patron, home, today) or Reason.PATRON_BLOCKED
    if patron.status.ljust(14)[f.STATUS_TOO_MANY_RENEWALS] == "Y":
        return Reason.RENEWAL_LIMIT
    return Reason.UNSPECIFIED


def checkin_refusal(item: ItemFacts, here: str) -> Reason:
    """Why a return was refused."""
    if not item.known:
        return Reason.UNKNOWN_ITEM
    if item.location != here:  # not said to belong here (AQ absent or another's)
        return Reason.WRONG_LOCATION
    if not item.on_loan:
        return Reason.NOT_ON_LOAN
    return Reason.UNSPECIFIED


def hold_refusal(placing: bool, patron: PatronFacts, item: ItemFacts, here: str,
                 today: date, home: Collection[str]) -> Reason:
    """Why placing (or cancelling) a hold was refused."""
    if not patron.known:
        return Reason.UNKNOWN_PATRON
    if not item.known:
        return Reason.UNKNOWN_ITEM
    listed = item_listed(patron.holds, item)
    if not placing:
        return Reason.UNSPECIFIED if listed else Reason.HOLD_NOT_FOUND
    if listed:
        return Reason.HOLD_EXISTS
    if patron.status.ljust(14)[f.STATUS_HOLD_DENIED] == "Y":
        return patron_reason(patron, home, today) or Reason.PATRON_BLOCKED
    if item.location != here:
        return Reason.WRONG_LOCATION
    if item.status == f.CIRCULATION_AVAILABLE:
        return Reason.ITEM_AVAILABLE
    return Reason.UNSPECIFIED


def item_listed(listed: tuple[str, ...], item: ItemFacts) -> bool:
    """Whether a patron's list (AU, AS, CD) names the copy."""
    return item.item_id in listed


def lookup_refusal(valid_patron: str | None, valid_password: str | None,
                   pin_given: bool) -> Reason | None:
    """Why a 23/63 lookup failed (None: it did not), from BL and CQ."""
    if valid_patron != "Y":
        return Reason.UNKNOWN_PATRON
    if valid_password == "N" or (pin_given and valid_password != "Y"):
        return Reason.BAD_PIN if pin_given else Reason.PIN_REQUIRED
    return None
