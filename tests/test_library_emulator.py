"""The emulator itself: runs alone, demo data, hashed PINs, admin API, request checks."""

from __future__ import annotations

import asyncio
import json
import re
import select
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from library_fixtures import (  # noqa: F401 - fixtures
    BOOKS, MACHINE, admin, background_loop, library, make_connector,
)

from kiosk.connectors import ItemStatus
from sim.collection import demo_collection, load_korean
from sim.library import DEMO_PATRONS, DEMO_TOKEN, LibrarySim

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


def api(library, path: str = "") -> str:
    return f"{library.endpoint['url']}/api/v1/machines/{MACHINE}{path}"


def test_runs_alone_and_prints_its_endpoint(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.library", "--db", str(tmp_path / "alone.sqlite"),
         "--books", "10"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the emulator printed no endpoint"
        endpoint = json.loads(process.stdout.readline())
        answer = requests.get(f"{endpoint['url']}/api/v1/machines/kiosk-1", headers=AUTH,
                              timeout=10)
        assert answer.json()["library"] == "111001"
        assert endpoint["sip2_host"] == "127.0.0.1" and endpoint["sip2_port"] > 0
    finally:
        process.terminate()
        process.wait(10)


def test_demo_collection_is_in_the_machine_and_loading_twice_changes_nothing(library,
                                                                             tmp_path):
    library.sim.load_demo(demo_collection(BOOKS))
    ids = [book.item_id for book in demo_collection(BOOKS)]
    catalogue = make_connector("http", library.endpoint, tmp_path).catalogue(ids)
    assert [i.item_id for i in catalogue] == ids
    assert {i.status for i in catalogue} == {ItemStatus.AVAILABLE}
    assert library.admin.report(DEMO_PATRONS[0].member_number)["loans"] == []


def test_the_full_demo_collection_puts_every_korean_book_in_the_library(tmp_path):
    sim = LibrarySim(tmp_path / "full.sqlite", machine_id=MACHINE)
    sim.load_demo(demo_collection())
    korean = {b.item_id: b.title for b in demo_collection() if b.title.language == "kor"}
    rows = sim.library.all("SELECT i.item_id, i.title_id, i.home_machine, t.title, t.year "
                           "FROM items i JOIN titles t USING (title_id) WHERE t.language = 'kor'")
    asyncio.run(sim.stop())  # never started: just closes the database
    assert len(korean) == len(load_korean())
    assert {r["item_id"]: (r["title_id"], r["home_machine"], r["title"], r["year"])
            for r in rows} == {item_id: (t.book_id, MACHINE, t.title, t.year)
                               for item_id, t in korean.items()}


def test_demo_patrons_have_card_uids_of_4_or_7_bytes():
    for patron in DEMO_PATRONS:
        assert re.fullmatch(r"[0-9A-F]{8}|[0-9A-F]{14}", patron.card_uid), patron.name
    assert len({p.card_uid for p in DEMO_PATRONS}) == len(DEMO_PATRONS)


def test_pins_are_stored_hashed(tmp_path):
    sim = LibrarySim(tmp_path / "pins.sqlite")
    sim.load_demo([])
    with_pin = next(p for p in DEMO_PATRONS if p.pin)
    asyncio.run(sim.stop())  # never started: just closes the database
    db = sqlite3.connect(tmp_path / "pins.sqlite")
    [(stored,)] = db.execute("SELECT pin_hash FROM patrons WHERE member_number = ?",
                             (with_pin.member_number,))
    db.close()
    assert stored.startswith("pbkdf2_sha256$") and with_pin.pin not in stored.split("$")


def test_kiosk_api_needs_the_token_and_a_known_machine(library):
    assert requests.get(api(library), timeout=10).status_code == 401
    other = f"{library.endpoint['url']}/api/v1/machines/kiosk-9"
    assert requests.get(other, headers=AUTH, timeout=10).status_code == 403


@pytest.mark.parametrize(("path", "body"), [
    ("/checkouts", {"transaction_id": "not-a-uuid", "patron": "p", "item_id": "i"}),
    ("/checkouts", {"transaction_id": str(uuid.uuid4()), "patron": "p"}),
    ("/checkins", {"transaction_id": str(uuid.uuid4()), "item_id": "i",
                   "occurred_at": "2026-01-01T10:00:00"}),
    ("/patrons/lookup", {"card_uid": "04A1B2C3", "member_number": "1"}),
    ("/events", {"events": [{"id": str(uuid.uuid4()), "kind": "checkout", "item_id": "i",
                             "occurred_at": "2026-01-01T10:00:00+09:00",
                             "machine_id": MACHINE}]}),
    ("/events", {"events": "all of them"}),
])
def test_malformed_requests_are_400(library, path, body):
    answer = requests.post(api(library, path), json=body, headers=AUTH, timeout=10)
    assert answer.status_code == 400 and "error" in answer.json()


def test_clock_can_be_set_and_moved(admin):
    assert admin.call("POST", "/admin/clock",
                      {"set": "2030-05-01T09:00:00+09:00"})["now"].startswith("2030-05-01T09:00")
    assert admin.advance(2).startswith("2030-05-03T09:00")


def test_admin_reads_what_the_library_knows(admin):
    member = admin.patron(card_uid="01 02 03 04", pin="4321", checked_in=["111002"])
    report = admin.report(member)
    assert (report["cards"], report["checked_in"], report["pin"]) == (
        ["01020304"], ["111002"], True)
    admin.call("POST", "/admin/patrons", {"member_number": member, "name": "Again"},
               expect=409)
    admin.call("GET", "/admin/patrons/nobody", expect=404)
    admin.call("POST", "/admin/faults", {"transport": "http", "kind": "jam"}, expect=400)


def test_loans_elsewhere_can_be_made_overdue_and_returned(admin):
    member = admin.patron()
    lent = admin.call("POST", f"/admin/patrons/{member}/loans-elsewhere", {}, expect=201)
    assert lent["status"] == "on_loan" and lent["home_machine"] is None
    admin.call("POST", f"/admin/items/{lent['item_id']}/overdue", {"days": 5})
    returned = admin.call("POST", f"/admin/items/{lent['item_id']}/return", {})
    assert returned["loans"][0]["late_days"] == 5
    assert admin.report(member)["suspended_until"] is not None
    transactions = admin.call("GET", "/admin/transactions?limit=5")
    assert transactions == []  # admin changes are not kiosk transactions
