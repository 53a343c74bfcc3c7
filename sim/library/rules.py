"""The library's lending rules as pure functions: due dates, lateness, who may borrow."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

LOAN_DAYS = 15
RENEWAL_DAYS = 7
MAX_RENEWALS = 1
HOLD_PICKUP_DAYS = 3
MACHINE_LOAN_LIMIT = 2
FEE_LIMIT = 5000  # fees owed above this block borrowing (in CURRENCY)
CURRENCY = "KRW"
_PIN_ITERATIONS = 20_000


class Refused(Exception):
    """The library says no, for a reason code of the kiosk-facing API."""

    def __init__(self, reason: str, detail: str = "", *, duplicate: bool = False) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.duplicate = duplicate  # the verdict of a transaction id seen before


@dataclass(frozen=True)
class Standing:
    """The facts about a patron that decide whether they may borrow at a machine."""

    blocked: bool
    expires_on: date
    member_here: bool  # home library is the machine's, or checked in there once
    overdue_loans: int  # anywhere in the federation
    suspended_until: date | None  # first day borrowing is allowed again
    loans_here: int  # open loans of items homed to this machine
    fees_owed: float = 0.0


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The last second of `day` in the library's timezone: when a loan falls due."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def due_at(lent_at: datetime, tz: tzinfo) -> datetime:
    """Due date of a loan made at `lent_at`: end of the day LOAN_DAYS later."""
    return end_of_day(lent_at.astimezone(tz).date() + timedelta(days=LOAN_DAYS), tz)


def renewed_due_at(current_due: datetime) -> datetime:
    """A renewal adds RENEWAL_DAYS to the current due date."""
    return current_due + timedelta(days=RENEWAL_DAYS)


def is_overdue(due: datetime, at: datetime) -> bool:
    """Whether a loan due at `due` is overdue at `at`."""
    return at > due


def late_days(due: datetime, returned_at: datetime, tz: tzinfo) -> int:
    """Whole days between the due date and the return date, in the library's calendar."""
    return max(0, (returned_at.astimezone(tz).date() - due.astimezone(tz).date()).days)


def suspension_end(returned_at: datetime, days_late: int, tz: tzinfo) -> date | None:
    """First day a patron may borrow again after returning a book `days_late` days late."""
    if days_late <= 0:
        return None
    return returned_at.astimezone(tz).date() + timedelta(days=days_late)


def hold_expiry(ready_at: datetime, tz: tzinfo) -> datetime:
    """A hold ready at `ready_at` waits until the end of the day HOLD_PICKUP_DAYS later."""
    return end_of_day(ready_at.astimezone(tz).date() + timedelta(days=HOLD_PICKUP_DAYS), tz)


def borrow_block(standing: Standing, today: date, *, ignore_limit: bool = False) -> str | None:
    """The reason a patron may not borrow now, or None; the first reason that applies."""
    if standing.blocked:
        return "patron_blocked"
    if standing.expires_on < today:
        return "card_expired"
    if not standing.member_here:
        return "not_checked_in"
    if standing.overdue_loans:
        return "overdue"
    if standing.suspended_until is not None and today < standing.suspended_until:
        return "suspended"
    if standing.fees_owed > FEE_LIMIT:
        return "fees_owed"
    if not ignore_limit and standing.loans_here >= MACHINE_LOAN_LIMIT:
        return "limit_reached"
    return None


def hash_pin(pin: str) -> str:
    """A salted PBKDF2 hash of a PIN, as stored in the database."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), _PIN_ITERATIONS)
    return f"pbkdf2_sha256${_PIN_ITERATIONS}${salt}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether `pin` matches a hash made by hash_pin."""
    _, iterations, salt, expected = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)
