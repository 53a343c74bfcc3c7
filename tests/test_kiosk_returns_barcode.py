"""End to end: a returned book whose tag cannot be read is identified by its item barcode.

The machine pushes the book out, the patron scans its barcode and puts it back in; the loan is
closed (in the journal and at the library) and the book goes to the overflow bin, its tag to be
repaired. With no scan, the book is handed back and the loan stays open.
"""

from __future__ import annotations

import sqlite3

from conftest import wait_for
from kiosk_rig import KioskRig


def borrowed_book(kiosk: KioskRig, position: int = 0) -> str:
    """Borrow one book, end the session, wait until the library knows of the loan."""
    kiosk.start_session()
    item = kiosk.books()[position]["item_id"]
    kiosk.borrow([item])
    kiosk.api("/api/session/end")
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkout sync")
    return item


def insert_with_broken_tag(kiosk: KioskRig, item: str) -> None:
    """Open the return slot, insert the book with its tag broken, wait for the barcode prompt."""
    kiosk.api("/api/return")
    kiosk.wait_state("awaiting_insert")
    kiosk.sim.world_post("/return/insert", {"item_id": item, "damaged_tag": True})
    kiosk.wait_state(lambda s: (s["progress"] or {}).get("step") == "scan_book_barcode")


def loan_returned(kiosk: KioskRig, item: str) -> bool:
    """Whether the journal's loan of this item is closed (read-only, beside the controller)."""
    db = sqlite3.connect(f"file:{kiosk.directory / 'state' / 'journal.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT returned_at FROM loans WHERE item_id = ?", (item,)).fetchall()
    finally:
        db.close()
    assert len(rows) == 1, rows
    return rows[0][0] is not None


def test_a_book_with_a_broken_tag_is_returned_by_its_barcode_into_the_bin(kiosk):
    item = borrowed_book(kiosk)
    insert_with_broken_tag(kiosk, item)
    assert kiosk.sim.world_get()["return_opening"]["item_id"] == item  # pushed out to the patron

    kiosk.sim.world_post("/return/take-back")
    kiosk.sim.world_post("/barcode/scan", {"data": item})
    kiosk.wait_state(lambda s: (s["progress"] or {}).get("step") == "insert_again")
    kiosk.sim.world_post("/return/insert", {"item_id": item})
    state = kiosk.wait_state(lambda s: s["state"] in ("ready", "out_of_service"))

    assert state["state"] == "ready"
    assert state["notice"] == {"code": "return_accepted", "item_id": item, "days_late": 0,
                               "tag_unreadable": True}
    world = kiosk.sim.world_get()
    assert item in [book["item_id"] for book in world["overflow_bin"]]
    assert loan_returned(kiosk, item)
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkin sync")
    assert kiosk.library("GET", f"/admin/items/{item}")["status"] == "available"
    assert "its tag needs repair" in kiosk.log()
    flags = kiosk.control("flags")  # known by its barcode alone: a person checks the bin
    assert [(f["reason"], f["place"]) for f in flags] == [("inventory_mismatch", "bin")]


def test_another_book_put_back_after_the_scan_is_handed_back_and_no_loan_closes(kiosk):
    item = borrowed_book(kiosk)
    other = borrowed_book(kiosk, position=5)
    insert_with_broken_tag(kiosk, item)
    kiosk.sim.world_post("/return/take-back")
    kiosk.sim.world_post("/barcode/scan", {"data": item})
    kiosk.wait_state(lambda s: (s["progress"] or {}).get("step") == "insert_again")
    kiosk.sim.world_post("/return/insert", {"item_id": other})  # not the book pushed out
    state = kiosk.wait_state(lambda s: s["state"] == "handing_back" or (
        s["state"] == "ready" and (s["notice"] or {}).get("code") == "return_rejected"))
    assert (state["notice"] or {}).get("code") == "return_rejected"
    wait_for(lambda: kiosk.sim.world_get()["return_opening"], 30, message="the book pushed out")
    assert kiosk.sim.world_post("/return/take-back")["item_id"] == other
    kiosk.wait_state("ready")
    assert not loan_returned(kiosk, item) and not loan_returned(kiosk, other)


def test_with_no_barcode_scanned_the_book_is_handed_back_and_stays_on_loan(make_kiosk):
    kiosk = make_kiosk(session="barcode_timeout = 2.0")
    item = borrowed_book(kiosk)
    insert_with_broken_tag(kiosk, item)
    kiosk.sim.world_post("/return/take-back")
    state = kiosk.wait_state(lambda s: s["state"] in ("ready", "out_of_service"))

    assert state["state"] == "ready"
    assert state["notice"]["code"] == "return_rejected"
    assert state["notice"]["reason"] == "unreadable_tag"
    world = kiosk.sim.world_get()
    assert item in [book["item_id"] for book in world["out"]]
    assert world["sensors"]["return_shutter_closed"]
    assert not loan_returned(kiosk, item)
