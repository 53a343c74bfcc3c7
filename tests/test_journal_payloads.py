"""Event payloads: every kind validated when built and when decoded; bad ones write nothing."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import pytest

from kiosk.journal import enums
from kiosk.journal import events as ev
from kiosk.journal import (
    EventKind,
    Journal,
    JournalRefused,
    MoveFailure,
    PayloadError,
    VendStarted,
    decode_payload,
)
from kiosk.journal.codec import encode
from test_journal_support import clock, journal, snapshot, stock  # noqa: F401

SAMPLES: dict[EventKind, ev.Payload] = {
    p.kind: p
    for p in [
        ev.ItemStocked("B1", "E0041", "Title", 3, authors="Author", year=2007, subject="800",
                      popularity=0.95),
        ev.ItemUnstocked("B1", enums.UnstockReason.LOST),
        ev.ItemLoaded("B1", "E0041", "Title", intent_id="I1", authors="Author", year=2007,
                      subject="800", popularity=0.5),
        ev.ItemLocated("B1", enums.Place.SLOT, 3),
        ev.VendStarted("B1", 3, "P1", "S1", 65535),
        ev.VendFetched("B1"),
        ev.VendPresented("B1"),
        ev.VendTaken("B1", "P1", date(2030, 1, 1), offline=True),
        ev.VendFailed("B1", MoveFailure.JAM),
        ev.RetractStarted("B1", 3, 1),
        ev.VendRetracted("B1"),
        ev.RetractFailed("B1", MoveFailure.PORT_EMPTY),
        ev.ReturnStarted("S1"),
        ev.ReturnIdentified("I1", "B1", 3),
        ev.ReturnRejected("I1", enums.ReturnRejection.UNREADABLE_TAG, uid="E0"),
        ev.StoreStarted("B1", None, 2),
        ev.ReturnShelved("B1"),
        ev.ReturnDiverted("B1"),
        ev.StoreFailed("B1", MoveFailure.BIN_FULL),
        ev.TransferStarted("B1", 9, 4),
        ev.Transferred("B1"),
        ev.TransferFailed("B1", MoveFailure.SLOT_OCCUPIED),
        ev.AuditFlagged(enums.AuditReason.MOVE_JAMMED, item_id="B1", slot=3),
        ev.AuditCleared("F1", "tech"),
        ev.ConflictResolved("E1", "tech", note="settled at the desk"),
        ev.FaultRecorded("jam", "FETCH slot 12: JAM"),
        ev.Renewed("B1", "P1", date(2030, 1, 8)),
        ev.HoldPlaced("B1", "P1"),
        ev.HoldCancelled("B1", "P1", enums.HoldEnd.EXPIRED),
        ev.HoldReported("B1", "P1", datetime(2030, 1, 4, 14, 59, 59, tzinfo=timezone.utc)),
        ev.HoldReleased("B1", "P1"),
        ev.PatronVerified("P1", False),
        ev.WithdrawStarted("B1", 3, 9),
        ev.WithdrawFetched("B1"),
        ev.WithdrawPresented("B1"),
        ev.WithdrawFailed("B1", MoveFailure.SLOT_EMPTY),
    ]
}


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(EventKind) == set(ev.PAYLOADS)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_payload_survives_json(kind: EventKind) -> None:
    payload = SAMPLES[kind]
    text = json.dumps(encode(payload))
    assert decode_payload(kind.value, json.loads(text)) == payload


def test_the_outbox_kinds_are_what_the_library_must_know() -> None:
    assert ev.OUTBOX_KINDS == {EventKind.VEND_TAKEN, EventKind.RETURN_IDENTIFIED,
                               EventKind.RENEWED, EventKind.HOLD_PLACED, EventKind.HOLD_CANCELLED}
    assert all("item_id" in encode(SAMPLES[kind]) for kind in ev.OUTBOX_KINDS)


GOOD = {"item_id": "B1", "slot": 3, "patron_id": "P1", "session_id": "S1", "plc_seq": 7}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slot": -1}, "out of range"),
        ({"slot": "3"}, "must be int"),
        ({"slot": True}, "must be int"),
        ({"slot": 2.0}, "must be int"),
        ({"plc_seq": 0}, "out of range"),
        ({"plc_seq": 65536}, "out of range"),
        ({"item_id": ""}, "must not be empty"),
        ({"item_id": "  "}, "must not be empty"),
        ({"patron_id": None}, "required"),
        ({"colour": "red"}, "unknown keys"),
    ],
)
def test_a_bad_field_is_refused_with_its_name(change: dict, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        decode_payload("vend_started", {**GOOD, **change})


def test_missing_keys_and_unknown_kinds_are_refused() -> None:
    with pytest.raises(PayloadError, match="missing keys"):
        decode_payload("vend_started", {"item_id": "B1"})
    with pytest.raises(PayloadError, match="unknown event kind"):
        decode_payload("vend_teleported", GOOD)
    with pytest.raises(PayloadError, match="object"):
        decode_payload("vend_started", [GOOD])


def test_enums_and_dates_are_checked() -> None:
    with pytest.raises(PayloadError, match="not a valid MoveFailure"):
        decode_payload("vend_failed", {"item_id": "B1", "reason": "gremlins"})
    with pytest.raises(PayloadError, match="not a valid date"):
        decode_payload("renewed", {"item_id": "B1", "patron_id": "P", "due": "2030-02-30"})
    with pytest.raises(PayloadError, match="must be date"):
        ev.Renewed("B1", "P", datetime(2030, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(PayloadError, match="must be MoveFailure"):
        ev.VendFailed("B1", "jam")


def test_rules_across_fields() -> None:
    with pytest.raises(PayloadError, match="slot is required"):
        ev.ItemLocated("B1", enums.Place.SLOT)
    with pytest.raises(PayloadError, match="only for a slot"):
        ev.ItemLocated("B1", enums.Place.BIN, 3)
    with pytest.raises(PayloadError, match="not in the cabinet"):
        ev.ItemLocated("B1", enums.Place.ON_LOAN)
    with pytest.raises(PayloadError, match="needs"):
        ev.AuditFlagged(enums.AuditReason.MOVE_JAMMED)
    with pytest.raises(PayloadError, match="fulfilled"):
        ev.HoldCancelled("B1", "P1", enums.HoldEnd.FULFILLED)


def test_a_tampered_payload_is_refused_and_nothing_is_written(journal: Journal) -> None:
    stock(journal, "B1", 3)
    payload = VendStarted("B1", 3, "P1", "S1", 1)
    object.__setattr__(payload, "slot", -5)
    before = snapshot(journal)
    with pytest.raises(PayloadError):
        journal.append(payload)
    with pytest.raises(PayloadError):
        journal.append({"item_id": "B1"})  # type: ignore[arg-type]
    assert snapshot(journal) == before


def test_stored_events_read_back_as_written(journal: Journal, clock) -> None:
    stock(journal, "B1", 3)
    written = journal.append(VendStarted("B1", 3, "P1", "S1", 1))
    (_, read) = journal.events()
    assert read == written
    assert read.at == clock.now and read.seq == 2


def test_several_events_are_stored_all_or_none(journal: Journal) -> None:
    stock(journal, "B1", 3)
    before = snapshot(journal)
    with pytest.raises(JournalRefused, match="no_open_intent"):
        journal.append_many([ev.VendStarted("B1", 3, "P1", "S1", 1), ev.VendFetched("B2")])
    assert snapshot(journal) == before
    written = journal.append_many([ev.VendStarted("B1", 3, "P1", "S1", 1), ev.VendFetched("B1")])
    assert [e.seq for e in written] == [2, 3]


ENUMS = [enums.Place, enums.IntentKind, enums.Stage, enums.Outcome, enums.MoveFailure,
         enums.AuditReason, enums.ReturnRejection, enums.UnstockReason, enums.HoldEnd,
         enums.Refusal, EventKind]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_reason_codes_are_codes_not_text(enum) -> None:
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", member.value) for member in enum)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ev.HoldReported("B1", "P1", datetime(2030, 1, 4, 14, 59)),  # naive time
        lambda: ev.VendTaken("B1", "P1", datetime(2030, 1, 4, tzinfo=timezone.utc)),  # not a date
        lambda: ev.VendTaken("B1", "P1", date(2030, 1, 4), offline=1),  # not a bool
        lambda: ev.VendTaken("B1", " ", date(2030, 1, 4)),  # blank
    ],
)
def test_a_value_of_a_near_type_is_refused(build) -> None:
    """Values of exactly the field's type skip the long checks; near types do not."""
    with pytest.raises(PayloadError):
        build()
