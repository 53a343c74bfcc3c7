"""The SIP2 connector against each ACS profile of the emulator: refusals told apart with the
ACS's own words, idle closes, the 98's flags, Block Patron, fees, and Hangul in utf-8 and
euc-kr."""

from __future__ import annotations

import dataclasses
import select
from datetime import timedelta

import pytest
from library_fixtures import (  # noqa: F401 - fixtures
    PROFILES, admin, background_loop, item, library, make_connector, start_library, tx,
)

from kiosk.connectors import (
    LibraryUnavailable, LoanResult, Patron, PatronStatus, Reason, Refusal,
)

SIP2_KINDS = ["sip2", *(f"sip2-{p}" for p in PROFILES)]


@pytest.fixture(params=SIP2_KINDS)
def sip2(request, library, tmp_path):
    conn = make_connector(request.param, library.endpoint, tmp_path)
    yield conn
    conn.close()


def test_each_refusal_is_told_apart_with_the_acs_own_words(sip2, admin):
    member, other, holder = admin.patron(), admin.patron(), admin.patron()
    blocked = admin.patron(blocked=True)
    refusals = {
        "unknown patron": sip2.checkout("999999999999", item(1), tx()),
        "unknown item": sip2.checkout(member, "EM99999999", tx()),
        "blocked": sip2.checkout(blocked, item(1), tx()),
        "not on loan": sip2.renew(member, item(1), tx()),
    }
    assert isinstance(sip2.checkout(member, item(1), tx()), LoanResult)
    refusals["on loan to someone else"] = sip2.checkout(other, item(1), tx())
    refusals["not loaned to patron"] = sip2.renew(other, item(1), tx())
    assert sip2.place_hold(holder, item(1), tx()).state == "waiting"
    assert sip2.checkin(item(1), tx()).hold_waiting
    refusals["held for another"] = sip2.checkout(other, item(1), tx())
    assert {what: r.reason for what, r in refusals.items()} == {
        "unknown patron": Reason.UNKNOWN_PATRON, "unknown item": Reason.UNKNOWN_ITEM,
        "blocked": Reason.PATRON_BLOCKED, "not on loan": Reason.NOT_ON_LOAN,
        "on loan to someone else": Reason.ITEM_NOT_AVAILABLE,
        "not loaned to patron": Reason.NOT_LOANED_TO_PATRON,
        "held for another": Reason.HELD_FOR_OTHER}
    assert all(isinstance(r, Refusal) for r in refusals.values())


def test_a_connection_the_acs_closed_while_idle_is_reopened_for_a_lookup(library, tmp_path):
    for profile in ("koha", "evergreen"):
        library.admin.call("PUT", "/admin/sip2", {"profile": profile, "idle_timeout": 0.2})
        conn = make_connector("sip2", library.endpoint, tmp_path)
        try:
            assert isinstance(conn.lookup_member("111001000001"), Patron)
            sock = conn._client._sock
            readable, _, _ = select.select([sock], [], [], 10)  # the ACS's silent close
            assert readable and sock.recv(1) == b""
            assert isinstance(conn.lookup_member("111001000001"), Patron), profile
        finally:
            conn.close()


@pytest.mark.parametrize("kind", ["sip2-koha", "sip2-evergreen"])
def test_a_checkout_of_a_copy_the_patron_holds_never_becomes_a_renewal(library, tmp_path, kind):
    conn = make_connector(kind, library.endpoint, tmp_path)
    member = library.admin.patron()
    try:
        first = conn.checkout(member, item(1), tx())
        assert conn.checkout(member, item(1), tx()) == Refusal(Reason.ALREADY_ON_LOAN)
        [loan] = library.admin.item(item(1))["loans"]
        assert loan["renewals"] == 0 and conn.item_info(item(1)).due_at == first.due_at
    finally:
        conn.close()


def test_fees_are_read_and_a_loan_fee_needs_the_patron_s_acknowledgement(sip2, admin):
    owing = admin.patron(fees_owed=6000)
    status = sip2.patron_status(owing)
    assert (status.may_borrow, status.reason, status.currency) == (
        False, Reason.FEES_OWED, "KRW")
    assert float(status.fees_owed) == 6000
    member = admin.patron()
    admin.call("POST", f"/admin/items/{item(2)}/fee", {"amount": 500})
    assert sip2.checkout(member, item(2), tx()) == Refusal(Reason.FEE_REQUIRED)
    assert isinstance(sip2.checkout(member, item(2), tx(), fee_acknowledged=True), LoanResult)


def test_a_lost_card_is_blocked_with_block_patron(sip2, admin):
    member = admin.patron()
    assert sip2.patron_status(member).may_borrow
    assert sip2.block_patron(member, "lost card shown at kiosk-1") is True
    status = sip2.patron_status(member)
    assert (status.reason, status.card_reported_lost) == (Reason.PATRON_BLOCKED, True)


def test_the_98_says_what_the_library_allows(library, tmp_path):
    allowed = {}
    for kind in SIP2_KINDS:
        conn = make_connector(kind, library.endpoint, tmp_path)
        info = conn.info()
        allowed[kind] = (info.checkout_ok, info.offline_ok)
        conn.close()
    assert allowed == {"sip2": (True, True), "sip2-strict": (True, True),
                       "sip2-koha": (True, False), "sip2-evergreen": (True, False)}


@pytest.mark.parametrize("encoding", ["utf-8", "euc-kr"])
def test_hangul_names_survive_every_profile(background_loop, tmp_path, encoding):
    running = start_library(background_loop, tmp_path, sip2_encoding=encoding)
    try:
        member = running.admin.patron(name="김민지")
        for kind in SIP2_KINDS:
            conn = make_connector(kind, running.endpoint, tmp_path, encoding=encoding)
            try:
                found = conn.lookup_member(member)
                status = conn.patron_status(member)
                assert (found.name, status.patron.name) == ("김민지", "김민지"), kind
                assert isinstance(status, PatronStatus)
            finally:
                conn.close()
    finally:
        background_loop.run(running.sim.stop())


def test_the_terminal_password_goes_with_every_request_when_configured(library, tmp_path):
    library.admin.call("PUT", "/admin/sip2", {"profile": "strict", "terminal_password": "T-7"})
    member = library.admin.patron()
    without = make_connector("sip2", library.endpoint, tmp_path)
    secret = tmp_path / "terminal"
    secret.write_text("T-7\n")
    with_it = make_connector("sip2", library.endpoint, tmp_path,
                             terminal_password_file=str(secret))
    try:
        refused = without.checkout(member, item(1), tx())
        assert isinstance(refused, Refusal) and "terminal password" in refused.message
        assert library.admin.item(item(1))["loans"] == []
        assert isinstance(with_it.checkout(member, item(1), tx()), LoanResult)
    finally:
        without.close()
        with_it.close()


def journal_event(kind, item_id, patron, at, **fields):
    from kiosk.connectors import JournalEvent
    return JournalEvent(tx(), kind, at, item_id, patron, "kiosk-1", **fields)


@pytest.mark.parametrize("kind", SIP2_KINDS)
def test_a_return_renewal_and_hold_whose_answers_were_lost_are_not_sent_again(
        library, tmp_path, kind):
    from kiosk.connectors import EventKind, Outcome
    admin, member, holder = library.admin, library.admin.patron(), library.admin.patron()
    first = make_connector(kind, library.endpoint, tmp_path)
    now = first.info().now
    loan = first.checkout(member, item(1), tx())
    first.checkout(member, item(2), tx())
    old_due = loan.due_at.date()
    events = [
        journal_event(EventKind.RENEW, item(2), member, now, due_on=old_due + timedelta(days=7),
                      due_before=old_due),
        journal_event(EventKind.HOLD_PLACED, item(2), holder, now),
        journal_event(EventKind.CHECKIN, item(1), None, now)]
    for event, code in zip(events, ("29", "15", "09")):
        admin.fault("sip2", "drop_after", count=1, message=code)
        with pytest.raises(LibraryUnavailable):
            first.deliver_events([event])
    first.close()
    admin.call("DELETE", "/admin/faults")
    again = make_connector(kind, library.endpoint, tmp_path)  # after a restart: no memory
    try:
        resent = [dataclasses.replace(e, resend=True) for e in events]
        assert [r.outcome for r in again.deliver_events(resent)] == [Outcome.DUPLICATE] * 3
    finally:
        again.close()
    assert [loan["renewals"] for loan in admin.item(item(2))["loans"]] == [1]
    assert [h["state"] for h in admin.item(item(2))["holds"]] == ["waiting"]
    assert [loan["returned_at"] is not None for loan in admin.item(item(1))["loans"]] == [True]


def test_an_answer_that_makes_no_sense_holds_back_only_its_own_item(library, tmp_path):
    from kiosk.connectors import EventKind, Outcome
    conn = make_connector("sip2-strict", library.endpoint, tmp_path)
    member = library.admin.patron()
    try:
        now = conn.info().now
        conn.checkout(member, item(1), tx())
        events = [journal_event(EventKind.CHECKIN, item(1), None, now),
                  journal_event(EventKind.CHECKOUT, item(2), member, now)]
        library.admin.fault("sip2", "nonsense", count=1, message="09")
        results = conn.deliver_events(events)
        assert [(r.event_id, r.outcome) for r in results] == [(events[1].id, Outcome.APPLIED)]
    finally:
        conn.close()
