"""Lending rules: who may borrow, due dates, renewals, returns, holds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from drivers.config import build_config
from kiosk.policy import (
    HoldFacts,
    LoanFacts,
    PatronFacts,
    PolicyConfig,
    PolicyRefusal,
    ReturnFacts,
    days_late,
    due_date,
    hold_expired,
    hold_expires_at,
    may_borrow,
    may_hold,
    may_renew,
    may_return,
    visible_items,
)

SEOUL = ZoneInfo("Asia/Seoul")
NOON = datetime(2025, 1, 6, 12, 0, tzinfo=SEOUL)
TODAY = NOON.date()
MEMBER = PatronFacts(member=True)
CONFIG = build_config(PolicyConfig, {}, "policy")


def test_a_member_in_good_standing_may_borrow_up_to_the_limit() -> None:
    assert may_borrow(MEMBER, NOON, CONFIG).remaining == CONFIG.max_loans
    one_out = may_borrow(PatronFacts(member=True, loans_here=1), NOON, CONFIG)
    assert (one_out.allowed, one_out.remaining) == (True, CONFIG.max_loans - 1)
    full = may_borrow(PatronFacts(member=True, loans_here=CONFIG.max_loans), NOON, CONFIG)
    assert (full.allowed, full.remaining, full.refusal) == (False, 0, PolicyRefusal.LIMIT_REACHED)


@pytest.mark.parametrize(
    ("facts", "refusal"),
    [
        (PatronFacts(member=False), PolicyRefusal.NOT_A_MEMBER),
        (PatronFacts(member=True, expired=True), PolicyRefusal.MEMBERSHIP_EXPIRED),
        (PatronFacts(member=True, federated=True), PolicyRefusal.CHECKIN_REQUIRED),
        (PatronFacts(member=True, overdue_count=1), PolicyRefusal.OVERDUE),
        (PatronFacts(member=True, suspended_until=TODAY), PolicyRefusal.SUSPENDED),
        (PatronFacts(member=True, suspended_until=TODAY + timedelta(days=9)),
         PolicyRefusal.SUSPENDED),
    ],
)
def test_refusals_of_standing(facts: PatronFacts, refusal: PolicyRefusal) -> None:
    decision = may_borrow(facts, NOON, CONFIG)
    assert (decision.allowed, decision.remaining, decision.refusal) == (False, 0, refusal)


def test_a_federated_member_who_checked_in_may_borrow() -> None:
    facts = PatronFacts(member=True, federated=True, checked_in_here=True)
    assert may_borrow(facts, NOON, CONFIG).allowed


def test_a_suspension_ends_after_its_last_day() -> None:
    facts = PatronFacts(member=True, suspended_until=TODAY - timedelta(days=1))
    assert may_borrow(facts, NOON, CONFIG).allowed


def test_nobody_borrows_while_closed() -> None:
    night = datetime(2025, 1, 6, 3, 0, tzinfo=SEOUL)
    assert may_borrow(MEMBER, night, CONFIG).refusal is PolicyRefusal.CLOSED


def test_offline_lends_only_to_patrons_vouched_for_recently() -> None:
    window = timedelta(hours=CONFIG.offline_recent_hours)
    recent = PatronFacts(member=True, last_good_standing=NOON - window)
    stale = PatronFacts(member=True, last_good_standing=NOON - window - timedelta(seconds=1))
    assert may_borrow(recent, NOON, CONFIG, offline=True).remaining == CONFIG.offline_max_loans
    assert may_borrow(stale, NOON, CONFIG, offline=True).refusal is PolicyRefusal.NOT_SEEN_RECENTLY
    assert may_borrow(MEMBER, NOON, CONFIG, offline=True).refusal is PolicyRefusal.NOT_SEEN_RECENTLY


def test_offline_has_its_own_smaller_limit() -> None:
    facts = PatronFacts(member=True, loans_here=1, last_good_standing=NOON)
    assert may_borrow(facts, NOON, CONFIG).remaining == 1
    assert may_borrow(facts, NOON, CONFIG, offline=True).refusal is PolicyRefusal.LIMIT_REACHED


def test_a_bad_standing_offline_still_refuses() -> None:
    facts = PatronFacts(member=True, overdue_count=2, last_good_standing=NOON)
    assert may_borrow(facts, NOON, CONFIG, offline=True).refusal is PolicyRefusal.OVERDUE


def test_the_due_date_counts_from_the_local_date() -> None:
    late_evening = datetime(2025, 1, 6, 23, 30, tzinfo=SEOUL)
    assert due_date(late_evening, CONFIG) == date(2025, 1, 6) + timedelta(days=CONFIG.loan_days)
    after_midnight_utc_evening = datetime(2025, 1, 6, 15, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 KST
    assert due_date(after_midnight_utc_evening, CONFIG) == date(2025, 1, 7) + timedelta(days=15)


def test_days_late_counts_whole_local_days() -> None:
    due = date(2025, 1, 10)
    assert days_late(due, datetime(2025, 1, 10, 23, 59, tzinfo=SEOUL), CONFIG) == 0
    assert days_late(due, datetime(2025, 1, 11, 0, 0, tzinfo=SEOUL), CONFIG) == 1
    assert days_late(due, datetime(2025, 1, 1, 0, 0, tzinfo=SEOUL), CONFIG) == 0


LOAN = LoanFacts(due=TODAY + timedelta(days=3), renewals=0)


def test_one_renewal_of_seven_days() -> None:
    decision = may_renew(LOAN, MEMBER, NOON, CONFIG)
    assert (decision.new_due, decision.refusal) == (LOAN.due + timedelta(days=7), None)
    again = may_renew(LoanFacts(decision.new_due, renewals=1), MEMBER, NOON, CONFIG)
    assert (again.new_due, again.refusal) == (None, PolicyRefusal.RENEWAL_LIMIT)


@pytest.mark.parametrize(
    ("loan", "patron", "offline", "refusal"),
    [
        (LoanFacts(TODAY - timedelta(days=1), 0), MEMBER, False, PolicyRefusal.OVERDUE),
        (LOAN, PatronFacts(member=True, overdue_count=1), False, PolicyRefusal.OVERDUE),
        (LoanFacts(LOAN.due, 0, held_for_other=True), MEMBER, False, PolicyRefusal.HELD_FOR_OTHER),
        (LOAN, PatronFacts(member=True, suspended_until=TODAY), False, PolicyRefusal.SUSPENDED),
        (LOAN, PatronFacts(member=True, expired=True), False, PolicyRefusal.MEMBERSHIP_EXPIRED),
        (LOAN, MEMBER, True, PolicyRefusal.LIBRARY_UNREACHABLE),
    ],
)
def test_renewal_refusals(loan, patron, offline, refusal) -> None:
    assert may_renew(loan, patron, NOON, CONFIG, offline=offline).refusal is refusal


def test_a_loan_due_today_may_still_be_renewed() -> None:
    assert may_renew(LoanFacts(TODAY, 0), MEMBER, NOON, CONFIG).new_due == TODAY + timedelta(days=7)


def test_returns_only_for_books_lent_by_this_machine() -> None:
    foreign = may_return(ReturnFacts(lent_here=False, on_loan=False), NOON, CONFIG)
    assert (foreign.accepted, foreign.refusal) == (False, PolicyRefusal.NOT_FROM_THIS_MACHINE)
    shelved = may_return(ReturnFacts(lent_here=True, on_loan=False), NOON, CONFIG)
    assert shelved.refusal is PolicyRefusal.NOT_ON_LOAN


def test_late_returns_are_accepted_and_say_how_late() -> None:
    on_time = may_return(ReturnFacts(True, True, due=TODAY), NOON, CONFIG)
    assert (on_time.accepted, on_time.late, on_time.days_late) == (True, False, 0)
    late = may_return(ReturnFacts(True, True, due=TODAY - timedelta(days=4)), NOON, CONFIG)
    assert (late.accepted, late.late, late.days_late) == (True, True, 4)


READY = HoldFacts("B1", "P1", ready_at=NOON)


def test_a_hold_hides_its_item_from_everyone_but_its_patron() -> None:
    shelf = ["B0", "B1", "B2"]
    assert visible_items(shelf, [READY], "P1", NOON, CONFIG) == shelf
    assert visible_items(shelf, [READY], "P2", NOON, CONFIG) == ["B0", "B2"]
    assert visible_items(shelf, [READY], None, NOON, CONFIG) == ["B0", "B2"]


def test_a_hold_is_kept_to_the_end_of_its_last_day_in_the_library_zone() -> None:
    expires = hold_expires_at(READY, CONFIG)  # ready at noon on the 6th: kept through the 9th
    last_day = NOON.date() + timedelta(days=CONFIG.hold_days)
    assert expires == datetime.combine(last_day, time(23, 59, 59), tzinfo=NOON.tzinfo)
    assert not hold_expired(READY, expires + timedelta(seconds=0.999), CONFIG)  # 23:59:59.999
    assert hold_expired(READY, expires + timedelta(seconds=1), CONFIG)  # midnight
    assert visible_items(["B1"], [READY], "P2", expires, CONFIG) == []
    assert visible_items(["B1"], [READY], "P2", expires + timedelta(seconds=1),
                         CONFIG) == ["B1"]


def test_the_library_s_own_deadline_wins() -> None:
    deadline = NOON + timedelta(hours=5)
    told = HoldFacts("B1", "P1", ready_at=NOON, expires_at=deadline)
    assert hold_expires_at(told, CONFIG) == deadline
    assert not hold_expired(told, deadline, CONFIG)
    assert hold_expired(told, deadline + timedelta(seconds=1), CONFIG)


def test_a_hold_not_yet_ready_never_lapses_and_still_hides() -> None:
    waiting = HoldFacts("B1", "P1", ready_at=None)
    assert hold_expires_at(waiting, CONFIG) is None
    assert not hold_expired(waiting, NOON + timedelta(days=365), CONFIG)
    assert visible_items(["B1"], [waiting], "P2", NOON, CONFIG) == []


def _hold(patron=MEMBER, on_loan=True, held=False, mine=False, offline=False):
    return may_hold(patron, item_on_loan=on_loan, item_held=held, lent_to_patron=mine,
                    now=NOON, config=CONFIG, offline=offline)


def test_holds_on_books_that_are_out() -> None:
    assert _hold() is None
    assert _hold(on_loan=False) is PolicyRefusal.ITEM_AVAILABLE
    assert _hold(held=True) is PolicyRefusal.ALREADY_HELD
    assert _hold(mine=True) is PolicyRefusal.ON_LOAN_TO_PATRON
    assert _hold(patron=PatronFacts(member=True, overdue_count=1)) is PolicyRefusal.OVERDUE
    assert _hold(offline=True) is PolicyRefusal.LIBRARY_UNREACHABLE


def test_refusals_are_codes_not_text() -> None:
    assert all(r.value.isidentifier() and r.value == r.value.lower() for r in PolicyRefusal)
