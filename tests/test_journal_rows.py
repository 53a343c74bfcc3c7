"""The journal's reads: rows decoded by codec.row_decoder give what codec.decode gives."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.journal import (
    AuditFlag,
    Hold,
    HoldPlaced,
    Intent,
    Item,
    Journal,
    Loan,
    MoveFailure,
    PayloadError,
    VendFailed,
    VendStarted,
)
from kiosk.journal.codec import decode, row_decoder
from test_journal_support import clock, journal, lend, stock  # noqa: F401

RECORDS = [(Item, "items"), (Intent, "intents"), (Loan, "loans"), (AuditFlag, "audit_flags"),
           (Hold, "holds")]


def _rows(source: Journal, sql: str) -> tuple[tuple[str, ...], list[tuple]]:
    cursor = source.db.conn.execute(sql)
    return tuple(d[0] for d in cursor.description), cursor.fetchall()


@pytest.fixture
def busy(journal: Journal) -> Journal:  # noqa: F811
    """Items in slots, on loan and unknown; open, done and failed intents; a hold; a flag."""
    for n, item_id in enumerate(("B1", "B2", "B3", "B4")):
        stock(journal, item_id, n)
    lend(journal, "B1", "P1")
    journal.append(VendStarted("B2", 1, "P1", "S1", 7))
    journal.append(VendFailed("B2", MoveFailure.JAM))
    journal.append(VendStarted("B3", 2, "P2", "S2", 8))
    journal.append(HoldPlaced("B4", "P3"))
    return journal


@pytest.mark.parametrize(("cls", "table"), RECORDS)
def test_every_row_reads_as_decode_reads_it(busy: Journal, cls: type, table: str) -> None:
    columns, rows = _rows(busy, f"SELECT * FROM {table} ORDER BY rowid")
    assert rows
    read = row_decoder(cls, columns)
    got = [read(row) for row in rows]
    expected = [decode(cls, dict(zip(columns, row)), strict=False) for row in rows]
    assert got == expected
    assert [_types(r) for r in got] == [_types(r) for r in expected]  # "slot" == Place.SLOT


def _types(record: object) -> list[type]:
    return [type(getattr(record, f.name)) for f in dataclasses.fields(record)]


def test_the_reader_api_returns_the_records_it_returned_before(busy: Journal) -> None:
    assert busy.item("B2") == decode(Item, dict(zip(*_one(busy, "items", "B2"))), strict=False)
    assert busy.open_intent_for("B3").patron_id == "P2"
    assert busy.open_loan("B1").patron_id == "P1"
    assert [f.item_id for f in busy.open_flags()] == ["B2"]
    assert busy.active_hold("B4").patron_id == "P3"


def _one(source: Journal, table: str, item_id: str) -> tuple[tuple[str, ...], tuple]:
    columns, rows = _rows(source, f"SELECT * FROM {table} WHERE item_id = '{item_id}'")
    return columns, rows[0]


def test_a_row_without_the_newer_columns_takes_their_defaults(busy: Journal) -> None:
    columns, rows = _rows(busy, "SELECT item_id, uid, title, authors, place, slot FROM items")
    item = row_decoder(Item, columns)(rows[0])
    assert (item.year, item.subject, item.popularity) == (None, None, None)
    assert item == decode(Item, dict(zip(columns, rows[0])), strict=False)


@pytest.mark.parametrize(("column", "bad"), [("place", "attic"), ("opened_at", "yesterday")])
def test_a_corrupt_column_is_a_payload_error(busy: Journal, column: str, bad: str) -> None:
    cls, table = (Item, "items") if column == "place" else (Intent, "intents")
    columns, rows = _rows(busy, f"SELECT * FROM {table}")
    row = list(rows[0])
    row[columns.index(column)] = bad
    with pytest.raises(PayloadError, match=column):
        row_decoder(cls, columns)(row)


def test_a_row_missing_a_required_column_is_a_payload_error(busy: Journal) -> None:
    columns, rows = _rows(busy, "SELECT item_id, uid FROM items")
    with pytest.raises(PayloadError, match="Item"):
        row_decoder(Item, columns)(rows[0])
