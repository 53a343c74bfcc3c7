"""Holds at the machine, holds reported with returns, and offline loans marked at the library."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from library_fixtures import (  # noqa: F401 - fixtures
    MACHINE, PROFILES, Admin, RunningLibrary, admin, background_loop, connector, item, library,
    make_connector, profile, told, tx,
)

from kiosk.connectors import (
    EventKind, HttpConnector, JournalEvent, LibraryConnector, LibraryHold, LibraryProtocolError,
    Outcome,
)
from kiosk.connectors import wire
from sim.library.db import open_db

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def http(library: RunningLibrary, tmp_path: Path) -> Iterator[HttpConnector]:
    conn = make_connector("http", library.endpoint, tmp_path)
    assert isinstance(conn, HttpConnector)
    yield conn
    conn.close()


def pickup_expiry(day: date) -> datetime:
    """The end of the 3rd day after `day` in the library's timezone: when a ready hold lapses."""
    return datetime.combine(day + timedelta(days=3), time(23, 59, 59), tzinfo=SEOUL)


def library_day(conn: LibraryConnector) -> date:
    """The library's calendar date now."""
    return conn.info().now.astimezone(SEOUL).date()


def event(kind: EventKind, item_id: str, patron: str | None, at: datetime,
          offline: bool = False) -> JournalEvent:
    """A journal event of this machine."""
    return JournalEvent(tx(), kind, at, item_id, patron, MACHINE, offline=offline)


def desk_hold(admin: Admin, item_id: str, patron: str) -> None:
    """A hold placed at the library's desk, not at the kiosk."""
    admin.call("POST", f"/admin/items/{item_id}/hold", {"patron": patron}, expect=201)


def test_holds_here_lists_the_first_in_line_waiting_then_ready(http, admin):
    borrower, holder, next_one = admin.patron(), admin.patron(), admin.patron()
    http.checkout(borrower, item(1), tx())
    http.checkout(borrower, item(2), tx())  # out, held by nobody: not listed
    desk_hold(admin, item(1), holder)
    assert http.place_hold(next_one, item(1), tx()).state == "waiting"
    assert http.holds_here() == (LibraryHold(item(1), holder, False, None),)

    assert http.checkin(item(1), tx()).hold_waiting
    ready = LibraryHold(item(1), holder, True, pickup_expiry(library_day(http)))
    assert http.holds_here() == (ready,)

    http.checkout(holder, item(1), tx())
    assert http.holds_here() == (LibraryHold(item(1), next_one, False, None),)


def test_holds_here_lists_every_held_copy_once(http, admin):
    borrower, first, second = admin.patron(), admin.patron(), admin.patron()
    for n in (3, 1):
        http.checkout(borrower, item(n), tx())
        desk_hold(admin, item(n), first)
        desk_hold(admin, item(n), second)
    assert http.holds_here() == (LibraryHold(item(1), first, False, None),
                                 LibraryHold(item(3), first, False, None))


def test_an_expired_ready_hold_passes_to_the_next_in_line(http, admin):
    borrower, holder, next_one = admin.patron(), admin.patron(), admin.patron()
    http.checkout(borrower, item(1), tx())
    desk_hold(admin, item(1), holder)
    desk_hold(admin, item(1), next_one)
    http.checkin(item(1), tx())
    admin.advance(4)
    [hold] = http.holds_here()
    assert (hold.patron, hold.ready) == (next_one, True)


def test_a_nonsense_list_of_holds_is_a_protocol_error(http, admin):
    admin.fault("http", "nonsense", count=1)
    with pytest.raises(LibraryProtocolError):
        http.holds_here()


@pytest.mark.parametrize("kind", ["sip2", *(f"sip2-{p}" for p in PROFILES)])
def test_sip2_has_no_list_of_holds(library, admin, tmp_path, kind):
    conn = make_connector(kind, library.endpoint, tmp_path)
    try:
        borrower, holder = admin.patron(), admin.patron()
        conn.checkout(borrower, item(1), tx())
        desk_hold(admin, item(1), holder)
        assert conn.holds_here() is None
    finally:
        conn.close()


def returned_hold(profile: str, holder: str, day: date) -> LibraryHold | None:
    """What a return of item 1 should report of the hold it made ready, by library system."""
    if not told(profile, "return_hold"):
        return None
    expiry = pickup_expiry(day) if told(profile, "return_hold_expiry") else None
    return LibraryHold(item(1), holder, True, expiry)


def test_checkin_event_reports_the_hold_it_made_ready(connector, admin, profile):
    borrower, holder = admin.patron(), admin.patron()
    connector.checkout(borrower, item(1), tx())
    connector.place_hold(holder, item(1), tx())
    now = connector.info().now
    lent, returned, back = connector.deliver_events([
        event(EventKind.CHECKOUT, item(2), borrower, now - timedelta(minutes=2)),
        event(EventKind.CHECKIN, item(1), None, now - timedelta(minutes=1)),
        event(EventKind.CHECKIN, item(2), None, now)])
    assert [r.outcome for r in (lent, returned, back)] == [Outcome.APPLIED] * 3
    assert (lent.hold, back.hold) == (None, None)
    day = (now - timedelta(minutes=1)).astimezone(SEOUL).date()
    assert returned.hold == returned_hold(profile, holder, day)


def test_direct_checkin_names_the_hold_patron(connector, admin, profile):
    borrower, holder = admin.patron(), admin.patron()
    connector.checkout(borrower, item(1), tx())
    connector.place_hold(holder, item(1), tx())
    result = connector.checkin(item(1), tx())
    expected = returned_hold(profile, holder, library_day(connector))
    assert result.hold_waiting
    assert (result.hold_patron, result.hold_expires_at) == (
        (expected.patron, expected.expires_at) if expected else (None, None))


def loan_marks(admin: Admin, member: str) -> dict[str, tuple[bool, bool]]:
    """(offline, renewed_offline) of each of the patron's loans, by copy."""
    return {loan["item_id"]: (loan["offline"], loan["renewed_offline"])
            for loan in admin.report(member)["loans"]}


def test_offline_checkout_event_is_marked_offline_at_the_library(connector, admin, profile):
    member = admin.patron()
    now = connector.info().now
    results = connector.deliver_events([
        event(EventKind.CHECKOUT, item(1), member, now - timedelta(hours=1), offline=True),
        event(EventKind.CHECKOUT, item(2), member, now - timedelta(minutes=30))])
    assert [r.outcome for r in results] == [Outcome.APPLIED] * 2
    marked = told(profile, "offline_mark")
    assert loan_marks(admin, member) == {item(1): (marked, False), item(2): (False, False)}
    assert admin.item(item(1))["loans"][0]["offline"] is marked


def test_offline_renewal_event_is_marked_on_the_loan(connector, admin, profile):
    member = admin.patron()
    connector.checkout(member, item(1), tx())
    connector.checkout(member, item(2), tx())
    now = connector.info().now
    results = connector.deliver_events([
        event(EventKind.RENEW, item(1), member, now, offline=True),
        event(EventKind.RENEW, item(2), member, now)])
    assert [r.outcome for r in results] == [Outcome.APPLIED] * 2
    marked = told(profile, "offline_mark")
    assert loan_marks(admin, member) == {item(1): (False, marked), item(2): (False, False)}


def test_an_older_database_file_gains_the_offline_columns(tmp_path):
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, item_id TEXT NOT NULL, "
                "member_number TEXT NOT NULL, machine_id TEXT, loaned_at TEXT NOT NULL, "
                "due_at TEXT NOT NULL, renewals INTEGER NOT NULL DEFAULT 0, returned_at TEXT, "
                "late_days INTEGER, conflict TEXT)")
    old.execute("INSERT INTO loans (item_id, member_number, loaned_at, due_at) "
                "VALUES ('EM1', 'M1', '2026-01-01', '2026-01-16')")
    old.commit()
    old.close()
    conn = open_db(path)
    row = conn.execute("SELECT offline, renewed_offline FROM loans").fetchone()
    conn.close()
    assert tuple(row) == (0, 0)


HOLD = {"item_id": "EM1", "title": "T", "patron": "M1", "state": "waiting", "expires_at": None}


@pytest.mark.parametrize("change", [
    {"state": "expired"},
    {"expires_at": "2026-01-04T23:59:59+09:00"},  # waiting, yet with an expiry
    {"state": "ready"},  # ready without one
    {"patron": None},
])
def test_a_hold_that_makes_no_sense_is_a_protocol_error(change):
    with pytest.raises(LibraryProtocolError):
        wire.library_holds({"holds": [{**HOLD, **change}]})


def test_two_holds_first_in_line_for_one_copy_is_a_protocol_error():
    with pytest.raises(LibraryProtocolError):
        wire.library_holds({"holds": [HOLD, {**HOLD, "patron": "M2"}]})


def test_a_return_naming_a_hold_it_says_is_not_waiting_is_a_protocol_error():
    t = tx()
    answer = {"transaction_id": str(t), "item_id": "EM1", "patron": "M1", "late_days": 0,
              "hold_waiting": False, "duplicate": False, "conflict": None,
              "hold": {"patron": "M2", "expires_at": "2026-01-04T23:59:59+09:00"}}
    with pytest.raises(LibraryProtocolError):
        wire.return_result(answer, t, "EM1")
