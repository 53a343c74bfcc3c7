"""Reasons from SIP2 answers: the XR extension when present, else the standard flags."""

from __future__ import annotations

from drivers.sip2 import layouts as f
from kiosk.connectors.base import Reason


def reason_of(code: str | None) -> Reason | None:
    """The reason of an XR field; an unknown code is UNSPECIFIED, no field is None."""
    if not code:
        return None
    try:
        return Reason(code)
    except ValueError:
        return Reason.UNSPECIFIED


def derived_reason(patron_status: str) -> Reason | None:
    """Why a patron may not borrow, from the 14 standard patron-status flags."""
    def denied(position: int) -> bool:
        return patron_status[position] == "Y"
    if not denied(f.STATUS_CHARGE_DENIED):
        return None
    if denied(f.STATUS_CARD_LOST):
        return Reason.PATRON_BLOCKED
    if denied(f.STATUS_TOO_MANY_OVERDUE):
        return Reason.OVERDUE
    if denied(f.STATUS_TOO_MANY_CHARGED):
        return Reason.LIMIT_REACHED
    return Reason.UNSPECIFIED
