"""Refusal reasons derived from standard SIP2 fields alone (kiosk/connectors/sip2_reasons.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from drivers.sip2 import layouts as f
from kiosk.connectors import Reason
from kiosk.connectors.sip2_reasons import (
    ItemFacts, PatronFacts, checkin_refusal, checkout_refusal, hold_refusal, lookup_refusal,
    patron_reason, renewal_refusal,
)

HOME, OTHER_LIBRARY, HERE = "111001", "111002", "kiosk-1"
OURS = (HOME,)  # the home-library codes of this library's own members
TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)


def flags(*positions: int) -> str:
    """A 14-character patron status with Y at `positions` (and charge denied when any)."""
    status = [" "] * 14
    for p in positions:
        status[p] = "Y"
    return "".join(status)


def patron(*denied: int, **facts) -> PatronFacts:
    status = flags(f.STATUS_CHARGE_DENIED, *denied) if denied or facts.pop("denied", False) \
        else flags()
    return PatronFacts(known=True, status=status, home_library=facts.pop("home", HOME), **facts)


def copy(status: str = f.CIRCULATION_AVAILABLE, **facts) -> ItemFacts:
    return ItemFacts("EM1", known=True, status=status, location=facts.pop("location", HERE),
                     **facts)


GOOD = patron()
UNKNOWN_PATRON = PatronFacts(known=False)
UNKNOWN_ITEM = ItemFacts("EM1", known=False)


@pytest.mark.parametrize(("facts", "reason"), [
    (GOOD, None),
    (patron(f.STATUS_CARD_LOST), Reason.PATRON_BLOCKED),
    (patron(denied=True, expires_on=TODAY - timedelta(days=1)), Reason.CARD_EXPIRED),
    (patron(f.STATUS_TOO_MANY_OVERDUE), Reason.OVERDUE),
    (patron(denied=True, overdue_count=1), Reason.OVERDUE),
    (patron(f.STATUS_TOO_MANY_CHARGED), Reason.LIMIT_REACHED),
    (patron(f.STATUS_EXCESSIVE_FEES), Reason.FEES_OWED),
    (patron(f.STATUS_EXCESSIVE_FINES), Reason.FEES_OWED),
    (patron(denied=True, blocked_until=TODAY + timedelta(days=3)), Reason.SUSPENDED),
    (patron(denied=True, home=OTHER_LIBRARY), Reason.NOT_CHECKED_IN),
    (patron(denied=True), Reason.PATRON_BLOCKED),  # denied, the standard does not say why
    (patron(denied=True, home=None), Reason.PATRON_BLOCKED),
])
def test_each_patron_block_is_told_apart_from_the_standard_flags(facts, reason):
    assert patron_reason(facts, OURS, TODAY) is reason


def test_federation_is_never_guessed_without_the_home_library_codes():
    assert patron_reason(patron(denied=True, home=OTHER_LIBRARY), (), TODAY) is (
        Reason.PATRON_BLOCKED)


def test_fees_outrank_an_overdue_count_without_its_flag():
    facts = patron(f.STATUS_EXCESSIVE_FEES, overdue_count=1)
    assert patron_reason(facts, OURS, TODAY) is Reason.FEES_OWED


@pytest.mark.parametrize(("status", "back"), [
    (f.CIRCULATION_AVAILABLE, True), (f.CIRCULATION_ON_HOLD_SHELF, True),
    (f.CIRCULATION_IN_TRANSIT, True), (f.CIRCULATION_CHARGED, False),
    (f.CIRCULATION_LOST, False), (f.CIRCULATION_CLAIMED_RETURNED, False),
    (f.CIRCULATION_MISSING, False),
])
def test_only_a_copy_back_on_the_shelf_counts_as_returned(status, back):
    assert copy(status).back_in is back


def test_a_lost_card_outranks_every_other_flag():
    facts = patron(f.STATUS_CARD_LOST, f.STATUS_TOO_MANY_OVERDUE, expires_on=TODAY)
    assert patron_reason(facts, OURS, TODAY) is Reason.PATRON_BLOCKED


@pytest.mark.parametrize(("who", "what", "reason"), [
    (UNKNOWN_PATRON, copy(), Reason.UNKNOWN_PATRON),
    (GOOD, UNKNOWN_ITEM, Reason.UNKNOWN_ITEM),
    (GOOD, copy(f.CIRCULATION_CHARGED), Reason.ITEM_NOT_AVAILABLE),  # someone else has it
    (PatronFacts(known=True, charged=("EM1",)), copy(f.CIRCULATION_CHARGED),
     Reason.ALREADY_ON_LOAN),
    (patron(f.STATUS_CARD_LOST), copy(), Reason.PATRON_BLOCKED),
    (GOOD, copy(f.CIRCULATION_ON_HOLD_SHELF, hold_patron="P2"), Reason.HELD_FOR_OTHER),
    (GOOD, copy(f.CIRCULATION_ON_HOLD_SHELF), Reason.HELD_FOR_OTHER),
    (GOOD, copy(location="kiosk-9"), Reason.WRONG_LOCATION),
    (GOOD, copy(f.CIRCULATION_LOST), Reason.ITEM_NOT_AVAILABLE),
    (GOOD, copy(), Reason.UNSPECIFIED),
])
def test_each_checkout_refusal_is_told_apart(who, what, reason):
    assert checkout_refusal(who, what, HERE, "P1", TODAY, OURS) is reason


@pytest.mark.parametrize(("who", "what", "reason"), [
    (UNKNOWN_PATRON, copy(), Reason.UNKNOWN_PATRON),
    (GOOD, UNKNOWN_ITEM, Reason.UNKNOWN_ITEM),
    (GOOD, copy(), Reason.NOT_ON_LOAN),
    (GOOD, copy(f.CIRCULATION_CHARGED), Reason.NOT_LOANED_TO_PATRON),
    (PatronFacts(known=True, charged=("EM1",)),
     copy(f.CIRCULATION_CHARGED, due_at=NOW - timedelta(days=1)), Reason.OVERDUE),
    (PatronFacts(known=True, charged=("EM1",)),
     copy(f.CIRCULATION_CHARGED, due_at=NOW + timedelta(days=1), hold_queue=1),
     Reason.HELD_FOR_OTHER),
    (PatronFacts(known=True, status=flags(f.STATUS_RENEWAL_DENIED, f.STATUS_CARD_LOST),
                 charged=("EM1",)), copy(f.CIRCULATION_CHARGED), Reason.PATRON_BLOCKED),
    (PatronFacts(known=True, status=flags(f.STATUS_TOO_MANY_RENEWALS), charged=("EM1",)),
     copy(f.CIRCULATION_CHARGED), Reason.RENEWAL_LIMIT),
    (PatronFacts(known=True, charged=("EM1",)), copy(f.CIRCULATION_CHARGED),
     Reason.UNSPECIFIED),
])
def test_each_renewal_refusal_is_told_apart(who, what, reason):
    assert renewal_refusal(who, what, NOW, TODAY, OURS) is reason


@pytest.mark.parametrize(("what", "reason"), [
    (UNKNOWN_ITEM, Reason.UNKNOWN_ITEM),
    (copy(location="kiosk-9"), Reason.WRONG_LOCATION),
    (copy(), Reason.NOT_ON_LOAN),
    (copy(f.CIRCULATION_CHARGED), Reason.UNSPECIFIED),
])
def test_each_return_refusal_is_told_apart(what, reason):
    assert checkin_refusal(what, HERE) is reason


@pytest.mark.parametrize(("placing", "who", "what", "reason"), [
    (True, UNKNOWN_PATRON, copy(), Reason.UNKNOWN_PATRON),
    (True, GOOD, UNKNOWN_ITEM, Reason.UNKNOWN_ITEM),
    (True, PatronFacts(known=True, holds=("EM1",)), copy(f.CIRCULATION_CHARGED),
     Reason.HOLD_EXISTS),
    (True, PatronFacts(known=True, status=flags(f.STATUS_HOLD_DENIED, f.STATUS_CARD_LOST)),
     copy(f.CIRCULATION_CHARGED), Reason.PATRON_BLOCKED),
    (True, GOOD, copy(), Reason.ITEM_AVAILABLE),
    (True, GOOD, copy(f.CIRCULATION_CHARGED, location="kiosk-9"), Reason.WRONG_LOCATION),
    (False, GOOD, copy(f.CIRCULATION_CHARGED), Reason.HOLD_NOT_FOUND),
    (False, PatronFacts(known=True, holds=("EM1",)), copy(f.CIRCULATION_CHARGED),
     Reason.UNSPECIFIED),
])
def test_each_hold_refusal_is_told_apart(placing, who, what, reason):
    assert hold_refusal(placing, who, what, HERE, TODAY, OURS) is reason


@pytest.mark.parametrize(("valid", "password", "pin_given", "reason"), [
    ("N", None, False, Reason.UNKNOWN_PATRON),
    (None, None, False, Reason.UNKNOWN_PATRON),
    ("Y", "N", False, Reason.PIN_REQUIRED),
    ("Y", "N", True, Reason.BAD_PIN),
    ("Y", None, True, Reason.BAD_PIN),  # a PIN given and not confirmed is not accepted
    ("Y", None, False, None),  # Koha's 64 names no CQ when no PIN was sent
    ("Y", "Y", True, None),
])
def test_a_lookup_refusal_comes_from_bl_and_cq(valid, password, pin_given, reason):
    assert lookup_refusal(valid, password, pin_given) is reason
