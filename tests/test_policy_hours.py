"""Opening hours: per weekday and holiday, 24:00, 24/7, time zones."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from drivers.config import build_config
from drivers.errors import DriverConfigError
from kiosk.planner import EXACT_LIMIT
from kiosk.policy import PolicyConfig, closing_time, hours_on, is_open, next_opening

SEOUL = ZoneInfo("Asia/Seoul")


def config(**values) -> PolicyConfig:
    """A policy config built the way the controller builds it."""
    return build_config(PolicyConfig, values, "policy")


def seoul(text: str) -> datetime:
    """A wall-clock time in Seoul."""
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def test_defaults_are_the_reference_machine() -> None:
    c = config()
    assert (c.timezone, c.always_open) == ("Asia/Seoul", False)
    assert all(hours_on(seoul(f"2025-01-0{d}").date(), c) == (330, 1440) for d in range(1, 8))
    limits = (c.max_loans, c.loan_days, c.renewal_days, c.max_renewals, c.hold_days)
    assert limits == (2, 15, 7, 1, 3)
    assert c.offline_max_loans == 1


@pytest.mark.parametrize(
    ("wall", "open_"),
    [("2025-01-01T05:29:59", False), ("2025-01-01T05:30:00", True),
     ("2025-01-01T12:00", True), ("2025-01-01T23:59:59.999", True),
     ("2025-01-02T00:00:00", False), ("2025-01-02T03:00", False)],
)
def test_default_hours_edges(wall: str, open_: bool) -> None:
    assert is_open(seoul(wall), config()) is open_


def test_next_opening_and_closing_by_default() -> None:
    c = config()
    assert next_opening(seoul("2025-01-02T00:00"), c) == seoul("2025-01-02T05:30")
    assert next_opening(seoul("2025-01-01T23:00"), c) == seoul("2025-01-01T23:00")
    assert closing_time(seoul("2025-01-01T23:00"), c) == seoul("2025-01-02T00:00")
    assert closing_time(seoul("2025-01-02T03:00"), c) is None


def test_utc_times_are_judged_by_the_machines_clock() -> None:
    c = config()
    assert is_open(datetime(2025, 5, 1, 20, 45, tzinfo=timezone.utc), c)  # 05:45 in Seoul
    assert not is_open(datetime(2025, 5, 1, 20, 29, tzinfo=timezone.utc), c)  # 05:29
    assert not is_open(datetime(2025, 5, 1, 15, 0, tzinfo=timezone.utc), c)  # 00:00 next day


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(datetime(2025, 1, 1, 12), config())


def test_a_closed_holiday_is_skipped() -> None:
    c = config(holidays={"2025-01-02": "closed"})
    assert not is_open(seoul("2025-01-02T12:00"), c)
    assert next_opening(seoul("2025-01-02T00:00"), c) == seoul("2025-01-03T05:30")
    assert is_open(seoul("2025-01-03T12:00"), c)


def test_a_holiday_has_its_own_hours() -> None:
    c = config(holidays={"2025-10-06": "09:00-18:00"})
    assert not is_open(seoul("2025-10-06T08:59"), c)
    assert is_open(seoul("2025-10-06T09:00"), c)
    assert closing_time(seoul("2025-10-06T17:00"), c) == seoul("2025-10-06T18:00")
    assert is_open(seoul("2025-10-07T05:30"), c)


def test_a_closed_weekday() -> None:
    c = config(sunday="closed")  # 2025-01-05 is a Sunday
    assert not is_open(seoul("2025-01-05T12:00"), c)
    assert next_opening(seoul("2025-01-04T23:59"), c) == seoul("2025-01-04T23:59")
    assert next_opening(seoul("2025-01-05T00:00"), c) == seoul("2025-01-06T05:30")


def test_always_open() -> None:
    c = config(always_open=True, monday="closed")
    assert is_open(seoul("2025-01-06T03:00"), c)
    assert closing_time(seoul("2025-01-06T03:00"), c) is None


def test_whole_days_join_across_midnight() -> None:
    c = config(monday="00:00-24:00", tuesday="00:00-24:00")  # 2025-01-06 is a Monday
    assert is_open(seoul("2025-01-07T00:00"), c)
    assert closing_time(seoul("2025-01-06T12:00"), c) == seoul("2025-01-08T00:00")
    every_day = {day: "00:00-24:00" for day in
                 ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    assert closing_time(seoul("2025-01-06T12:00"), config(**every_day)) is None


def test_a_machine_that_never_opens() -> None:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    c = config(**{day: "closed" for day in days})
    assert not is_open(seoul("2025-01-06T12:00"), c)
    assert next_opening(seoul("2025-01-06T12:00"), c) is None


def test_hours_are_wall_clock_in_a_zone_with_daylight_saving() -> None:
    c = config(timezone="Europe/Berlin")
    # 2025-03-30: clocks go from 02:00 CET to 03:00 CEST; 05:30 CEST is 03:30 UTC.
    assert not is_open(datetime(2025, 3, 30, 3, 29, tzinfo=timezone.utc), c)
    assert is_open(datetime(2025, 3, 30, 3, 30, tzinfo=timezone.utc), c)
    # The day before, 05:30 CET is 04:30 UTC.
    assert not is_open(datetime(2025, 3, 29, 4, 29, tzinfo=timezone.utc), c)
    assert next_opening(datetime(2025, 3, 29, 23, 0, tzinfo=timezone.utc), c) == datetime(
        2025, 3, 30, 3, 30, tzinfo=timezone.utc)


def test_seoul_keeps_nine_hours_all_year() -> None:
    c = config()
    for month in (1, 4, 7, 10):
        opening = next_opening(datetime(2025, month, 1, 15, 0, tzinfo=timezone.utc), c)
        assert opening.astimezone(timezone.utc).hour == 20
        assert opening.utcoffset() == timedelta(hours=9)


def test_a_toml_section_builds_the_config() -> None:
    text = """
    timezone = "Asia/Seoul"
    saturday = "09:00-18:00"
    max_loans = 3
    offline_max_loans = 2
    [holidays]
    "2025-01-01" = "closed"
    """
    c = config(**tomllib.loads(text))
    assert (c.saturday, c.max_loans, c.holidays) == ("09:00-18:00", 3, {"2025-01-01": "closed"})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"max_loans": "2"}, "must be int"),
        ({"always_open": 1}, "must be bool"),
        ({"monday": "5:30 to 24:00"}, "monday"),
        ({"monday": "25:00-26:00"}, "monday"),
        ({"monday": "05:60-24:00"}, "monday"),
        ({"monday": "09:00-09:00"}, "must open before it closes"),
        ({"monday": "24:00-02:00"}, "must open before it closes"),
        ({"monday": "22:00-24:30"}, "must open before it closes"),
        ({"monday": "00:00-24:30"}, "must open before it closes"),
        ({"holidays": {"01/01/2025": "closed"}}, "ISO date"),
        ({"holidays": {"2025-01-01": "all day"}}, "holidays.2025-01-01"),
        ({"holidays": {"2025-01-01": ["09:00", "18:00"]}}, "must be a string"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"offline_max_loans": 3}, "offline_max_loans"),
        ({"loan_days": 0}, "loan_days"),
        ({"hold_days": -1}, "hold_days"),
    ],
)
def test_bad_config_is_refused_with_the_key(values: dict, message: str) -> None:
    with pytest.raises(DriverConfigError, match=message) as caught:
        config(**values)
    assert "[policy]" in str(caught.value)


# Seoul's stations close after midnight: a day's hours may run on into the next day.
def test_hours_past_midnight_belong_to_the_day_they_start() -> None:
    c = config(monday="22:00-02:00", tuesday="closed")  # 2025-01-06 is a Monday
    assert hours_on(seoul("2025-01-06T00:00").date(), c) == (22 * 60, 26 * 60)
    assert hours_on(seoul("2025-01-07T00:00").date(), c) is None
    assert not is_open(seoul("2025-01-06T21:59:59"), c)
    assert is_open(seoul("2025-01-06T22:00"), c)
    assert is_open(seoul("2025-01-07T01:59:59"), c)  # a closed Tuesday: still Monday's hours
    assert not is_open(seoul("2025-01-07T02:00"), c)
    assert closing_time(seoul("2025-01-06T23:00"), c) == seoul("2025-01-07T02:00")
    assert closing_time(seoul("2025-01-07T01:00"), c) == seoul("2025-01-07T02:00")
    assert next_opening(seoul("2025-01-07T02:00"), c) == seoul("2025-01-08T05:30")  # Wednesday


def test_hours_past_midnight_run_into_the_next_days_hours() -> None:
    c = config(monday="05:30-01:00", tuesday="00:30-24:00", wednesday="closed")
    assert closing_time(seoul("2025-01-06T12:00"), c) == seoul("2025-01-08T00:00")
    assert is_open(seoul("2025-01-07T00:45"), c)
    c = config(monday="20:00-04:00", tuesday="01:00-02:00")  # Tuesday's inside Monday's
    assert closing_time(seoul("2025-01-07T01:30"), c) == seoul("2025-01-07T04:00")
    assert closing_time(seoul("2025-01-06T21:00"), c) == seoul("2025-01-07T04:00")


def test_closing_at_midnight_is_the_same_as_24_00() -> None:
    assert hours_on(seoul("2025-01-06T00:00").date(), config(monday="22:00-00:00")) == (
        22 * 60, 24 * 60)


def test_a_holiday_may_run_past_midnight_too() -> None:
    c = config(holidays={"2025-01-01": "18:00-03:00"}, thursday="09:00-18:00")
    assert is_open(seoul("2025-01-02T02:30"), c)  # Wednesday the 1st's hours
    assert not is_open(seoul("2025-01-02T03:00"), c)
    assert next_opening(seoul("2025-01-02T03:00"), c) == seoul("2025-01-02T09:00")


def test_the_screen_shows_a_closing_past_midnight_as_the_next_days_time() -> None:
    from kiosk.screen_api import opening_hours
    c = config(monday="22:00-02:00", tuesday="05:30-24:00")
    week = opening_hours(seoul("2025-01-06T12:00"), c)["week"]
    assert week[0] == {"date": "2025-01-06", "open": "22:00", "close": "02:00",
                       "past_midnight": True}
    assert week[1] == {"date": "2025-01-07", "open": "05:30", "close": "24:00",
                       "past_midnight": False}


def test_a_cart_limit_above_the_exact_planners_is_refused() -> None:
    assert config(max_loans=EXACT_LIMIT).max_loans == EXACT_LIMIT
    with pytest.raises(DriverConfigError, match=rf"out of range 1\.\.{EXACT_LIMIT}: a cart") as e:
        config(max_loans=EXACT_LIMIT + 1)
    assert "[policy]" in str(e.value) and f"orders at most {EXACT_LIMIT} exactly" in str(e.value)
