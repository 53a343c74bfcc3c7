"""Shared helpers of the journal tests (imported by test_journal_*.py), and tests of the
consistency checker they rely on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.journal import (
    ItemStocked,
    Journal,
    JournalRefused,
    Loan,
    Payload,
    Refusal,
    VendFetched,
    VendPresented,
    VendStarted,
    VendTaken,
)
from kiosk.journal.checks import CHECKS, consistency_problems

SLOT_COUNT = 20
DUE = date(2030, 1, 16)
TABLES = ("events", "items", "slots", "intents", "loans", "audit_flags", "holds",
          "patrons", "outbox", "conflict_resolutions")


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 3, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock for the journal."""
    return ManualClock()


@pytest.fixture
def journal(tmp_path: Path, clock: ManualClock) -> Iterator[Journal]:
    """A fresh journal of SLOT_COUNT slots on disk."""
    with Journal.open(tmp_path / "journal.db", slot_count=SLOT_COUNT, clock=clock) as j:
        yield j


def uid(item_id: str) -> str:
    """A tag UID for an item id."""
    return "E004" + item_id.encode().hex().upper()


def stock(journal: Journal, item_id: str, slot: int) -> None:
    """Put a new item into a slot."""
    journal.append(ItemStocked(item_id, uid(item_id), f"Title of {item_id}", slot))


def present(journal: Journal, item_id: str, patron_id: str = "P1", plc_seq: int = 1) -> str:
    """Vend an item up to the open pickup door; returns the vend intent's id."""
    slot = journal.item(item_id).slot
    event = journal.append(VendStarted(item_id, slot, patron_id, "S1", plc_seq))
    journal.append(VendFetched(item_id))
    journal.append(VendPresented(item_id))
    return event.uuid


def lend(journal: Journal, item_id: str, patron_id: str = "P1") -> Loan:
    """Vend an item all the way to a loan."""
    present(journal, item_id, patron_id)
    journal.append(VendTaken(item_id, patron_id, DUE))
    return journal.open_loan(item_id)


def snapshot(journal: Journal) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that nothing was written."""
    return {t: journal.db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}


def refused(journal: Journal, payload: Payload, code: Refusal) -> None:
    """Assert that the journal refuses `payload` with `code` and writes nothing."""
    before = snapshot(journal)
    with pytest.raises(JournalRefused) as caught:
        journal.append(payload)
    assert caught.value.code is code
    assert snapshot(journal) == before


def test_a_sound_journal_has_no_problems(journal: Journal) -> None:
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    lend(journal, "B1")
    present(journal, "B2")
    assert consistency_problems(journal) == []


CORRUPTIONS = {
    "slot item not in that slot": "UPDATE slots SET slot = 5 WHERE slot = 0",
    "item in a slot missing from slots": "DELETE FROM slots WHERE slot = 0",
    "one-book place holds several items":
        "DELETE FROM slots; UPDATE items SET place = 'picker', slot = NULL",
    "item on loan without an open loan":
        "DELETE FROM slots WHERE slot = 0; UPDATE items SET place = 'on_loan', slot = NULL "
        "WHERE item_id = 'B1'",
    "open loan of an item not on loan":
        "INSERT INTO loans VALUES ('L', 'B1', 'P', 't', '2030-01-01', 0, 0, NULL, NULL)",
    "unknown item without an open audit flag":
        "DELETE FROM slots WHERE slot = 0; UPDATE items SET place = 'unknown', slot = NULL "
        "WHERE item_id = 'B1'",
    "open intent whose item is elsewhere":
        "INSERT INTO intents (intent_id, kind, stage, item_id, slot, opened_at) "
        "VALUES ('I', 'vend', 'moving', 'B1', 1, 't')",
    "slot reserved by an intent holds another item":
        "INSERT INTO intents (intent_id, kind, stage, item_id, slot, opened_at) "
        "VALUES ('I', 'store', 'moving', NULL, 1, 't')",
    "hold on an item no longer in the collection":
        "DELETE FROM slots WHERE slot = 0; UPDATE items SET place = 'removed', slot = NULL "
        "WHERE item_id = 'B1'; INSERT INTO holds VALUES ('H', 'B1', 'P', 't', NULL, NULL, NULL, NULL, 'machine')",
}


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_each_check_finds_its_corruption(journal: Journal, rule: str) -> None:
    stock(journal, "B1", 0)
    stock(journal, "B2", 1)
    journal.db.execute("PRAGMA foreign_keys=OFF")
    with journal.db.atomic():
        for statement in CORRUPTIONS[rule].split("; "):
            journal.db.execute(statement)
    assert any(problem.startswith(rule) for problem in consistency_problems(journal))
