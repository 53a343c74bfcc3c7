"""The emulator's ACS profiles on the wire: project, strict, Koha- and Evergreen-like."""

from __future__ import annotations

import re
import socket
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from library_fixtures import (  # noqa: F401 - fixtures
    MACHINE,
    BackgroundLoop,
    RunningLibrary,
    background_loop,
    item,
    start_library,
)

from drivers.sip2 import Message, build, decode, encode
from sim.library import DEMO_TOKEN, LibrarySim

T = " " * 18
ISIL = "111001"
KIM, OH = "111001000001", "111001000009"  # demo patrons: good member, second good member
NOW = "2026-03-02T10:00:00+09:00"  # the library's clock in these tests (Asia/Seoul)
FIXED = {
    "93": {"uid_algorithm": "0", "pwd_algorithm": "0"},
    "99": {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"},
    "23": {"language": "000", "transaction_date": T},
    "63": {"language": "000", "transaction_date": T, "summary": " " * 10},
    "11": {"renewal_policy": "N", "no_block": "N", "transaction_date": T, "nb_due_date": T},
    "29": {"third_party_allowed": "N", "no_block": "N", "transaction_date": T, "nb_due_date": T},
    "09": {"no_block": "N", "transaction_date": T, "return_date": T},
    "17": {"transaction_date": T},
    "15": {"hold_mode": "+", "transaction_date": T},
    "35": {"transaction_date": T},
    "01": {"card_retained": "N", "transaction_date": T},
}
LOCAL_STAMP = re.compile(r"\d{8} {4}\d{6}\Z")
UTC_STAMP = re.compile(r"\d{8} {3}Z\d{6}\Z")


class Sc:
    """A bare SC on a real socket; keeps every answer it got."""

    def __init__(self, endpoint: dict, encoding: str = "utf-8") -> None:
        self.sock = socket.create_connection((endpoint["sip2_host"], endpoint["sip2_port"]), 10)
        self.encoding = encoding
        self.buffer = b""
        self.answers: list[Message] = []

    def send(self, data: bytes) -> bytes | None:
        """Send bytes; the CR-terminated answer, or None when the ACS closed the connection."""
        self.sock.sendall(data)
        return self.receive()

    def receive(self) -> bytes | None:
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        answer, _, self.buffer = self.buffer.partition(b"\r")
        return answer + b"\r"

    def ask(self, code: str, *fields: tuple[str, str], seq: int = 1, **fixed: str) -> Message:
        """One request (default fixed fields), its checked answer."""
        msg = build(code, {**FIXED[code], **fixed}, fields, seq)
        wire = self.send(encode(msg, encoding=self.encoding))
        assert wire is not None, f"the ACS hung up on {code}"
        answer = decode(wire, encoding=self.encoding, require_checksum=True)
        self.answers.append(answer)
        return answer

    def login(self) -> Sc:
        assert self.ask("93", ("CN", MACHINE), ("CO", DEMO_TOKEN), ("CP", MACHINE),
                        seq=0).fixed["ok"] == "1"
        return self

    def close(self) -> None:
        self.sock.close()


class Acs:
    """A started emulator in one profile, its admin API and SCs."""

    def __init__(self, running: RunningLibrary) -> None:
        self.running = running
        self.admin = running.admin
        self.scs: list[Sc] = []

    def sc(self, encoding: str = "utf-8") -> Sc:
        """A new logged-in SC connection."""
        sc = Sc(self.running.endpoint, encoding)
        self.scs.append(sc)
        return sc.login()

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """A kiosk-facing HTTP API call of the machine."""
        url = f"{self.running.endpoint['url']}/api/v1/machines/{MACHINE}{path}"
        return requests.request(method, url, json=body, timeout=10,
                                headers={"Authorization": f"Bearer {DEMO_TOKEN}"})


@pytest.fixture
def make_acs(background_loop: BackgroundLoop, tmp_path: Path) -> Iterator[Callable[..., Acs]]:
    started: list[Acs] = []

    def make(profile: str = "project", **options: Any) -> Acs:
        path = tmp_path / f"acs{len(started)}"
        path.mkdir()
        acs = Acs(start_library(background_loop, path, sip2_profile=profile, **options))
        acs.admin.call("POST", "/admin/clock", {"set": NOW})
        started.append(acs)
        return acs

    yield make
    for acs in started:
        for sc in acs.scs:
            sc.close()
        background_loop.run(acs.running.sim.stop())


def lend(sc: Sc, patron: str, n: int, *fields: tuple[str, str], **fixed: str) -> Message:
    return sc.ask("11", ("AO", ISIL), ("AA", patron), ("AB", item(n)), *fields, **fixed)


def give_back(sc: Sc, n: int | str) -> Message:
    return sc.ask("09", ("AO", ISIL), ("AB", item(n) if isinstance(n, int) else n))


def hold(sc: Sc, patron: str, n: int, mode: str = "+") -> Message:
    return sc.ask("15", ("AO", ISIL), ("AA", patron), ("AB", item(n)), hold_mode=mode)


def info(sc: Sc, patron: str, summary: int | None = None, *fields: tuple[str, str]) -> Message:
    wanted = [" "] * 10
    if summary is not None:
        wanted[summary] = "Y"
    return sc.ask("63", ("AO", ISIL), ("AA", patron), *fields, summary="".join(wanted))


def ids(msg: Message) -> set[str]:
    return {k for k, _ in msg.fields}


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


# --- fees -------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["project", "strict", "koha", "evergreen"])
def test_fees_above_the_limit_block_borrowing(make_acs, profile):
    acs = make_acs(profile)
    debtor = acs.admin.patron(fees_owed=6000)
    sc = acs.sc()
    patron = info(sc, debtor)
    flags = patron.fixed["patron_status"]
    assert (flags[0], flags[10], flags[11]) == ("Y", "Y", "Y")
    assert flags[4] == flags[5] == flags[6] == " "
    assert (patron.get("BV"), patron.get("BH")) == ("6000.00", "KRW")
    assert patron.get("CC") == (None if profile == "evergreen" else "5000.00")
    assert lend(sc, debtor, 1).fixed["ok"] == "0"
    status = acs.api("GET", f"/patrons/{debtor}/status").json()
    assert status["reason"] == "fees_owed"


def test_fees_under_the_limit_are_shown_but_do_not_block(make_acs):
    acs = make_acs("koha")
    member = acs.admin.patron()
    acs.admin.call("POST", f"/admin/patrons/{member}/fees", {"amount": 100})
    sc = acs.sc()
    patron = info(sc, member)
    assert patron.get("BV") == "100.00" and patron.fixed["patron_status"][10] == " "
    assert info(sc, KIM).get("BV") is None  # Koha leaves out a zero balance
    assert lend(sc, member, 1).fixed["ok"] == "1"
    acs.admin.call("POST", f"/admin/patrons/{member}/fees", {"amount": 5001})
    refused = lend(sc, member, 2)
    assert refused.fixed["ok"] == "0" and refused.get("AF") == "Patron has fines"


@pytest.mark.parametrize("profile, text", [("koha", None), ("evergreen", "Fee required"),
                                           ("project", None)])
def test_a_loan_fee_must_be_acknowledged(make_acs, profile, text):
    acs = make_acs(profile)
    acs.admin.call("POST", f"/admin/items/{item(1)}/fee", {"amount": 500})
    sc = acs.sc()
    refused = lend(sc, KIM, 1)
    assert refused.fixed["ok"] == "0" and refused.get("AF") == text
    assert (refused.get("BV"), refused.get("BH")) == ("500.00", "KRW")
    assert acs.admin.item(item(1))["status"] == "available"
    lent = lend(sc, KIM, 1, ("BO", "Y"))
    assert lent.fixed["ok"] == "1" and lent.get("BV") == "500.00"
    assert acs.admin.item(item(1))["status"] == "on_loan"


def test_fee_amounts_are_checked_by_the_admin_api(make_acs):
    admin = make_acs().admin
    admin.call("POST", f"/admin/items/{item(1)}/fee", {"amount": -1}, expect=400)
    admin.call("POST", f"/admin/patrons/{KIM}/fees", {}, expect=400)
    admin.call("POST", "/admin/patrons", {"member_number": "F1", "name": "F",
                                          "fees_owed": "lots"}, expect=400)


# --- block patron -----------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["project", "strict", "koha", "evergreen"])
def test_block_patron_blocks_the_card_and_answers_with_a_patron_status(make_acs, profile):
    acs = make_acs(profile)
    sc = acs.sc()
    answer = sc.ask("01", ("AO", ISIL), ("AL", "card reported lost"), ("AA", KIM),
                    card_retained="Y")
    assert answer.code == "24" and answer.get("BL") == "Y"
    flags = answer.fixed["patron_status"]
    assert (flags[0], flags[4]) == ("Y", "Y")
    report = acs.admin.report(KIM)
    assert report["status"] == "blocked" and "card reported lost" in report["block_note"]
    assert lend(sc, KIM, 1).fixed["ok"] == "0"
    assert acs.api("GET", f"/patrons/{KIM}/status").json()["reason"] == "patron_blocked"


def test_the_http_api_blocks_a_patron(make_acs):
    acs = make_acs()
    answer = acs.api("POST", f"/patrons/{OH}/block", {"reason": "card lost", "card_retained": True})
    assert answer.status_code == 200
    assert answer.json() == {"patron": acs.api("POST", "/patrons/lookup", {
        "member_number": OH}).json(), "blocked": True}
    assert acs.admin.report(OH)["block_note"] == "card lost (card retained)"
    assert acs.api("POST", "/patrons/NOBODY/block", {}).status_code == 404
    assert acs.api("POST", f"/patrons/{OH}/block", {"card_retained": "yes"}).status_code == 400


# --- terminal password ------------------------------------------------------------------

def test_a_terminal_password_must_be_sent_when_one_is_set(make_acs):
    acs = make_acs("koha", sip2_terminal_password="s3cret")
    sc = acs.sc()
    for refused in (lend(sc, KIM, 1), lend(sc, KIM, 1, ("AC", "wrong")),
                    give_back(sc, 1), hold(sc, OH, 1),
                    sc.ask("29", ("AO", ISIL), ("AA", KIM), ("AB", item(1)))):
        assert refused.fixed["ok"] == "0" and refused.get("AF") == "Invalid terminal password"
    assert acs.admin.item(item(1))["status"] == "available"
    assert sc.ask("23", ("AO", ISIL), ("AA", KIM)).get("BL") == "N"
    assert info(sc, KIM, None, ("AC", "wrong")).get("BL") == "N"
    assert info(sc, KIM, None, ("AC", "s3cret")).get("BL") == "Y"
    assert lend(sc, KIM, 1, ("AC", "s3cret")).fixed["ok"] == "1"


# --- character sets ---------------------------------------------------------------------

@pytest.mark.parametrize("charset", ["utf-8", "euc-kr"])
@pytest.mark.parametrize("profile", ["koha", "strict"])
def test_hangul_names_and_titles_round_trip(make_acs, background_loop, charset, profile):
    acs = make_acs(profile, sip2_encoding=charset)
    member = acs.admin.patron(name="김민지")

    async def retitle() -> None:  # the demo catalogue has no Korean title
        acs.running.sim.library.run(
            "UPDATE titles SET title = '채식주의자' WHERE title_id = "
            "(SELECT title_id FROM items WHERE item_id = ?)", item(1))
    background_loop.run(retitle())
    sc = acs.sc(charset)
    assert info(sc, member).get("AE") == "김민지"  # decode checked the checksum of the bytes
    assert lend(sc, member, 1).get("AJ") == "채식주의자"


# --- admin API --------------------------------------------------------------------------

def test_admin_sip2_settings(make_acs):
    acs = make_acs()
    admin = acs.admin
    assert admin.call("GET", "/admin/sip2") == {
        "profile": "project", "idle_timeout": None, "terminal_password_set": False}
    old = acs.sc()
    assert admin.call("PUT", "/admin/sip2", {"profile": "koha"})["idle_timeout"] == 600
    assert admin.call("PUT", "/admin/sip2", {"idle_timeout": 0})["idle_timeout"] is None
    assert admin.call("PUT", "/admin/sip2", {"terminal_password": "x"}) == {
        "profile": "koha", "idle_timeout": None, "terminal_password_set": True}
    admin.call("PUT", "/admin/sip2", {"profile": "aleph"}, expect=400)
    admin.call("PUT", "/admin/sip2", {"idle_timeout": -1}, expect=400)
    assert admin.call("GET", "/admin/sip2")["profile"] == "koha"
    assert old.ask("99").fixed["timeout_period"] == "030"  # opened before: still project
    assert acs.sc().ask("99").fixed["timeout_period"] == "100"


def test_an_unknown_profile_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError):
        LibrarySim(tmp_path / "library.sqlite", sip2_profile="aleph")


OLD_SCHEMA = """
CREATE TABLE patrons (
    member_number TEXT PRIMARY KEY, name TEXT NOT NULL, home_isil TEXT NOT NULL,
    pin_hash TEXT, expires_on TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'active',
    suspended_until TEXT);
CREATE TABLE items (
    item_id TEXT PRIMARY KEY, title_id INTEGER NOT NULL, owner_isil TEXT NOT NULL,
    home_machine TEXT);
INSERT INTO patrons VALUES ('OLD1', 'Old Patron', '111001', NULL, '2099-01-01', 'active', NULL);
"""


def test_a_database_of_an_older_emulator_gains_the_fee_columns(background_loop, tmp_path):
    with sqlite3.connect(tmp_path / "library.sqlite") as old:
        old.executescript(OLD_SCHEMA)
    running = start_library(background_loop, tmp_path)
    try:
        running.admin.call("POST", "/admin/patrons/OLD1/fees", {"amount": 7})
        assert running.admin.report("OLD1")["fees_owed"] == 7
        assert running.admin.item(item(1))["loan_fee"] == 0
    finally:
        background_loop.run(running.sim.stop())
