"""The emulator's ACS profiles on the wire: project, strict, Koha- and Evergreen-like."""

from __future__ import annotations

import re

import pytest
from library_fixtures import MACHINE, background_loop, item  # noqa: F401 - fixtures
from sip2_acs import (  # noqa: F401 - fixtures
    FIXED,
    ISIL,
    KIM,
    LOCAL_STAMP,
    OH,
    UTC_STAMP,
    give_back,
    hold,
    ids,
    info,
    lend,
    make_acs,
)

from drivers.sip2 import build, decode, encode

# --- strict: only SIP2 2.00 fields -------------------------------------------------------

def test_strict_sends_no_extension_pa_or_3m_fields_in_a_full_session(make_acs):
    acs = make_acs("strict")
    sc = acs.sc()
    sc.ask("99")
    for patron in (KIM, OH, "NOBODY"):
        sc.ask("23", ("AO", ISIL), ("AA", patron))
        for summary in (None, 0, 1, 2, 3, 4, 5):
            info(sc, patron, summary)
    sc.ask("17", ("AO", ISIL), ("AB", item(1)))
    sc.ask("17", ("AO", ISIL), ("AB", "NOPE"))
    assert lend(sc, KIM, 1, ("XT", "6f1c0c52-6a43-4a57-9a55-0e6b0a3a0001")).fixed["ok"] == "1"
    sc.ask("29", ("AO", ISIL), ("AA", KIM), ("AB", item(1)))
    assert hold(sc, OH, 1).fixed["ok"] == "1"
    assert hold(sc, OH, 2).fixed["ok"] == "0"
    returned = give_back(sc, 1)
    assert (returned.fixed["ok"], returned.fixed["alert"]) == ("1", "Y")  # a hold is ready
    give_back(sc, 1)
    give_back(sc, "NOPE")
    info(sc, OH, 0)
    sc.ask("17", ("AO", ISIL), ("AB", item(1)))
    assert hold(sc, OH, 1, "-").fixed["ok"] == "1"
    sc.ask("01", ("AO", ISIL), ("AL", "card lost"), ("AA", OH))
    sc.ask("35", ("AO", ISIL), ("AA", KIM))
    sent = set().union(*(ids(a) for a in sc.answers))
    assert not {i for i in sent if i.startswith("X")}
    assert not sent & {"PA", "CV", "CY", "DA"}
    assert {"AF", "CB", "BV", "BH", "CC"} <= sent  # standard fields it does send


def test_strict_ignores_xt_so_a_repeated_checkout_is_not_a_duplicate(make_acs):
    sc = make_acs("strict").sc()
    xt = ("XT", "6f1c0c52-6a43-4a57-9a55-0e6b0a3a0002")
    assert lend(sc, KIM, 1, xt).fixed["ok"] == "1"
    again = lend(sc, KIM, 1, xt)
    assert again.fixed["ok"] == "0" and again.get("AF") == "Item already on loan to you"


# --- times ------------------------------------------------------------------------------

@pytest.mark.parametrize("profile, due", [
    ("project", "20260317   Z145959"), ("strict", "20260317   Z145959"),
    ("koha", "20260317    235959"), ("evergreen", "2026-03-17 23:59:59")])
def test_due_dates_and_timestamps_in_each_profile(make_acs, profile, due):
    sc = make_acs(profile).sc()
    lent = lend(sc, KIM, 1)
    assert lent.get("AH") == due
    stamp = lent.fixed["transaction_date"]
    if profile in ("koha", "evergreen"):
        assert LOCAL_STAMP.match(stamp) and stamp.startswith("20260302    10")
    else:
        assert UTC_STAMP.match(stamp) and stamp.startswith("20260302   Z01")
    assert sc.ask("17", ("AO", ISIL), ("AB", item(1))).get("AH") == due


def test_koha_and_evergreen_write_every_date_field_in_local_time(make_acs):
    for profile, pickup in (("koha", "20260305    235959"), ("evergreen", "20260305")):
        acs = make_acs(profile)
        sc = acs.sc()
        lend(sc, KIM, 1)
        hold(sc, OH, 1)
        give_back(sc, 1)  # the hold is ready until the end of the 3rd day
        assert sc.ask("17", ("AO", ISIL), ("AB", item(1))).get("CM") == pickup
        for answer in sc.answers:
            for name, value in answer.fixed.items():
                if name.endswith("date") or name == "date_time_sync":
                    assert LOCAL_STAMP.match(value), (profile, answer.code, name, value)
    expiry = make_acs("evergreen").sc()
    assert re.fullmatch(r"\d{8}", info(expiry, KIM).get("PA"))


# --- idle close -------------------------------------------------------------------------

def test_an_idle_connection_is_closed_silently(make_acs):
    sc = make_acs("koha", sip2_idle_timeout=0.3).sc()
    assert sc.receive() is None  # EOF, no message first


def test_a_new_idle_timeout_applies_to_connections_opened_afterwards(make_acs):
    acs = make_acs("project")
    before = acs.sc()
    acs.admin.call("PUT", "/admin/sip2", {"idle_timeout": 0.3})
    after = acs.sc()
    assert after.receive() is None
    assert before.ask("17", ("AO", ISIL), ("AB", item(1))).code == "18"


# --- 97 resend --------------------------------------------------------------------------

def test_koha_rebuilds_the_resend_with_the_97s_sequence_number(make_acs):
    sc = make_acs("koha").sc()
    first = sc.send(encode(build("17", FIXED["17"], [("AO", ISIL), ("AB", item(1))], 3)))
    resent = sc.send(b"97AZFEF5\r")
    assert decode(resent, require_checksum=True).sequence == 0
    assert resent[:-10] == first[:-10] and resent != first
    resent = sc.send(encode(build("97", {}, sequence=5)))
    assert decode(resent, require_checksum=True).sequence == 5 and resent[:-10] == first[:-10]


@pytest.mark.parametrize("profile", ["project", "strict"])
def test_project_and_strict_resend_the_last_answer_verbatim(make_acs, profile):
    sc = make_acs(profile).sc()
    first = sc.send(encode(build("17", FIXED["17"], [("AO", ISIL), ("AB", item(1))], 3)))
    assert sc.send(b"97AZFEF5\r") == first


# --- 98 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("profile, head, supported", [
    ("koha", "YYYYNN100005", "YYYYYYYYYYYNYYYY"), ("evergreen", "YYYYNN600003", None),
    ("project", "YYYYNY030003", None)])
def test_sc_status_per_profile(make_acs, profile, head, supported):
    status = make_acs(profile).sc().ask("99")
    fixed = "".join(status.fixed[n] for n in ("online_status", "checkin_ok", "checkout_ok",
                                             "renewal_policy", "status_update_ok", "offline_ok",
                                             "timeout_period", "retries_allowed"))
    assert fixed == head
    assert status.get("BX")[3] == "Y"  # Block Patron is answered
    if supported:
        assert status.get("BX") == supported


# --- 64 holds ---------------------------------------------------------------------------

@pytest.mark.parametrize("profile, count, listed", [
    ("koha", "0001", [item(1)]), ("evergreen", "0002", [item(1), item(2)])])
def test_hold_items_are_the_ready_ones_in_koha_and_all_in_evergreen(
        make_acs, profile, count, listed):
    sc = make_acs(profile).sc()
    lend(sc, KIM, 1)
    lend(sc, KIM, 2)
    hold(sc, OH, 1)
    hold(sc, OH, 2)
    give_back(sc, 1)  # OH's hold on copy 1 is ready; on copy 2 it waits
    holds = info(sc, OH, 0)
    assert holds.fixed["hold_items_count"] == count and holds.all("AS") == listed
    unavailable = info(sc, OH, 5)
    assert unavailable.fixed["unavailable_holds_count"] == "0001"
    assert unavailable.all("CD") == [item(2)]


def test_evergreen_sends_the_home_library_as_aq_and_no_charged_limit(make_acs):
    patron = info(make_acs("evergreen").sc(), KIM)
    assert patron.get("AQ") == ISIL and patron.get("CB") is None and patron.get("CC") is None
    assert patron.get("BV") == "0.00"


# --- checkout of a copy the patron has ---------------------------------------------------

def test_koha_renews_a_copy_checked_out_again_by_the_same_patron_and_ignores_xt(make_acs):
    sc = make_acs("koha").sc()
    xt = ("XT", "6f1c0c52-6a43-4a57-9a55-0e6b0a3a0003")
    first = lend(sc, KIM, 1, xt)
    again = lend(sc, KIM, 1, xt)
    assert (again.fixed["ok"], again.fixed["renewal_ok"]) == ("1", "Y")
    assert again.get("AF") == "Item already checked out to you: renewing item."
    assert (first.get("AH"), again.get("AH")) == ("20260317    235959", "20260324    235959")
    third = lend(sc, KIM, 1)  # one renewal only
    assert (third.fixed["ok"], third.fixed["renewal_ok"]) == ("0", "N")
    assert third.get("AF") == "Item cannot be issued: RENEWAL_LIMIT"


def test_the_project_profile_answers_a_repeated_xt_as_a_duplicate(make_acs):
    sc = make_acs("project").sc()
    xt = ("XT", "6f1c0c52-6a43-4a57-9a55-0e6b0a3a0004")
    first, again = lend(sc, KIM, 1, xt), lend(sc, KIM, 1, xt)
    assert again.fixed["ok"] == "1" and again.get("XD") == "Y"
    assert again.get("AH") == first.get("AH")


def test_evergreen_renews_only_when_the_sc_allows_renewals(make_acs):
    sc = make_acs("evergreen").sc()
    lend(sc, KIM, 1)
    refused = lend(sc, KIM, 1)
    assert (refused.fixed["ok"], refused.fixed["renewal_ok"]) == ("0", "Y")
    assert refused.get("AF") == "Renewals not permitted"
    renewed = lend(sc, KIM, 1, renewal_policy="Y")
    assert renewed.fixed["ok"] == "1" and renewed.get("AH") == "2026-03-24 23:59:59"


def test_koha_refuses_a_checkout_with_its_fixed_fields_and_texts(make_acs):
    sc = make_acs("koha").sc()
    unknown = lend(sc, "NOBODY", 1)
    assert "".join(unknown.fixed[n] for n in ("ok", "renewal_ok", "magnetic_media",
                                              "desensitize")) == "0NUN"
    assert unknown.get("AF") == "Invalid Patron" and unknown.get("BL") == "N"
    assert unknown.get("AH") == "" and {"AO", "AA", "AB", "AJ"} <= ids(unknown)
    blocked = lend(sc, "111001000008", 1)  # demo patron with a lost card
    assert blocked.get("AF") == "Patron blocked" and blocked.get("BL") == "Y"


# --- checkin ----------------------------------------------------------------------------

@pytest.mark.parametrize("profile, ok, alert, text", [
    ("project", "0", "N", None), ("strict", "0", "N", "Item not on loan"),
    ("koha", "0", "Y", "Item not checked out"), ("evergreen", "1", "N", None)])
def test_checkin_of_a_copy_not_on_loan(make_acs, profile, ok, alert, text):
    back = give_back(make_acs(profile).sc(), 1)
    assert (back.fixed["ok"], back.fixed["alert"], back.get("AF")) == (ok, alert, text)


@pytest.mark.parametrize("profile, alert, cv, text", [
    ("koha", "Y", "99", "Invalid Item"), ("evergreen", "N", None, "Invalid Item Barcode: 'NOPE'")])
def test_checkin_of_an_unknown_copy(make_acs, profile, alert, cv, text):
    back = give_back(make_acs(profile).sc(), "NOPE")
    assert (back.fixed["ok"], back.fixed["alert"], back.get("CV"), back.get("AF")) == (
        "0", alert, cv, text)


@pytest.mark.parametrize("profile", ["koha", "evergreen"])
def test_a_checkin_that_makes_a_hold_ready_names_its_patron(make_acs, profile):
    sc = make_acs(profile).sc()
    lend(sc, KIM, 1)
    hold(sc, OH, 1)
    back = give_back(sc, 1)
    assert (back.fixed["alert"], back.get("CV"), back.get("CY")) == ("Y", "01", OH)
    assert back.get("DA") == "Oh Taeyang" and back.get("AA") == KIM
    assert back.get("AQ") == MACHINE


# --- item information and holds ---------------------------------------------------------

def test_unknown_item_information_in_koha(make_acs):
    unknown = make_acs("koha").sc().ask("17", ("AO", ISIL), ("AB", "NOPE"))
    assert (unknown.fixed["circulation_status"], unknown.fixed["security_marker"],
            unknown.fixed["fee_type"]) == ("01", "01", "01")
    assert unknown.fields == (("AB", "NOPE"), ("AJ", ""))


@pytest.mark.parametrize("profile, queue", [("project", "0"), ("koha", None), ("evergreen", None)])
def test_hold_queue_length_of_an_item_nobody_holds(make_acs, profile, queue):
    assert make_acs(profile).sc().ask("17", ("AO", ISIL), ("AB", item(1))).get("CF") == queue


@pytest.mark.parametrize("profile", ["koha", "evergreen"])
def test_a_refused_hold_carries_no_item(make_acs, profile):
    refused = hold(make_acs(profile).sc(), OH, 1)  # the copy is in: item_available
    assert refused.fixed["ok"] == "0" and ids(refused) <= {"AO", "AA", "AF"}


def test_the_project_profile_echoes_the_item_of_a_refused_hold(make_acs):
    refused = hold(make_acs("project").sc(), OH, 1)
    assert refused.get("AB") == item(1) and refused.get("XR") == "item_available"


def test_evergreen_places_and_cancels_holds(make_acs):
    sc = make_acs("evergreen").sc()
    lend(sc, KIM, 1)
    placed = hold(sc, OH, 1)
    assert placed.fixed["ok"] == "1" and placed.get("BR") == "1"
    cancelled = hold(sc, OH, 1, "-")
    assert cancelled.fixed["ok"] == "1" and cancelled.get("AF") == "Hold Cancelled."
    assert hold(sc, OH, 1, "-").get("AF") == "No such hold."


# --- character sets ---------------------------------------------------------------------

@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
@pytest.mark.parametrize("profile", ["koha", "strict"])
def test_hangul_names_and_titles_round_trip(make_acs, background_loop, charset, profile):
    acs = make_acs(profile, sip2_encoding=charset)
    member = acs.admin.patron(name="김민지")

    async def retitle() -> None:  # the first demo copy has an English title
        acs.running.sim.library.run(
            "UPDATE titles SET title = '채식주의자' WHERE title_id = "
            "(SELECT title_id FROM items WHERE item_id = ?)", item(1))
    background_loop.run(retitle())
    sc = acs.sc(charset)
    assert info(sc, member).get("AE") == "김민지"  # decode checked the checksum of the bytes
    assert lend(sc, member, 1).get("AJ") == "채식주의자"
