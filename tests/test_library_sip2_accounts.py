"""The emulator's SIP2 additions in every profile: fees, Block Patron, terminal password,
run-time settings, and a database file of an older emulator."""

from __future__ import annotations

import sqlite3

import pytest
from library_fixtures import background_loop, item, start_library  # noqa: F401 - fixtures
from sip2_acs import ISIL, KIM, OH, give_back, hold, info, lend, make_acs  # noqa: F401

from sim.library import LibrarySim

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
