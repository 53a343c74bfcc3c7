"""The export format of `kiosk journal export`: rows from journal events, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from kiosk.cli.commands_records import CSV_COLUMNS, write_events
from kiosk.control_records import event_row
from kiosk.journal import Journal, PatronVerified, VendTaken
from test_journal_support import clock, journal, lend, stock  # noqa: F401


def _rows(journal: Journal) -> list[dict]:
    stock(journal, "B1", 0)
    lend(journal, "B1", "111001000001")
    journal.append(PatronVerified("111001000001", True))
    return [event_row(e) for e in journal.events()]


def test_a_row_names_the_event_its_item_and_patron(journal: Journal) -> None:
    rows = _rows(journal)
    taken = next(r for r in rows if r["kind"] == "vend_taken")
    assert (taken["item_id"], taken["patron_id"]) == ("B1", "111001000001")
    assert taken["payload"]["due"] == "2030-01-16"
    event = journal.event(taken["event_id"])
    assert isinstance(event.payload, VendTaken) and event.seq == taken["seq"]
    verified = rows[-1]
    assert (verified["item_id"], verified["patron_id"]) == (None, "111001000001")
    json.dumps(rows)  # every row is plain JSON


def test_csv_has_a_header_and_one_row_per_event_with_the_payload_as_json(journal) -> None:
    rows = _rows(journal)
    out = io.StringIO()
    assert write_events(iter(rows), out, "csv") == len(rows)
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(read[0]) == CSV_COLUMNS
    assert [int(r["seq"]) for r in read] == [r["seq"] for r in rows]
    assert [json.loads(r["payload"]) for r in read] == [r["payload"] for r in rows]
    assert read[-1]["item_id"] == ""  # an event of no item: empty, not "None"
    taken = next(r for r in read if r["kind"] == "vend_taken")
    assert date.fromisoformat(json.loads(taken["payload"])["due"]) == date(2030, 1, 16)


def test_json_is_one_array_of_the_rows(journal) -> None:
    rows = _rows(journal)
    out = io.StringIO()
    assert write_events(iter(rows), out, "json") == len(rows)
    assert json.loads(out.getvalue()) == rows
    empty = io.StringIO()
    assert write_events(iter([]), empty, "json") == 0 and json.loads(empty.getvalue()) == []
    assert write_events(iter([]), io.StringIO(), "csv") == 0
