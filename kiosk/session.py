"""A patron's session: who they are, what they may borrow, their cart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from kiosk import policy
from kiosk.connectors import PatronStatus, Reason
from kiosk.patron_cache import PatronCache

__all__ = ["PatronCache", "Session", "library_refusal", "mask_name", "patron_facts"]


@dataclass
class Prefetch:
    """The first chosen book, fetched while the patron browses; it waits behind the door."""

    item_id: str
    keep: bool = True  # still in the cart
    ready: bool = False  # in the pickup port


@dataclass
class Session:
    """One patron at the touchscreen, from card (or QR) to the end of the session."""

    member: str
    name: str
    remaining: int
    offline: bool
    credential: str  # card UID or member number, kept for a PIN retry
    by_card: bool
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    cart: list[str] = field(default_factory=list)
    to_vend: list[str] = field(default_factory=list)
    vended: list[str] = field(default_factory=list)
    due: dict[str, str] = field(default_factory=dict)
    confirmed: bool = False  # the cart was confirmed: its books are on their way
    ending: bool = False  # the session ends once a prefetched book is back in its slot
    prefetch: Prefetch | None = None
    renewal_ids: dict[str, str] = field(default_factory=dict)  # item -> its renewal's id
    voice: bool = False  # voice mode: the idle backstop waits longer

    @property
    def masked_name(self) -> str:
        """The name as the screen may show it: first letter and last letter only."""
        return mask_name(self.name)

    def public(self) -> dict:
        """What the screen may show."""
        chosen = self.prefetch
        return {"name": self.masked_name, "remaining": self.remaining, "offline": self.offline,
                "cart": list(self.cart), "vended": list(self.vended), "due": dict(self.due),
                "to_vend": list(self.to_vend), "confirmed": self.confirmed, "voice": self.voice,
                "prefetch": None if chosen is None or not chosen.keep else {
                    "item_id": chosen.item_id, "ready": chosen.ready}}


def mask_name(name: str) -> str:
    """'Kim Minji' -> 'K*******i'; short names keep only their first letter."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def patron_facts(status: PatronStatus, loans_here: int, now: datetime) -> policy.PatronFacts:
    """What the policy needs, from what the library said."""
    reason = status.reason
    return policy.PatronFacts(
        member=True,
        expired=reason is Reason.CARD_EXPIRED,
        federated=reason is Reason.NOT_CHECKED_IN,
        checked_in_here=reason is not Reason.NOT_CHECKED_IN,
        overdue_count=max(sum(1 for loan in status.loans if loan.overdue),
                          1 if reason is Reason.OVERDUE else 0),
        suspended_until=status.blocked_until if reason is Reason.SUSPENDED else None,
        loans_here=loans_here,
        last_good_standing=now if status.may_borrow else None,
    )


def library_refusal(status: PatronStatus) -> str | None:
    """The library's own 'no' that the policy has no rule for (blocked card, unknown machine)."""
    if status.may_borrow or status.reason in (Reason.CARD_EXPIRED, Reason.NOT_CHECKED_IN,
                                              Reason.OVERDUE, Reason.SUSPENDED,
                                              Reason.LIMIT_REACHED):
        return None  # the policy judges these; at the limit the patron still sees loans
    return (status.reason or Reason.UNSPECIFIED).value
