"""Idempotency and the event batch, for both connectors: replays change nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from library_fixtures import (  # noqa: F401 - fixtures
    MACHINE, admin, background_loop, connector, item, library, profile, told, tx,
)

from kiosk.connectors import EventKind, JournalEvent, LoanResult, Outcome, Reason, Refusal

SEOUL = ZoneInfo("Asia/Seoul")


def event(kind: EventKind, item_id: str, patron: str | None, at: datetime,
          event_id=None) -> JournalEvent:
    """A journal event of this machine."""
    return JournalEvent(event_id or tx(), kind, at, item_id, patron, MACHINE)


def outcomes(results) -> list[tuple[Outcome, Reason | None]]:
    return [(r.outcome, r.reason) for r in results]


def open_loans(admin, item_id: str) -> list[dict]:
    return [loan for loan in admin.item(item_id)["loans"] if loan["returned_at"] is None]


def test_same_checkout_twice_is_applied_once(connector, admin):
    member, t = admin.patron(), tx()
    first = connector.checkout(member, item(1), t)
    again = connector.checkout(member, item(1), t)
    assert (first.duplicate, again.duplicate, again.due_at) == (False, True, first.due_at)
    assert len(admin.item(item(1))["loans"]) == 1


def test_transaction_sent_directly_then_in_a_batch_is_a_duplicate(connector, admin):
    member, t = admin.patron(), tx()
    connector.checkout(member, item(1), t)
    now = connector.info().now
    [result] = connector.deliver_events([event(EventKind.CHECKOUT, item(1), member, now, t)])
    assert (result.event_id, result.outcome) == (t, Outcome.DUPLICATE)
    assert len(admin.item(item(1))["loans"]) == 1


def test_reused_transaction_id_for_another_item_is_refused(connector, admin):
    member, t = admin.patron(), tx()
    connector.checkout(member, item(1), t)
    assert connector.checkout(member, item(2), t) == Refusal(Reason.TRANSACTION_REUSED)
    assert open_loans(admin, item(2)) == []


def test_offline_batch_is_applied_and_a_replay_changes_nothing(connector, admin):
    first, second = admin.patron(), admin.patron()
    now = connector.info().now
    batch = [event(EventKind.CHECKOUT, item(1), first, now - timedelta(hours=3)),
             event(EventKind.CHECKIN, item(1), None, now - timedelta(hours=2)),
             event(EventKind.CHECKOUT, item(1), second, now - timedelta(hours=1)),
             event(EventKind.RENEW, item(1), second, now - timedelta(minutes=30))]
    assert outcomes(connector.deliver_events(batch)) == [(Outcome.APPLIED, None)] * 4
    before = admin.item(item(1))
    replay = connector.deliver_events(batch)
    assert [r.outcome for r in replay] == [Outcome.DUPLICATE] * 4
    assert admin.item(item(1)) == before
    assert [(loan["patron"], loan["renewals"]) for loan in open_loans(admin, item(1))] == [
        (second, 1)]


def test_offline_checkout_keeps_its_own_date(connector, admin):
    member = admin.patron()
    when = connector.info().now - timedelta(days=2)
    [result] = connector.deliver_events([event(EventKind.CHECKOUT, item(1), member, when)])
    due_day = when.astimezone(SEOUL).date() + timedelta(days=15)
    assert result.outcome == Outcome.APPLIED
    assert connector.item_info(item(1)).due_at == datetime.combine(
        due_day, time(23, 59, 59), tzinfo=SEOUL)


def test_offline_checkout_for_a_blocked_patron_is_recorded_as_a_conflict(connector, admin,
                                                                          profile):
    member = admin.patron()
    admin.call("POST", f"/admin/patrons/{member}/loans-elsewhere", {"days_overdue": 1},
               expect=201)
    now = connector.info().now
    [result] = connector.deliver_events([event(EventKind.CHECKOUT, item(1), member, now)])
    if told(profile, "conflict"):
        assert (result.outcome, result.reason) == (Outcome.CONFLICT, Reason.OVERDUE)
    else:  # recorded; a standard ACS does not say it objected
        assert (result.outcome, result.reason) == (Outcome.APPLIED, None)
    [loan] = open_loans(admin, item(1))
    assert (loan["patron"], loan["conflict"]) == (member, "overdue")


def test_no_block_checkout_answers_with_the_conflict(connector, admin, profile):
    member = admin.patron(blocked=True)
    result = connector.checkout(member, item(1), tx(), connector.info().now, no_block=True)
    assert isinstance(result, LoanResult)
    assert result.conflict == (Reason.PATRON_BLOCKED if told(profile, "conflict") else None)
    assert open_loans(admin, item(1))[0]["patron"] == member


def test_offline_late_return_suspends_from_its_own_date(connector, admin, profile):
    member = admin.patron()
    connector.checkout(member, item(1), tx())
    admin.advance(20)
    now = connector.info().now
    returned = now - timedelta(days=1)  # 15 + 4: four days late, one day ago
    [result] = connector.deliver_events([event(EventKind.CHECKIN, item(1), None, returned)])
    assert result.outcome == Outcome.APPLIED
    assert admin.item(item(1))["loans"][0]["late_days"] == 4
    status = connector.patron_status(member)
    if told(profile, "suspension"):
        assert (status.reason, status.blocked_until) == (
            Reason.SUSPENDED, returned.astimezone(SEOUL).date() + timedelta(days=4))
    else:
        assert (status.may_borrow, status.reason) == (False, Reason.PATRON_BLOCKED)


def test_event_for_an_unknown_item_is_refused_and_stays_refused(connector, admin):
    member = admin.patron()
    bad = event(EventKind.CHECKOUT, "EM99999999", member, connector.info().now)
    assert outcomes(connector.deliver_events([bad])) == [(Outcome.REFUSED, Reason.UNKNOWN_ITEM)]
    assert outcomes(connector.deliver_events([bad])) == [(Outcome.REFUSED, Reason.UNKNOWN_ITEM)]


def test_hold_events_are_applied_once(connector, admin):
    borrower, holder = admin.patron(), admin.patron()
    connector.checkout(borrower, item(1), tx())
    now = connector.info().now
    placed = event(EventKind.HOLD_PLACED, item(1), holder, now)
    cancelled = event(EventKind.HOLD_CANCELLED, item(1), holder, now + timedelta(seconds=1))
    assert [r.outcome for r in connector.deliver_events([placed, cancelled])] == [
        Outcome.APPLIED] * 2
    assert [r.outcome for r in connector.deliver_events([placed, cancelled])] == [
        Outcome.DUPLICATE] * 2
    assert [h["state"] for h in admin.item(item(1))["holds"]] == ["cancelled"]


def test_empty_batch_has_no_results(connector):
    assert connector.deliver_events([]) == ()


def test_a_return_goes_with_its_patron_and_another_patrons_is_a_conflict(connector, admin):
    borrower, other = admin.patron(), admin.patron()
    connector.checkout(borrower, item(1), tx())
    connector.checkout(borrower, item(2), tx())
    now = connector.info().now
    right, wrong = connector.deliver_events([
        event(EventKind.CHECKIN, item(1), borrower, now),
        event(EventKind.CHECKIN, item(2), other, now)])
    assert (right.outcome, right.reason) == (Outcome.APPLIED, None)
    # HTTP: the library checks the patron it is sent; SIP2's 09 has no patron field, so the
    # connector checks the one the ACS's 10 names (AA) against it. The book is back either way.
    assert (wrong.outcome, wrong.reason) == (Outcome.CONFLICT, Reason.NOT_LOANED_TO_PATRON)
    assert open_loans(admin, item(1)) == open_loans(admin, item(2)) == []


def test_a_batch_is_one_transaction_and_a_refusal_undoes_only_its_event(tmp_path):
    """The emulator commits a batch once (not once per event), each event in a savepoint."""
    from sim.collection import demo_collection
    from sim.library import DEMO_PATRONS, LibrarySim
    from sim.library import events as library_events

    sim = LibrarySim(tmp_path / "library.sqlite", machine_id=MACHINE)
    books = demo_collection(2)
    sim.load_demo(books)
    member, now = DEMO_PATRONS[0].member_number, datetime.now(SEOUL)

    def checkout(item_id: str) -> dict:
        return {"id": str(tx()), "kind": "checkout", "occurred_at": now, "item_id": item_id,
                "machine_id": MACHINE, "patron": member, "offline": True}

    batch = [checkout(books[0].item_id), checkout("no-such-copy"), checkout(books[1].item_id)]
    statements: list[str] = []
    sim.library.conn.set_trace_callback(statements.append)
    try:
        results = library_events.apply_batch(sim.library, batch)
    finally:
        sim.library.conn.set_trace_callback(None)
    assert [r["status"] for r in results] == ["applied", "refused", "applied"]
    outermost = [s for s in statements if s.split()[:2] in (["SAVEPOINT", "sp0"],
                                                           ["RELEASE", "sp0"])]
    assert outermost == ["SAVEPOINT sp0", "RELEASE sp0"]  # one commit for the batch
    loans = sim.library.all("SELECT item_id FROM loans WHERE machine_id = ?", MACHINE)
    assert sorted(row["item_id"] for row in loans) == sorted(b.item_id for b in books)
    stored = sim.library.all("SELECT status FROM transactions ORDER BY status")
    assert [row["status"] for row in stored] == ["applied", "applied", "refused"]
    sim.library.conn.close()


def test_one_event_twice_in_one_batch_is_applied_once(connector, admin):
    member, now = admin.patron(), connector.info().now
    lent = event(EventKind.CHECKOUT, item(1), member, now)
    bad = event(EventKind.CHECKOUT, "EM99999999", member, now)
    assert outcomes(connector.deliver_events([lent, bad, lent, bad])) == [
        (Outcome.APPLIED, None), (Outcome.REFUSED, Reason.UNKNOWN_ITEM),
        (Outcome.DUPLICATE, None), (Outcome.REFUSED, Reason.UNKNOWN_ITEM)]
    assert len(admin.item(item(1))["loans"]) == 1


def test_a_batch_looks_its_transaction_ids_up_in_one_query(tmp_path):
    """A batch of new events asks for its ids once, not once per event; a replay still finds
    every one of them recorded."""
    from sim.collection import demo_collection
    from sim.library import DEMO_PATRONS, LibrarySim
    from sim.library import events as library_events

    sim = LibrarySim(tmp_path / "library.sqlite", machine_id=MACHINE)
    books = demo_collection(3)
    sim.load_demo(books)
    member, now = DEMO_PATRONS[0].member_number, datetime.now(SEOUL)
    batch = [{"id": str(tx()), "kind": "checkout", "occurred_at": now, "item_id": b.item_id,
              "machine_id": MACHINE, "patron": member, "offline": True} for b in books[:2]]
    statements: list[str] = []
    sim.library.conn.set_trace_callback(statements.append)
    try:
        first = library_events.apply_batch(sim.library, batch)
    finally:
        sim.library.conn.set_trace_callback(None)
    again = library_events.apply_batch(sim.library, batch)
    assert [r["status"] for r in first] == ["applied", "applied"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [s for s in statements if "FROM transactions WHERE" in s] == []
    assert len([s for s in statements if "FROM transactions)" in s]) == 1
    sim.library.conn.close()
