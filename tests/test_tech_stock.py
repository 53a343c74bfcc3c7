"""`kiosk load` and `kiosk unload` on the running simulator and controller: journal, library and
the simulator's ground truth agree book by book."""

from __future__ import annotations

import csv
import sqlite3
import threading

from conftest import wait_for
from kiosk.control import ask
from kiosk.journal import Journal
from kiosk.journal.checks import consistency_problems
from kiosk_rig import TECHNICIAN_PIN, KioskRig

JOB_TIMEOUT = 240


class RunningJob(threading.Thread):
    """A job request answered in the background while the test plays the technician's hands."""

    def __init__(self, rig: KioskRig, request: str, args: dict):
        super().__init__(daemon=True)
        self.rig, self.request, self.args = rig, request, args
        self.progress: list[dict] = []
        self.answer: dict | None = None
        self.error: Exception | None = None
        self.start()

    def run(self) -> None:
        try:
            self.answer = ask(self.rig.control_socket, self.request, self.args, JOB_TIMEOUT,
                              on_progress=self.progress.append, pin=TECHNICIAN_PIN)
        except Exception as exc:  # the controller died (a crash point)
            self.error = exc

    def result(self) -> dict:
        """Wait for the answer; it must be a success."""
        self.join(JOB_TIMEOUT)
        assert self.answer is not None and self.answer["ok"], (self.answer, self.error)
        return self.answer["result"]


def in_maintenance(rig: KioskRig) -> None:
    rig.control("maintenance", {"on": True})
    rig.wait_state("maintenance")


def journal_place(rig: KioskRig, item_id: str) -> tuple[str, int | None] | None:
    """Where the running controller's journal has the item (read-only)."""
    path = rig.directory / "state" / "journal.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute("SELECT place, slot FROM items WHERE item_id = ?", (item_id,)).fetchone()
    return None if row is None else (row[0], row[1])


def slot_of(world: dict, item_id: str) -> int | None:
    return next((int(s) for s, e in world["slots"].items() if e["item_id"] == item_id), None)


def ready_for_a_book(rig: KioskRig) -> dict | None:
    """The return shutter is open and the port empty (the load waits for the next book)."""
    world = rig.sim.world_get()
    return world if (not world["sensors"]["return_shutter_closed"]
                     and world["return_port"] is None) else None


def insert(rig: KioskRig, body: dict) -> str:
    """The technician puts a book into the open return port; its item id."""
    wait_for(lambda: ready_for_a_book(rig), 60, message="the shutter to open for a book")
    return rig.sim.world_post("/return/insert", body)["item_id"]


def take_back(rig: KioskRig) -> str:
    """The technician takes a refused book back from the return opening."""
    wait_for(lambda: rig.sim.world_get()["return_opening"], 60, message="a book pushed back")
    return rig.sim.world_post("/return/take-back")["item_id"]


def take_from_pickup(rig: KioskRig) -> str:
    """The technician takes the book shown at the open pickup door."""
    wait_for(lambda: (lambda w: not w["sensors"]["pickup_door_closed"] and w["pickup_port"])(
        rig.sim.world_get()), 60, message="a book at the open pickup door")
    return rig.sim.world_post("/pickup/take")["item_id"]


# -- load -----------------------------------------------------------------------------------------
def test_a_load_of_five_books_agrees_with_the_world_and_the_library(kiosk):
    in_maintenance(kiosk)
    job = RunningJob(kiosk, "load", {"count": 5, "wait": 30})
    inserted = [insert(kiosk, {"new": {}}) for _ in range(5)]
    result = job.result()
    assert [b["item_id"] for b in result["loaded"]] == inserted
    assert result["refused"] == [] and result["ended_by"] == "count"
    assert len([p for p in job.progress if p.get("book")]) == 5  # one report per book
    world = kiosk.sim.world_get()
    for book in result["loaded"]:
        assert slot_of(world, book["item_id"]) == book["slot"]
        assert journal_place(kiosk, book["item_id"]) == ("slot", book["slot"])
        record = kiosk.library("GET", f"/admin/items/{book['item_id']}")
        assert book["title"] == record["title"] and record["status"] == "available"
        assert record["loans"] == []  # no check-in or loan invented for a loaded book
    assert kiosk.control("status")["sync"]["backlog"] == 0
    assert kiosk.state()["state"] == "maintenance"


def test_a_book_that_cannot_be_loaded_is_handed_back_and_the_load_goes_on(kiosk):
    in_maintenance(kiosk)
    job = RunningJob(kiosk, "load", {"count": 1, "wait": 30})
    foreign = insert(kiosk, {"foreign": {"item_id": "X1", "isil": "999999"}})
    assert take_back(kiosk) == foreign
    unknown = insert(kiosk, {"new": {"catalogued": False}})
    assert take_back(kiosk) == unknown
    loaded = insert(kiosk, {"new": {}})
    result = job.result()
    assert [(b["item_id"], b["reason"]) for b in result["refused"]] == [
        (foreign, "foreign_tag"), (unknown, "unknown_to_library")]
    assert [b["item_id"] for b in result["loaded"]] == [loaded]
    world = kiosk.sim.world_get()
    assert {foreign, unknown} <= {b["item_id"] for b in world["out"]}
    assert journal_place(kiosk, foreign) is None and journal_place(kiosk, unknown) is None
    assert journal_place(kiosk, loaded)[0] == "slot"


def test_a_load_needs_maintenance_and_ends_when_no_book_comes(kiosk):
    refused = ask(kiosk.control_socket, "load", {"wait": 5}, pin=TECHNICIAN_PIN)
    assert refused["ok"] is False and refused["code"] == "busy"
    assert "maintenance" in refused["error"]
    in_maintenance(kiosk)
    result = RunningJob(kiosk, "load", {"wait": 2}).result()
    assert result["loaded"] == [] and result["ended_by"] == "no_book"
    assert kiosk.sim.world_get()["sensors"]["return_shutter_closed"] is True


def test_a_controller_killed_between_registering_and_storing_shelves_the_book(kiosk):
    kiosk.stop()
    kiosk.start(crash_at="load.after_registered")
    in_maintenance(kiosk)
    job = RunningJob(kiosk, "load", {"count": 1, "wait": 30})
    item = insert(kiosk, {"new": {}})
    kiosk.wait_exit(timeout=60)
    job.join(JOB_TIMEOUT)
    assert "crash point load.after_registered reached" in kiosk.log()
    assert kiosk.sim.world_get()["return_port"]["item_id"] == item
    kiosk.start(wait_ready=False)
    state = kiosk.wait_state(lambda s: s["state"] in ("ready", "out_of_service"))
    assert state["state"] == "ready", state["fault"]
    world = kiosk.sim.world_get()
    slot = slot_of(world, item)
    assert slot is not None and world["return_port"] is None
    kiosk.stop()
    with Journal.open(kiosk.directory / "state" / "journal.db", slot_count=1000) as journal:
        found = journal.item(item)
        assert (found.place.value, found.slot) == ("slot", slot)
        assert journal.open_intents() == [] and journal.open_flags() == []
        assert consistency_problems(journal) == []


# -- unload ---------------------------------------------------------------------------------------
def test_an_unload_by_item_list_withdraws_and_refuses_with_reasons(kiosk):
    kiosk.start_session()
    lent = kiosk.books()[0]["item_id"]
    kiosk.borrow([lent])
    kiosk.api("/api/session/end")
    kiosk.wait_state("ready")
    world = kiosk.sim.world_get()
    chosen = [e["item_id"] for e in list(world["slots"].values())[5:7]]
    slots = {item: slot_of(world, item) for item in chosen}
    in_maintenance(kiosk)
    job = RunningJob(kiosk, "unload", {"items": [chosen[0], lent, "NO-SUCH-BOOK", chosen[1]]})
    taken = [take_from_pickup(kiosk) for _ in chosen]
    result = job.result()
    assert taken == chosen == [b["item_id"] for b in result["withdrawn"]]
    assert {b["item_id"]: b["reason"] for b in result["refused"]} == {
        lent: "on_loan", "NO-SUCH-BOOK": "not_in_machine"}
    world = kiosk.sim.world_get()
    out = {b["item_id"] for b in world["out"]}
    for item in chosen:
        assert item in out and journal_place(kiosk, item) == ("removed", None)
        assert str(slots[item]) not in world["slots"]
    assert journal_place(kiosk, lent) == ("on_loan", None)
    assert kiosk.state()["state"] == "maintenance"


def test_a_withdrawn_book_not_taken_goes_back_to_its_slot(make_kiosk):
    rig = make_kiosk(pickup_timeout=1.0)
    world = rig.sim.world_get()
    slot, entry = next(iter(world["slots"].items()))
    in_maintenance(rig)
    result = RunningJob(rig, "unload", {"items": [entry["item_id"]]}).result()
    assert [b["item_id"] for b in result["not_taken"]] == [entry["item_id"]]
    assert result["withdrawn"] == []
    assert rig.sim.world_get()["slots"][slot]["item_id"] == entry["item_id"]
    assert journal_place(rig, entry["item_id"]) == ("slot", int(slot))


def test_an_unload_of_idle_books_takes_those_stocked_long_ago(make_kiosk):
    rig = make_kiosk(stock=False)
    with (rig.sim.state_dir / "loading-list.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[:3]
    rig.control("stock", {"items": rows[:2]})
    rig.stop()
    rig.clock_ahead_days = 8  # the first two were stocked 8 days ago, never lent
    rig.start()
    rig.control("stock", {"items": rows[2:]})
    in_maintenance(rig)
    job = RunningJob(rig, "unload", {"idle_days": 7})
    taken = {take_from_pickup(rig) for _ in range(2)}
    result = job.result()
    idle = {row["item_id"] for row in rows[:2]}
    assert taken == idle == {b["item_id"] for b in result["withdrawn"]}
    assert result["refused"] == [] and result["not_taken"] == []
    assert journal_place(rig, rows[2]["item_id"])[0] == "slot"


def test_a_controller_killed_with_a_withdrawn_book_at_the_door_settles_it(kiosk):
    world = kiosk.sim.world_get()
    (kept_slot, kept), (taken_slot, taken) = list(world["slots"].items())[:2]
    for entry, take in ((kept, False), (taken, True)):
        kiosk.stop()
        kiosk.start(crash_at="withdraw.after_present")
        in_maintenance(kiosk)
        RunningJob(kiosk, "unload", {"items": [entry["item_id"]]})
        kiosk.wait_exit(timeout=60)
        if take:  # the technician takes it while the controller is down
            assert kiosk.sim.world_post("/pickup/take")["item_id"] == entry["item_id"]
        kiosk.start(wait_ready=False)
        state = kiosk.wait_state(lambda s: s["state"] in ("ready", "out_of_service"))
        assert state["state"] == "ready", state["fault"]
    world = kiosk.sim.world_get()
    assert world["slots"][kept_slot]["item_id"] == kept["item_id"]  # put back: still ours
    assert taken_slot not in world["slots"]
    assert journal_place(kiosk, kept["item_id"]) == ("slot", int(kept_slot))
    assert journal_place(kiosk, taken["item_id"]) == ("removed", None)
    kiosk.stop()
    with Journal.open(kiosk.directory / "state" / "journal.db", slot_count=1000) as journal:
        assert journal.open_intents() == [] and journal.open_flags() == []
        assert journal.open_loans() == []
        assert consistency_problems(journal) == []
