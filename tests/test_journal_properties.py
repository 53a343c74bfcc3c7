"""Property tests: random sequences of operations, valid and not, keep the journal's
invariants; refused ones write nothing; the derived tables are a function of the events."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kiosk.journal import enums
from kiosk.journal import events as ev
from kiosk.journal import EventKind, Journal, JournalRefused
from kiosk.journal.checks import consistency_problems
from test_journal_support import ManualClock, snapshot, uid

# These tests are about logic, not durability: on tmpfs an fsync costs nothing.
_FAST_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
SLOTS = 6
ITEMS = [f"B{n}" for n in range(4)]
PATRONS = ["P1", "P2"]
DUE = date(2030, 1, 16)


class JournalMachine(RuleBasedStateMachine):
    """Drives one journal with operations drawn mostly from its own state."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="journal-prop-", dir=_FAST_DIR))
        self.clock = ManualClock()
        self.journal = Journal.open(self.dir / "j.db", slot_count=SLOTS, clock=self.clock)

    def teardown(self) -> None:
        try:
            self._check_replay()
        finally:
            self.journal.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _check_replay(self) -> None:
        with Journal.open(self.dir / "replay.db", slot_count=SLOTS) as replay:
            replay.restore(self.journal.events(limit=10**6))
            assert snapshot(replay) == snapshot(self.journal)

    @rule(data=st.data())
    def lifecycle_step(self, data: st.DataObject) -> None:
        """Take one item a step along stock, vend, loan, return, shelve."""
        self._try(data, data.draw(st.sampled_from(_lifecycle(self.journal))))

    @rule(data=st.data())
    def detour(self, data: st.DataObject) -> None:
        """Any step the state suggests: failures, retracts, holds, audits, transfers."""
        self._try(data, data.draw(st.sampled_from(_likely_valid(self.journal))))

    @rule(data=st.data())
    def noise(self, data: st.DataObject) -> None:
        """Any event at all, with arguments drawn at random: mostly refused."""
        self._try(data, data.draw(st.sampled_from(list(_BUILDERS)).flatmap(
            lambda kind: _BUILDERS[kind](self.journal))))

    def _try(self, data: st.DataObject, payload: ev.Payload) -> None:
        self.clock.advance(seconds=data.draw(st.integers(1, 3600), label="seconds"))
        before = snapshot(self.journal)
        try:
            self.journal.append(payload)
        except JournalRefused:
            assert snapshot(self.journal) == before

    @invariant()
    def derived_tables_are_consistent(self) -> None:
        assert consistency_problems(self.journal) == []

    @invariant()
    def loans_follow_the_log(self) -> None:
        kinds = [e.kind for e in self.journal.events(limit=10**6)]
        lent = kinds.count(EventKind.VEND_TAKEN) - kinds.count(EventKind.RETURN_IDENTIFIED)
        on_loan = self.journal.items(enums.Place.ON_LOAN)
        assert len(self.journal.open_loans()) == len(on_loan) == lent

    @invariant()
    def each_slot_has_at_most_one_item_and_each_item_one_place(self) -> None:
        items = self.journal.items()
        slots = [i.slot for i in items if i.slot is not None]
        assert len(slots) == len(set(slots))
        assert all((i.place is enums.Place.SLOT) == (i.slot is not None) for i in items)


def _lifecycle(journal: Journal) -> list[ev.Payload]:
    """For each item, its next step along the main line."""
    free = journal.free_slots()
    returns = [i.intent_id for i in journal.open_intents() if i.kind is enums.IntentKind.RETURN]
    steps = [_next_step(journal, item_id, free, returns) for item_id in ITEMS]
    return [step for step in steps if step is not None] or [ev.PatronVerified("P1", True)]


def _next_step(journal: Journal, item_id: str, free: list[int], returns: list[str]):
    item, intent = journal.item(item_id), journal.open_intent_for(item_id)
    if item is None or item.place is enums.Place.REMOVED:
        return ev.ItemStocked(item_id, uid(item_id), "T", free[0]) if free else None
    if intent is not None:
        return _intent_steps(intent, free)[0]
    if item.place is enums.Place.SLOT:
        hold = journal.active_hold(item_id)
        return ev.VendStarted(item_id, item.slot, hold.patron_id if hold else "P1", "S", 1)
    if item.place is enums.Place.ON_LOAN:
        return ev.ReturnIdentified(returns[0], item_id, 1) if returns else ev.ReturnStarted("S")
    if item.place is enums.Place.RETURN_PORT:
        return ev.StoreStarted(item_id, free[0] if free else None, 1)
    if item.place is enums.Place.UNKNOWN:
        return ev.ItemLocated(item_id, enums.Place.SLOT, free[0]) if free else None
    return ev.ItemUnstocked(item_id, enums.UnstockReason.ROTATED)


def _likely_valid(journal: Journal) -> list[ev.Payload]:
    """Next steps that the state suggests (the journal may still refuse some)."""
    free = journal.free_slots()
    steps: list[ev.Payload] = []
    returns = [i.intent_id for i in journal.open_intents() if i.kind is enums.IntentKind.RETURN]
    for item_id in ITEMS:
        item, intent = journal.item(item_id), journal.open_intent_for(item_id)
        if item is None or item.place is enums.Place.REMOVED:
            steps += [ev.ItemStocked(item_id, uid(item_id), "T", s) for s in free[:2]]
            steps += [ev.ItemLoaded(item_id, uid(item_id), "T", intent_id=r)
                      for r in [*returns[:1], None]]
        elif intent is not None:
            steps += _intent_steps(intent, free)
        else:
            steps += _item_steps(item, free, returns, journal)
    steps += [ev.AuditCleared(f.flag_id, "tech") for f in journal.open_flags()
              if f.item_id is None or journal.item(f.item_id).place is not enums.Place.UNKNOWN]
    steps += [ev.HoldCancelled(h.item_id, h.patron_id, enums.HoldEnd.EXPIRED)
              for h in journal.active_holds()]
    steps += [ev.ReturnRejected(r, enums.ReturnRejection.NOT_FROM_THIS_MACHINE) for r in returns]
    return [*steps, ev.PatronVerified("P2", False)]


def _intent_steps(intent, free: list[int]) -> list[ev.Payload]:
    i, kind, stage = intent.item_id, intent.kind, intent.stage
    fails = list(enums.MoveFailure)  # some cannot end this kind of move: refused
    if kind is enums.IntentKind.VEND and stage is enums.Stage.MOVING:
        return [ev.VendFetched(i), *[ev.VendFailed(i, r) for r in fails]]
    if kind is enums.IntentKind.WITHDRAW and stage is enums.Stage.MOVING:
        return [ev.WithdrawFetched(i), *[ev.WithdrawFailed(i, r) for r in fails]]
    if kind is enums.IntentKind.WITHDRAW:
        retract = [ev.RetractStarted(i, s, 2) for s in [intent.slot, *free[:1]]]
        presented = ev.WithdrawPresented(i) if stage is enums.Stage.FETCHED else ev.ItemUnstocked(
            i, enums.UnstockReason.WITHDRAWN)
        return [presented, *retract]
    if kind is enums.IntentKind.VEND:
        retract = [ev.RetractStarted(i, s, 2) for s in [intent.slot, *free[:1]]]
        presented = ev.VendPresented(i) if stage is enums.Stage.FETCHED else ev.VendTaken(
            i, intent.patron_id, DUE)
        flag = ev.AuditFlagged(enums.AuditReason.TAKEN_UNCONFIRMED, intent_id=intent.intent_id)
        return [presented, *retract, flag]
    done = {enums.IntentKind.RETRACT: ev.VendRetracted, enums.IntentKind.TRANSFER: ev.Transferred,
            enums.IntentKind.STORE: ev.ReturnDiverted if intent.slot is None else ev.ReturnShelved}
    failed = {enums.IntentKind.RETRACT: ev.RetractFailed, enums.IntentKind.TRANSFER:
              ev.TransferFailed, enums.IntentKind.STORE: ev.StoreFailed}
    return [done[kind](i), *[failed[kind](i, r) for r in fails]]


def _item_steps(item, free: list[int], returns: list[str], journal: Journal) -> list[ev.Payload]:
    i, place = item.item_id, item.place
    hold = [ev.HoldPlaced(i, p) for p in PATRONS]
    if place is enums.Place.SLOT:
        return [*[ev.VendStarted(i, item.slot, p, "S", 1) for p in PATRONS], *hold,
                *[ev.TransferStarted(i, s, 1) for s in free[:1]], ev.WithdrawStarted(i, item.slot, 1),
                ev.ItemUnstocked(i, enums.UnstockReason.ROTATED),
                ev.AuditFlagged(enums.AuditReason.INVENTORY_MISMATCH, item_id=i, slot=item.slot)]
    if place is enums.Place.ON_LOAN:
        loan = journal.open_loan(i)
        return [*[ev.ReturnIdentified(r, i, 2) for r in returns], *hold,
                ev.Renewed(i, loan.patron_id, DUE)]
    if place is enums.Place.RETURN_PORT:
        return [ev.StoreStarted(i, s, 1) for s in [*free[:2], None]]
    if place is enums.Place.UNKNOWN:
        return [*[ev.ItemLocated(i, enums.Place.SLOT, s) for s in free[:1]],
                ev.ItemLocated(i, enums.Place.BIN), ev.ItemUnstocked(i, enums.UnstockReason.LOST)]
    return [ev.ItemUnstocked(i, enums.UnstockReason.DAMAGED)]


def _item(journal: Journal) -> st.SearchStrategy[str]:
    return st.sampled_from(ITEMS)


def _slot(journal: Journal, item_id: str | None = None) -> st.SearchStrategy[int]:
    """Mostly a free slot or the item's own slot, sometimes any slot (likely refused)."""
    own = journal.item(item_id).slot if item_id and journal.item(item_id) else None
    likely = journal.free_slots() + ([own] if own is not None else [])
    return st.sampled_from(likely) if likely else st.integers(0, SLOTS - 1)


def _slot_for(journal: Journal, item_id: str) -> st.SearchStrategy[int]:
    return _slot(journal, item_id) | st.integers(0, SLOTS - 1)


def _return_intent(journal: Journal) -> st.SearchStrategy[str]:
    opened = [i.intent_id for i in journal.open_intents() if i.kind is enums.IntentKind.RETURN]
    return st.sampled_from(opened) if opened else st.just("no-such-intent")


def _patron_of(journal: Journal, item_id: str) -> st.SearchStrategy[str]:
    intent = journal.open_intent_for(item_id)
    loan = journal.open_loan(item_id)
    known = [p.patron_id for p in (intent, loan) if p is not None and p.patron_id]
    return st.sampled_from(known + PATRONS)


def _per_item(journal: Journal, build) -> st.SearchStrategy[ev.Payload]:
    return _item(journal).flatmap(lambda item_id: build(journal, item_id))


_REASON = st.sampled_from(list(enums.MoveFailure))
_BUILDERS = {
    "item_stocked": lambda j: _per_item(j, lambda j, i: _slot_for(j, i).map(
        lambda s: ev.ItemStocked(i, uid(i), "T", s))),
    "item_unstocked": lambda j: _per_item(j, lambda j, i: st.sampled_from(
        list(enums.UnstockReason)).map(lambda r: ev.ItemUnstocked(i, r))),
    "item_located": lambda j: _per_item(j, lambda j, i: st.one_of(
        _slot_for(j, i).map(lambda s: ev.ItemLocated(i, enums.Place.SLOT, s)),
        st.sampled_from([enums.Place.PICKER, enums.Place.BIN, enums.Place.PICKUP_PORT]).map(
            lambda p: ev.ItemLocated(i, p)))),
    "vend_started": lambda j: _per_item(j, lambda j, i: st.tuples(
        _slot_for(j, i), st.sampled_from(PATRONS), st.integers(1, 65535)).map(
        lambda a: ev.VendStarted(i, a[0], a[1], "S", a[2]))),
    "vend_fetched": lambda j: _item(j).map(ev.VendFetched),
    "vend_presented": lambda j: _item(j).map(ev.VendPresented),
    "vend_taken": lambda j: _per_item(j, lambda j, i: _patron_of(j, i).map(
        lambda p: ev.VendTaken(i, p, DUE))),
    "vend_failed": lambda j: st.builds(ev.VendFailed, _item(j), _REASON),
    "retract_started": lambda j: _per_item(j, lambda j, i: _slot_for(j, i).map(
        lambda s: ev.RetractStarted(i, s, 1))),
    "vend_retracted": lambda j: _item(j).map(ev.VendRetracted),
    "retract_failed": lambda j: st.builds(ev.RetractFailed, _item(j), _REASON),
    "return_started": lambda j: st.just(ev.ReturnStarted("S")),
    "return_identified": lambda j: st.builds(
        ev.ReturnIdentified, _return_intent(j), _item(j), st.integers(0, 30)),
    "return_rejected": lambda j: st.builds(
        ev.ReturnRejected, _return_intent(j), st.sampled_from(list(enums.ReturnRejection))),
    "store_started": lambda j: _per_item(j, lambda j, i: (_slot_for(j, i) | st.none()).map(
        lambda s: ev.StoreStarted(i, s, 1))),
    "return_shelved": lambda j: _item(j).map(ev.ReturnShelved),
    "return_diverted": lambda j: _item(j).map(ev.ReturnDiverted),
    "store_failed": lambda j: st.builds(ev.StoreFailed, _item(j), _REASON),
    "transfer_started": lambda j: _per_item(j, lambda j, i: _slot(j).map(
        lambda s: ev.TransferStarted(i, s, 1))),
    "transferred": lambda j: _item(j).map(ev.Transferred),
    "transfer_failed": lambda j: st.builds(ev.TransferFailed, _item(j), _REASON),
    "audit_flagged": lambda j: st.one_of(
        st.builds(ev.AuditFlagged, st.sampled_from(list(enums.AuditReason)), item_id=_item(j)),
        st.builds(ev.AuditFlagged, st.sampled_from(list(enums.AuditReason)),
                  slot=st.integers(0, SLOTS - 1)),
        st.sampled_from([i.intent_id for i in j.open_intents()] or ["none"]).map(
            lambda i: ev.AuditFlagged(enums.AuditReason.MOVE_UNCONFIRMED, intent_id=i))),
    "audit_cleared": lambda j: st.sampled_from(
        [f.flag_id for f in j.open_flags()] or ["none"]).map(lambda f: ev.AuditCleared(f, "t")),
    "fault_recorded": lambda j: st.sampled_from(["jam", "interlock", "device"]).map(
        lambda code: ev.FaultRecorded(code)),
    "conflict_resolved": lambda j: st.sampled_from(
        [c.event.uuid for c in j.outbox_conflicts(open_only=True)]
        + [e.uuid for e in j.pending_outbox()] + ["none"]).map(
        lambda e: ev.ConflictResolved(e, "t")),
    "renewed": lambda j: _per_item(j, lambda j, i: _patron_of(j, i).map(
        lambda p: ev.Renewed(i, p, DUE))),
    "hold_placed": lambda j: st.builds(ev.HoldPlaced, _item(j), st.sampled_from(PATRONS)),
    "hold_cancelled": lambda j: st.builds(
        ev.HoldCancelled, _item(j), st.sampled_from(PATRONS),
        st.sampled_from([enums.HoldEnd.CANCELLED, enums.HoldEnd.EXPIRED])),
    "hold_reported": lambda j: st.builds(
        ev.HoldReported, _item(j), st.sampled_from(PATRONS),
        st.none() | st.just(datetime(2030, 1, 4, 14, 59, 59, tzinfo=timezone.utc))),
    "hold_released": lambda j: st.builds(ev.HoldReleased, _item(j), st.sampled_from(PATRONS)),
    "patron_verified": lambda j: st.builds(ev.PatronVerified, st.sampled_from(PATRONS),
                                           st.booleans()),
    "item_loaded": lambda j: _per_item(j, lambda j, i: (_return_intent(j) | st.none()).map(
        lambda r: ev.ItemLoaded(i, uid(i), "T", intent_id=r))),
    "withdraw_started": lambda j: _per_item(j, lambda j, i: _slot_for(j, i).map(
        lambda s: ev.WithdrawStarted(i, s, 1))),
    "withdraw_fetched": lambda j: _item(j).map(ev.WithdrawFetched),
    "withdraw_presented": lambda j: _item(j).map(ev.WithdrawPresented),
    "withdraw_failed": lambda j: st.builds(ev.WithdrawFailed, _item(j), _REASON),
}


def test_every_kind_is_exercised() -> None:
    assert set(_BUILDERS) == {k.value for k in EventKind}


JournalMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    # Shrinking these runs takes minutes; the unshrunk steps are printed at once instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_journal_state_machine = JournalMachine.TestCase
