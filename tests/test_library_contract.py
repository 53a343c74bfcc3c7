"""The connector contract, run against the emulator over real HTTP and real SIP2 sockets."""

from __future__ import annotations

import socket
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from library_fixtures import (  # noqa: F401 - fixtures
    BOOKS, MACHINE, admin, background_loop, connector, item, library, make_connector, profile,
    told, tx,
)

from drivers.sip2 import Message, build, decode, encode
from kiosk.connectors import ItemStatus, LibraryUnavailable, LoanResult, Patron, Reason, Refusal
from sim.collection import FOREIGN_ISIL, OWNER_ISIL, demo_collection
from sim.library import DEMO_PATRONS


SEOUL = ZoneInfo("Asia/Seoul")  # the emulator's default timezone


def library_today(connector) -> date:
    """The library's calendar date (its clock may have been moved)."""
    return connector.info().now.astimezone(SEOUL).date()


def end_of(day: date) -> datetime:
    """The last second of `day` in the library's timezone: when loans and holds fall due."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SEOUL)


def test_info_names_the_library(connector):
    info = connector.info()
    assert info.library == OWNER_ISIL
    assert info.now.tzinfo is not None


def test_lookup_by_card_uid_and_member_number(connector, profile):
    kim = DEMO_PATRONS[0]
    by_card = connector.lookup_card(kim.card_uid)
    by_number = connector.lookup_member(kim.member_number)
    assert by_card == by_number
    assert isinstance(by_card, Patron)
    assert (by_card.member_number, by_card.name, by_card.home_library) == (
        kim.member_number, kim.name, OWNER_ISIL if told(profile, "lookup_home") else None)


def test_unknown_card_is_refused(connector):
    assert connector.lookup_card("DEADBEEF") == Refusal(Reason.UNKNOWN_PATRON)
    assert connector.lookup_member("no-such-member") == Refusal(Reason.UNKNOWN_PATRON)


def test_pin_is_required_checked_and_accepted(connector):
    lee = next(p for p in DEMO_PATRONS if p.pin)
    assert connector.lookup_card(lee.card_uid) == Refusal(Reason.PIN_REQUIRED)
    assert connector.lookup_card(lee.card_uid, "0000") == Refusal(Reason.BAD_PIN)
    assert connector.lookup_member(lee.member_number, lee.pin).member_number == lee.member_number


def test_good_member_may_borrow_two(connector, admin):
    member = admin.patron()
    status = connector.patron_status(member)
    assert (status.may_borrow, status.reason, status.loan_limit, status.remaining) == (
        True, None, 2, 2)
    assert status.loans == () and status.holds_ready == ()


def test_unknown_member_status_is_refused(connector):
    assert connector.patron_status("nobody") == Refusal(Reason.UNKNOWN_PATRON)


def test_federated_member_without_check_in_is_refused_with_that_reason(connector, admin,
                                                                        profile):
    member = admin.patron(home_library=FOREIGN_ISIL)
    status = connector.patron_status(member)
    why = Reason.NOT_CHECKED_IN if told(profile, "home") else Reason.PATRON_BLOCKED
    assert (status.may_borrow, status.reason) == (False, why)
    assert connector.checkout(member, item(1), tx()) == Refusal(why)
    admin.call("POST", f"/admin/patrons/{member}/checkins", {"library": OWNER_ISIL})
    assert connector.patron_status(member).may_borrow
    assert isinstance(connector.checkout(member, item(1), tx()), LoanResult)


def test_federated_member_checked_in_here_may_borrow(connector, admin):
    member = admin.patron(home_library=FOREIGN_ISIL, checked_in=[OWNER_ISIL])
    assert connector.patron_status(member).may_borrow


def test_overdue_loan_at_another_library_blocks_borrowing_here(connector, admin):
    member = admin.patron()
    lent = admin.call("POST", f"/admin/patrons/{member}/loans-elsewhere",
                      {"library": FOREIGN_ISIL, "days_overdue": 2}, expect=201)
    status = connector.patron_status(member)
    assert (status.may_borrow, status.reason) == (False, Reason.OVERDUE)
    assert [(loan.item_id, loan.overdue, loan.here) for loan in status.loans] == [
        (lent["item_id"], True, False)]
    assert connector.checkout(member, item(1), tx()) == Refusal(Reason.OVERDUE)


def test_expired_and_blocked_cards_are_refused(connector, admin, profile):
    expired = admin.patron(expires_on=str(library_today(connector) - timedelta(days=1)))
    blocked = admin.patron(blocked=True)
    why = Reason.CARD_EXPIRED if told(profile, "expiry") else Reason.PATRON_BLOCKED
    assert connector.patron_status(expired).reason == why
    assert connector.patron_status(blocked).reason == Reason.PATRON_BLOCKED
    assert connector.checkout(expired, item(1), tx()) == Refusal(why)


def test_checkout_is_due_in_fifteen_days_and_listed(connector, admin):
    member = admin.patron()
    result = connector.checkout(member, item(1), tx())
    today = library_today(connector)
    assert isinstance(result, LoanResult)
    assert (result.patron, result.duplicate, result.conflict) == (member, False, None)
    assert result.due_at == end_of(today + timedelta(days=15))
    status = connector.patron_status(member)
    assert [(loan.item_id, loan.due_at, loan.here) for loan in status.loans] == [
        (item(1), result.due_at, True)]
    assert status.remaining == 1


def test_third_book_from_the_machine_is_refused(connector, admin):
    member = admin.patron()
    assert isinstance(connector.checkout(member, item(1), tx()), LoanResult)
    assert isinstance(connector.checkout(member, item(2), tx()), LoanResult)
    assert connector.checkout(member, item(3), tx()) == Refusal(Reason.LIMIT_REACHED)
    status = connector.patron_status(member)
    assert (status.may_borrow, status.reason, status.remaining) == (
        False, Reason.LIMIT_REACHED, 0)


def test_copy_on_loan_cannot_be_lent_again(connector, admin):
    first, second = admin.patron(), admin.patron()
    connector.checkout(first, item(1), tx())
    assert connector.checkout(second, item(1), tx()) == Refusal(Reason.ITEM_NOT_AVAILABLE)
    assert connector.checkout(first, item(1), tx()) == Refusal(Reason.ALREADY_ON_LOAN)


def test_item_information_follows_the_copy(connector, admin, profile):
    book = demo_collection(1)[0]
    info = connector.item_info(book.item_id)
    isbn = book.title.isbn13 if told(profile, "book_details") else None
    assert (info.title, info.isbn13, info.owner, info.home_machine, info.status) == (
        book.title.title, isbn, OWNER_ISIL, MACHINE, ItemStatus.AVAILABLE)
    loan = connector.checkout(admin.patron(), book.item_id, tx())
    info = connector.item_info(book.item_id)
    assert (info.status, info.due_at) == (ItemStatus.ON_LOAN, loan.due_at)
    assert connector.item_info("EM99999999") == Refusal(Reason.UNKNOWN_ITEM)


def test_checkin_ends_the_loan(connector, admin, profile):
    member = admin.patron()
    connector.checkout(member, item(1), tx())
    result = connector.checkin(item(1), tx())
    assert (result.patron, result.late_days, result.hold_waiting, result.conflict) == (
        member, 0, False, None)
    assert connector.item_info(item(1)).status == ItemStatus.AVAILABLE
    assert connector.patron_status(member).loans == ()
    again = connector.checkin(item(1), tx())
    if told(profile, "not_on_loan"):
        assert again == Refusal(Reason.NOT_ON_LOAN)
    else:  # Evergreen takes it back without a word
        assert (again.patron, again.late_days) == (None, 0)


def test_suspension_lasts_as_many_days_as_the_book_was_late(connector, admin, profile):
    member = admin.patron()
    connector.checkout(member, item(1), tx())
    admin.advance(15 + 3)
    assert connector.patron_status(member).reason == Reason.OVERDUE
    assert connector.checkin(item(1), tx()).late_days == 3
    status = connector.patron_status(member)
    if told(profile, "suspension"):
        why, until = Reason.SUSPENDED, library_today(connector) + timedelta(days=3)
    else:
        why, until = Reason.PATRON_BLOCKED, None
    assert (status.reason, status.blocked_until) == (why, until)
    admin.advance(2)
    assert connector.checkout(member, item(2), tx()) == Refusal(why)
    admin.advance(1)
    assert connector.patron_status(member).may_borrow


def test_one_renewal_of_seven_days_from_the_due_date(connector, admin, profile):
    member = admin.patron()
    loan = connector.checkout(member, item(1), tx())
    renewed = connector.renew(member, item(1), tx())
    assert renewed.due_at == loan.due_at + timedelta(days=7)
    limit = Reason.RENEWAL_LIMIT if told(profile, "renewal_limit") else Reason.UNSPECIFIED
    assert connector.renew(member, item(1), tx()) == Refusal(limit)
    assert connector.renew(admin.patron(), item(1), tx()) == Refusal(
        Reason.NOT_LOANED_TO_PATRON)


def test_overdue_loan_cannot_be_renewed(connector, admin):
    member = admin.patron()
    connector.checkout(member, item(1), tx())
    admin.advance(16)
    assert connector.renew(member, item(1), tx()) == Refusal(Reason.OVERDUE)


def test_loan_held_by_someone_else_cannot_be_renewed(connector, admin, profile):
    member, other = admin.patron(), admin.patron()
    connector.checkout(member, item(1), tx())
    assert connector.place_hold(other, item(1), tx()).state == "waiting"
    why = Reason.HELD_FOR_OTHER if told(profile, "hold_queue") else Reason.UNSPECIFIED
    assert connector.renew(member, item(1), tx()) == Refusal(why)


def test_hold_is_ready_on_return_and_kept_for_its_holder(connector, admin, profile):
    borrower, holder, other = admin.patron(), admin.patron(), admin.patron()
    assert connector.place_hold(holder, item(1), tx()) == Refusal(Reason.ITEM_AVAILABLE)
    connector.checkout(borrower, item(1), tx())
    assert connector.place_hold(holder, item(1), tx()).state == "waiting"
    assert connector.place_hold(holder, item(1), tx()) == Refusal(Reason.HOLD_EXISTS)
    assert connector.checkin(item(1), tx()).hold_waiting
    expires = end_of(library_today(connector) + timedelta(days=3))
    [ready] = connector.holds_for_pickup([item(1), item(2)])
    for_whom = holder if told(profile, "hold_patron") else None
    assert (ready.item_id, ready.patron, ready.expires_at) == (item(1), for_whom, expires)
    assert [h.item_id for h in connector.patron_status(holder).holds_ready] == [item(1)]
    assert connector.checkout(other, item(1), tx()) == Refusal(Reason.HELD_FOR_OTHER)
    assert isinstance(connector.checkout(holder, item(1), tx()), LoanResult)
    assert connector.holds_for_pickup([item(1)]) == ()


def test_hold_not_picked_up_in_three_days_expires(connector, admin):
    borrower, holder, other = admin.patron(), admin.patron(), admin.patron()
    connector.checkout(borrower, item(1), tx())
    connector.place_hold(holder, item(1), tx())
    connector.checkin(item(1), tx())
    admin.advance(3)
    assert len(connector.holds_for_pickup([item(1)])) == 1
    admin.advance(1)
    assert connector.holds_for_pickup([item(1)]) == ()
    assert connector.patron_status(holder).holds_ready == ()
    assert isinstance(connector.checkout(other, item(1), tx()), LoanResult)


def test_cancelled_hold_is_gone(connector, admin):
    borrower, holder = admin.patron(), admin.patron()
    connector.checkout(borrower, item(1), tx())
    connector.place_hold(holder, item(1), tx())
    assert connector.cancel_hold(holder, item(1), tx()).state == "cancelled"
    assert connector.cancel_hold(holder, item(1), tx()) == Refusal(Reason.HOLD_NOT_FOUND)
    assert not connector.checkin(item(1), tx()).hold_waiting


def test_only_copies_of_this_machine_are_taken_back(connector, admin):
    member = admin.patron()
    lent = admin.call("POST", f"/admin/patrons/{member}/loans-elsewhere", {}, expect=201)
    assert connector.checkin(lent["item_id"], tx()) == Refusal(Reason.WRONG_LOCATION)
    assert connector.item_info(lent["item_id"]).home_machine is None


def test_end_of_a_patron_session_is_acknowledged(connector, admin):
    assert connector.end_session(admin.patron()) is True


def test_a_sip2_session_end_is_acknowledged_by_the_acs_itself(library, tmp_path):
    conn = make_connector("sip2", library.endpoint, tmp_path)
    member = library.admin.patron()
    try:
        assert conn.end_session(member) is True
        library.admin.fault("sip2", "drop")  # the ACS hangs up without answering
        with pytest.raises(LibraryUnavailable):
            conn.end_session(member)
    finally:
        conn.close()


class ScriptedAcs:
    """A one-connection SIP2 ACS on loopback that accepts the login and answers 35 as told."""

    def __init__(self, end_session: str, patron: str) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = {"sip2_host": "127.0.0.1", "sip2_port": self.server.getsockname()[1]}
        self.answers = {"93": build("94", {"ok": "1"}),
                        "99": build("98", {
                            "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y",
                            "renewal_policy": "Y", "status_update_ok": "N", "offline_ok": "Y",
                            "timeout_period": "999", "retries_allowed": "999",
                            "date_time_sync": " " * 18, "protocol_version": "2.00"}),
                        "35": build("36", {"end_session": end_session, "transaction_date": " " * 18},
                                    [("AO", OWNER_ISIL), ("AA", patron)])}
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn, conn.makefile("rb") as lines:
            while line := _read_cr(lines):
                request = decode(line)
                answer = self.answers[request.code]
                conn.sendall(encode(Message(answer.code, answer.fixed, answer.fields, request.sequence)))


def _read_cr(stream) -> bytes:
    """One CR-terminated message, or b"" at the end of the stream."""
    data = b""
    while (byte := stream.read(1)) and byte != b"\r":
        data += byte
    return data


@pytest.mark.parametrize(("flag", "named", "acknowledged"),
                         [("Y", "P1", True), ("N", "P1", False), ("Y", "P2", False)])
def test_a_sip2_session_end_is_what_the_acs_answered(tmp_path, flag, named, acknowledged):
    acs = ScriptedAcs(end_session=flag, patron=named)
    conn = make_connector("sip2", acs.endpoint, tmp_path)
    try:
        assert conn.end_session("P1") is acknowledged
    finally:
        conn.close()
        acs.server.close()


def test_a_korean_copy_is_lent_and_returned_like_any_other(connector, admin):
    book = next(b for b in demo_collection(BOOKS) if b.title.language == "kor")
    assert connector.item_info(book.item_id).title == book.title.title
    assert isinstance(connector.checkout(admin.patron(), book.item_id, tx()), LoanResult)
    assert connector.item_info(book.item_id).status is ItemStatus.ON_LOAN


def test_catalogue_lists_the_machines_copies(connector, profile):
    books = demo_collection(3)
    wanted = [b.item_id for b in books] + ["EM99999999"]
    catalogue = connector.catalogue(wanted)
    details = told(profile, "book_details")
    assert [(i.item_id, i.title, i.authors) for i in catalogue] == [
        (b.item_id, b.title.title, b.title.authors if details else None) for b in books]


def test_demo_patrons_show_their_rule(connector, profile):
    blocked = Reason.PATRON_BLOCKED  # what the standard alone says of the rest
    expected = {
        "111002000004": Reason.NOT_CHECKED_IN if told(profile, "home") else blocked,
        "111001000005": Reason.OVERDUE,
        "111001000006": Reason.SUSPENDED if told(profile, "suspension") else blocked,
        "111001000007": Reason.CARD_EXPIRED if told(profile, "expiry") else blocked,
        "111001000008": Reason.PATRON_BLOCKED}
    for patron in DEMO_PATRONS:
        status = connector.patron_status(patron.member_number)
        assert status.reason == expected.get(patron.member_number), patron.name
