"""End to end: after a loan is returned and delivered, the kiosk's disk keeps no patron identity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import wait_for
from kiosk_rig import GOOD_MEMBER, GOOD_MEMBER_CARD


def stored(path: Path) -> str:
    """Every row of every table of the journal, as text, read by a separate connection."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for table in tables
                         for row in db.execute(f'SELECT * FROM "{table}"'))


def test_a_returned_delivered_loan_leaves_only_keyed_hashes(make_kiosk):
    # verifications kept 0 hours: the member number may go as soon as the loan is closed
    kiosk = make_kiosk(policy="always_open = true\noffline_recent_hours = 0")
    state_dir = kiosk.directory / "state"
    kiosk.start_session()
    item = kiosk.books()[0]["item_id"]
    kiosk.borrow([item])
    kiosk.api("/api/session/end")
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkout sync")
    assert GOOD_MEMBER in stored(state_dir / "journal.db")  # on loan: the journal names the patron

    assert kiosk.return_book({"item_id": item})["notice"]["code"] == "return_accepted"
    wait_for(lambda: kiosk.control("status")["sync"]["backlog"] == 0, 30, message="checkin sync")
    wait_for(lambda: GOOD_MEMBER not in stored(state_dir / "journal.db"), 30,
             message="the member number to leave the journal")
    assert "'h:" in stored(state_dir / "journal.db")

    cache = (state_dir / "patron-cache.json").read_text()
    assert GOOD_MEMBER_CARD not in cache and "Kim" not in cache
    modes = {p.name: p.stat().st_mode & 0o777 for p in state_dir.iterdir() if not p.is_socket()}
    assert set(modes.values()) == {0o600}, modes
    assert state_dir.stat().st_mode & 0o777 == 0o700
