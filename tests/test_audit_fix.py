"""audit_fix on a real journal: what each finding does to it, and a resumed run's new findings."""

from __future__ import annotations

from types import SimpleNamespace

from kiosk.audit_fix import fix
from kiosk.job_audit import AuditRun, Mismatch
from kiosk.journal import ItemStocked, Journal, Place

UIDS = {"A": "E004010000000001", "B": "E004010000000002", "C": "E004010000000003"}


def stocked(tmp_path) -> SimpleNamespace:
    """A controller stand-in with a journal of three books in slots 0, 1 and 2."""
    journal = Journal.open(tmp_path / "journal.db", slot_count=10)
    journal.append_many([ItemStocked(item_id=i, uid=UIDS[i], title=f"Book {i}", slot=n)
                         for n, i in enumerate("ABC")])
    return SimpleNamespace(journal=journal)


def finding(slot: int, kind: Mismatch | None, journal_item: str | None,
            tag_item: str | None) -> dict:
    return {"slot": slot, "journal_item": journal_item, "tag_item": tag_item,
            "tag_uid": UIDS.get(tag_item or ""), "problem": None,
            "mismatch": kind.value if kind else None}


def test_a_book_found_in_another_slot_is_located_there_and_its_flag_cleared(tmp_path):
    ctl = stocked(tmp_path)
    run = AuditRun("r", "t", [0, 5], {"0": finding(0, Mismatch.MISSING, "A", None),
                                      "5": finding(5, Mismatch.UNEXPECTED, None, "A")})
    result = fix(ctl, run, "kim")
    assert result["left"] == []
    item = ctl.journal.item("A")
    assert (item.place, item.slot) == (Place.SLOT, 5)
    assert ctl.journal.open_flags() == []
    assert run.pending() == []


def test_a_missing_book_stays_unknown_and_flagged(tmp_path):
    ctl = stocked(tmp_path)
    run = AuditRun("r", "t", [1], {"1": finding(1, Mismatch.MISSING, "B", None)})
    fix(ctl, run, "kim")
    assert ctl.journal.item("B").place is Place.UNKNOWN
    assert [f.item_id for f in ctl.journal.open_flags()] == ["B"]


def test_a_resumed_run_puts_only_its_new_findings_to_the_journal(tmp_path):
    ctl = stocked(tmp_path)
    run = AuditRun("r", "t", [1, 2], {"1": finding(1, Mismatch.MISSING, "B", None)})
    fix(ctl, run, "kim")  # the first part, before a patron interrupted the audit
    run.findings["2"] = finding(2, Mismatch.MISSING, "C", None)  # found after --resume
    assert [f["slot"] for f in run.pending()] == [2]
    result = fix(ctl, run, "kim")
    assert [d["slot"] for d in result["done"]] == [2] and result["left"] == []
    assert sorted(f.item_id for f in ctl.journal.open_flags()) == ["B", "C"]  # B flagged once
    assert run.pending() == []


def test_a_slot_whose_journal_changed_since_the_reading_is_left_alone(tmp_path):
    ctl = stocked(tmp_path)
    run = AuditRun("r", "t", [3], {"3": finding(3, Mismatch.MISSING, "Z", None)})
    result = fix(ctl, run, "kim")
    assert result["done"] == [] and "changed" in result["left"][0]["reason"]
    assert ctl.journal.open_flags() == []
