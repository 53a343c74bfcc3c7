"""Property tests of the policy: limits hold, blocked patrons never borrow, hours agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from drivers.config import build_config
from kiosk.policy import (
    HORIZON_DAYS,
    WEEKDAYS,
    BorrowDecision,
    PatronFacts,
    PolicyRefusal,
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
def opening_hours(draw: st.DrawFn) -> str:
    """A realistic day: opens between 00:00 and 12:00, closes 6 to 24 hours later (by 24:00);
    or opens in the afternoon or evening and closes after midnight, by 06:00 (Seoul's stations)."""
    if draw(st.booleans()):
        start = draw(st.integers(24, 47)) * 30
        end = draw(st.integers(0, 12)) * 30
    else:
        start = draw(st.one_of(st.just(0), st.integers(0, 24))) * 30  # midnight often
        end = draw(st.one_of(st.just(48), st.integers(start // 30 + 12, 48))) * 30
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


@st.composite
def configs(draw: st.DrawFn, always_open: bool | None = False) -> PolicyConfig:
    """Valid configs: limits, and weekdays open realistic hours (at least one) or closed."""
    max_loans = draw(st.integers(1, 5))
    values = {"max_loans": max_loans, "offline_max_loans": draw(st.integers(0, max_loans)),
              "offline_recent_hours": draw(st.integers(1, 200)),
              "always_open": draw(st.booleans()) if always_open is None else always_open}
    days = {day: draw(st.one_of(opening_hours(), opening_hours(), st.just("closed"))) for day in WEEKDAYS}
    if all(hours == "closed" for hours in days.values()):
        days[draw(st.sampled_from(WEEKDAYS))] = draw(opening_hours())
    return build_config(PolicyConfig, values | days, "policy")


def window(day: date, config: PolicyConfig) -> tuple[datetime, datetime] | None:
    """The local opening interval of `day` read straight from the config's text, None if closed."""
    text = getattr(config, WEEKDAYS[day.weekday()])
    if config.always_open:
        text = "00:00-24:00"
    if text == "closed":
        return None
    start, end = ((int(part[:2]) * 60 + int(part[3:])) for part in text.split("-"))
    if end <= start:
        end += 24 * 60  # past midnight: the next day's time
    midnight = datetime.combine(day, time(0), tzinfo=config.zone)
    return midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)


@st.composite
def open_moments(draw: st.DrawFn, config: PolicyConfig) -> datetime:
    """A moment (in UTC) when the config says the machine is open."""
    day = draw(st.dates(date(2024, 1, 1), date(2026, 12, 1)))
    while window(day, config) is None:
        day += timedelta(days=1)
    opens, closes = window(day, config)
    offset = draw(st.integers(0, int((closes - opens).total_seconds()) - 1))
    return (opens + timedelta(seconds=offset)).astimezone(timezone.utc)


@st.composite
def patrons_in_good_standing(draw: st.DrawFn, now: datetime, config: PolicyConfig) -> PatronFacts:
    """A patron whom nothing blocks, below the limit, vouched for within the offline window."""
    federated = draw(st.booleans())
    today = now.astimezone(config.zone).date()
    return PatronFacts(
        member=True, federated=federated, checked_in_here=federated or draw(st.booleans()),
        suspended_until=draw(st.none() | st.dates(date(2023, 1, 1), today - timedelta(days=1))),
        loans_here=draw(st.integers(0, config.max_loans - 1)),
        last_good_standing=now - timedelta(minutes=draw(recent_minutes(config))))


def recent_minutes(config: PolicyConfig) -> st.SearchStrategy[int]:
    """Minutes since the library vouched, within the offline window (its edges often)."""
    window_minutes = config.offline_recent_hours * 60
    return st.one_of(st.sampled_from([0, window_minutes]), st.integers(0, window_minutes))


@st.composite
def lending_cases(draw: st.DrawFn) -> tuple[PatronFacts, datetime, PolicyConfig]:
    """A config, an open moment and a patron in good standing: a borrow that must be allowed."""
    config = draw(configs(always_open=None))
    now = draw(open_moments(config))
    return draw(patrons_in_good_standing(now, config)), now, config


@st.composite
def any_lending_cases(draw: st.DrawFn) -> tuple[PatronFacts, datetime, PolicyConfig]:
    """Any patron at any time, or one in good standing, at an open hour or not."""
    config = draw(configs(always_open=None))
    now = draw(st.one_of(times, open_moments(config)))
    patron = draw(st.one_of(patrons, patrons_in_good_standing(now, config)))
    return patron, now, config


@FAST
@given(any_lending_cases(), st.booleans())
def test_an_allowed_borrow_keeps_within_the_limit(case, offline) -> None:
    patron, now, config = case
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
@given(lending_cases())
def test_a_patron_in_good_standing_at_an_open_hour_may_borrow_up_to_the_limit(case) -> None:
    patron, now, config = case
    assert may_borrow(patron, now, config) == BorrowDecision(config.max_loans - patron.loans_here)


@FAST
@given(lending_cases())
def test_offline_a_recently_vouched_patron_may_borrow_up_to_the_offline_limit(case) -> None:
    patron, now, config = case
    remaining = config.offline_max_loans - patron.loans_here
    expected = BorrowDecision(remaining) if remaining > 0 else BorrowDecision(0, PolicyRefusal.LIMIT_REACHED)
    assert may_borrow(patron, now, config, offline=True) == expected


@FAST
@given(lending_cases(), st.integers(1, 10_000))
def test_offline_a_patron_not_vouched_for_recently_is_refused(case, seconds_too_late) -> None:
    patron, now, config = case
    stale = now - timedelta(hours=config.offline_recent_hours, seconds=seconds_too_late)
    decision = may_borrow(replace(patron, last_good_standing=stale), now, config, offline=True)
    assert decision == BorrowDecision(0, PolicyRefusal.NOT_SEEN_RECENTLY)


@FAST
@given(lending_cases(), st.integers(0, 3))
def test_a_patron_at_or_over_the_limit_is_refused_for_the_limit(case, over) -> None:
    patron, now, config = case
    at_limit = replace(patron, loans_here=config.max_loans + over)
    assert may_borrow(at_limit, now, config) == BorrowDecision(0, PolicyRefusal.LIMIT_REACHED)


@FAST
@given(lending_cases(), st.integers(1, 3), st.integers(0, 30), st.booleans())
def test_an_overdue_or_suspended_patron_is_refused_although_otherwise_allowed(case, overdue, days, suspend) -> None:
    patron, now, config = case
    today = now.astimezone(config.zone).date()
    blocked = (replace(patron, suspended_until=today + timedelta(days=days)) if suspend
               else replace(patron, overdue_count=overdue))
    refusal = PolicyRefusal.SUSPENDED if suspend else PolicyRefusal.OVERDUE
    assert may_borrow(patron, now, config).allowed
    for offline in (False, True):
        assert may_borrow(blocked, now, config, offline) == BorrowDecision(0, refusal)


@FAST
@given(patron=patrons, now=times, config=configs())
def test_offline_never_allows_more_than_online(patron, now, config) -> None:
    online = may_borrow(patron, now, config, offline=False)
    offline = may_borrow(patron, now, config, offline=True)
    assert offline.remaining <= online.remaining


@FAST
@given(now=times, config=configs())
def test_next_opening_is_the_first_open_moment(now, config) -> None:
    opening = next_opening(now, config)
    assert opening is not None  # every config opens at least one weekday
    assert opening >= now and is_open(opening, config)
    if opening > now:
        assert not is_open(opening - timedelta(microseconds=1), config)
        assert not is_open(now + (opening - now) / 2, config)


def expected_closing(now: datetime, config: PolicyConfig) -> datetime | None:
    """When the machine open at `now` closes: the end of the run of windows (each day's, read
    from the text; a day's may reach into the next) that contains `now`."""
    first = now.astimezone(config.zone).date() - timedelta(days=1)
    windows = [w for offset in range(HORIZON_DAYS)
               if (w := window(first + timedelta(days=offset), config)) is not None]
    closes = None
    for opens, ends in windows:
        if closes is None:
            if opens <= now < ends:
                closes = ends
        elif opens <= closes:
            closes = max(closes, ends)
        else:
            return closes
    return None  # open round the clock beyond the search horizon


@FAST
@given(st.data(), configs())
def test_an_open_machine_stays_open_until_it_closes(data, config) -> None:
    now = data.draw(open_moments(config))
    closes = closing_time(now, config)
    assert closes == expected_closing(now, config)
    assert is_open(now, config)
    if closes is None:
        return
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
