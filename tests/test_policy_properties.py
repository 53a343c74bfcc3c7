"""Property tests of the policy: limits hold, blocked patrons never borrow, hours agree."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from drivers.config import build_config
from kiosk.policy import (
    WEEKDAYS,
    PatronFacts,
    PolicyConfig,
    closing_time,
    is_open,
    may_borrow,
    next_opening,
)

FAST = settings(max_examples=150, deadline=None)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)

times = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1),
                     timezones=st.just(timezone.utc))
patrons = st.builds(
    PatronFacts,
    member=st.booleans(),
    expired=st.booleans(),
    federated=st.booleans(),
    checked_in_here=st.booleans(),
    overdue_count=st.integers(0, 3),
    suspended_until=st.none() | st.dates(date(2023, 12, 1), date(2027, 2, 1)),
    loans_here=st.integers(0, 5),
    last_good_standing=st.none() | times,
)


@st.composite
def configs(draw: st.DrawFn) -> PolicyConfig:
    """Valid configs: limits, and each weekday open some hours or closed."""
    max_loans = draw(st.integers(1, 5))
    values = {"max_loans": max_loans, "offline_max_loans": draw(st.integers(0, max_loans)),
              "offline_recent_hours": draw(st.integers(0, 200))}
    for day in WEEKDAYS:
        start = draw(st.integers(0, 23 * 60))
        end = draw(st.integers(start + 1, 24 * 60))
        values[day] = draw(st.sampled_from(["closed", f"{start // 60:02d}:{start % 60:02d}-"
                                            f"{end // 60:02d}:{end % 60:02d}"]))
    return build_config(PolicyConfig, values, "policy")


@FAST
@given(patron=patrons, now=times, config=configs(), offline=st.booleans())
def test_an_allowed_borrow_keeps_within_the_limit(patron, now, config, offline) -> None:
    decision = may_borrow(patron, now, config, offline)
    limit = config.offline_max_loans if offline else config.max_loans
    if decision.allowed:
        assert decision.remaining >= 1
        assert patron.loans_here + decision.remaining <= limit
        assert patron.member and not patron.expired and patron.overdue_count == 0
        assert is_open(now, config)
    else:
        assert decision.remaining == 0 and decision.refusal is not None


@FAST
@given(patron=patrons, now=times, config=configs())
def test_offline_never_allows_more_than_online(patron, now, config) -> None:
    online = may_borrow(patron, now, config, offline=False)
    offline = may_borrow(patron, now, config, offline=True)
    assert offline.remaining <= online.remaining


@FAST
@given(patron=patrons, now=times, config=configs(), offline=st.booleans())
def test_an_overdue_or_suspended_patron_is_never_allowed(patron, now, config, offline) -> None:
    local_today = now.astimezone(config.zone).date()
    blocked = patron.overdue_count > 0 or (
        patron.suspended_until is not None and patron.suspended_until >= local_today)
    if blocked:
        assert not may_borrow(patron, now, config, offline).allowed


@FAST
@given(now=times, config=configs())
def test_next_opening_is_the_first_open_moment(now, config) -> None:
    opening = next_opening(now, config)
    if opening is None:
        assert not is_open(now, config)
        return
    assert opening >= now and is_open(opening, config)
    if opening > now:
        assert not is_open(opening - timedelta(microseconds=1), config)
        assert not is_open(now + (opening - now) / 2, config)


@FAST
@given(now=times, config=configs())
def test_an_open_machine_stays_open_until_it_closes(now, config) -> None:
    closes = closing_time(now, config)
    if closes is None:
        return
    assert is_open(now, config)
    assert is_open(closes - timedelta(microseconds=1), config)
    assert is_open(now + (closes - now) / 2, config)
    assert not is_open(closes, config)


class LendingSession(RuleBasedStateMachine):
    """One patron borrowing and returning over days, the library sometimes unreachable."""

    def __init__(self) -> None:
        super().__init__()
        self.config = build_config(PolicyConfig, {"always_open": True}, "policy")
        self.now = START
        self.loans = 0
        self.offline = False
        self.vouched_at: datetime | None = None
        self.offline_lends_over_limit = 0

    def facts(self) -> PatronFacts:
        return PatronFacts(member=True, loans_here=self.loans, last_good_standing=self.vouched_at)

    @rule(hours=st.integers(0, 100))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule()
    def library_goes_down(self) -> None:
        self.offline = True

    @rule()
    def library_comes_back(self) -> None:
        self.offline = False
        self.vouched_at = self.now

    @rule()
    def borrow(self) -> None:
        decision = may_borrow(self.facts(), self.now, self.config, self.offline)
        if decision.allowed:
            if self.offline and self.loans >= self.config.offline_max_loans:
                self.offline_lends_over_limit += 1
            self.loans += 1

    @precondition(lambda self: self.loans > 0)
    @rule()
    def give_back(self) -> None:
        self.loans -= 1

    @invariant()
    def never_more_than_the_limit(self) -> None:
        assert self.loans <= self.config.max_loans
        assert self.offline_lends_over_limit == 0


LendingSession.TestCase.settings = settings(max_examples=60, stateful_step_count=30,
                                            deadline=None)
test_lending_session = LendingSession.TestCase
