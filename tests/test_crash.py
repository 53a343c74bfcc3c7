"""The crash test: the controller is SIGKILLed at every named point of a vend and of a return,
restarted, and its journal compared book by book with the simulator's ground truth and the library.

`make test` runs the fast cases: each crash point once and each branch of kiosk/recovery.py;
`make campaigns` (`-m campaign`) runs every case.

The rule (DESIGN.md, "The journal and the truth"): a fetched-but-untaken book goes back to its
slot and no loan remains; a book the patron took is a loan; what cannot be proven is flagged for
a technician's audit, never guessed. Nothing lost, nothing invented.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

import pytest
import requests

from conftest import wait_for
from kiosk.journal import Journal, Place, VendTaken
from kiosk.journal.checks import consistency_problems
from crash_check import case_facts, inspect
from kiosk_rig import GOOD_MEMBER, KioskRig

AFI_ON_LOAN = 0xC2
AFI_SECURED = 0x07
SHORT_PICKUP_TIMEOUT = "1.0"  # seconds: the patron walks away, a retract follows
ONE_BOOK_PLACES = {"pickup_port": Place.PICKUP_PORT, "return_port": Place.RETURN_PORT,
                   "picker": Place.PICKER}


# -- the scenarios -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """A crash point, what the patron's hands do around it, and what recovery must conclude."""

    point: str
    hands: str | None = None  # the patron takes (vend) or inserts (return) the book:
    #                           'live' (the controller waits for it), 'dead' (while it is down)
    #                           or None (never: walks away from the pickup door, keeps the book)
    loan: bool = False  # the book ends as the patron's loan (else: on a shelf)
    power_cut: bool = False  # the PLC reboots too: its SEQ registers are gone, only sensors prove
    label: str = ""
    fast: bool = True  # in make test; False: another case takes the same recovery branch

    @property
    def param(self):
        """The pytest case: a campaign case, fast or not."""
        return pytest.param(self, id=self.id, marks=pytest.mark.campaign(
            name="power_cut" if self.power_cut else "crash", fast=self.fast))

    @property
    def id(self) -> str:
        """The test id."""
        return f"{self.point}-{self.label}" if self.label else self.point


SCENARIOS = [
    # Journaled, never sent: the PLC never took the SEQ and the book is read in its slot.
    Scenario("vend.before_fetch"),
    # FETCH done, outcome not journaled: DONE_SEQ proves it; nobody took it, so it is retracted.
    Scenario("vend.after_fetch"),
    # ... and with the PLC rebooted: the pickup antenna proves the book is in the port.
    Scenario("vend.after_fetch", power_cut=True, label="power_cut"),
    # Door open, the patron walked away: the book is read in the port and retracted.
    Scenario("vend.after_present", label="untaken"),
    # Door open, the patron took it while the controller was down: only they can have, a loan.
    Scenario("vend.after_present", hands="dead", loan=True, label="taken"),
    # Door opened, not yet journaled as presented; the patron walked away: retracted.
    Scenario("vend.after_open_pickup", label="untaken", fast=False),  # as after_present-untaken
    # Door opened, not yet journaled; the patron took it while the controller was down: the
    # journal (fetched, on-loan AFI) and the sensors (door open, port empty) prove the loan.
    Scenario("vend.after_open_pickup", hands="dead", loan=True, label="taken"),
    # The loan was journaled: it stays; the door left open is shut.
    Scenario("vend.after_taken", hands="live", loan=True, fast=False),  # no intent left open
    # Not taken in time, RETRACT journaled but never sent: read in the port, retracted.
    Scenario("vend.before_retract"),
    # RETRACT done, outcome not journaled: DONE_SEQ proves it.
    Scenario("vend.after_retract"),
    # ... and with the PLC rebooted: PRESENT and the picker antenna find it in its slot.
    Scenario("vend.after_retract", power_cut=True, label="power_cut"),
    # The shutter was open and the book pushed in meanwhile: shut, read, checked in, shelved.
    Scenario("return.after_open", hands="dead", label="inserted"),
    # The shutter was open and the patron left with the book: shut, nothing inside, loan stays.
    Scenario("return.after_open", loan=True, label="kept"),
    # Check-in journaled, book in the port: recovery shelves it.
    Scenario("return.after_identified", hands="live"),
    # STORE journaled, never sent: the book is read in the port, the store fails, then shelved.
    Scenario("return.before_store", hands="live"),
    # STORE done, outcome not journaled: DONE_SEQ proves it.
    Scenario("return.after_store", hands="live"),
    # ... and with the PLC rebooted: PRESENT and the picker antenna find it in its slot.
    Scenario("return.after_store", hands="live", power_cut=True, label="power_cut"),
]


# -- driving the patron up to the crash ---------------------------------------------------------
def drive(rig: KioskRig, scenario: Scenario) -> str:
    """Run the scenario's vend or return into its crash point; returns the book's item id."""
    if scenario.point.startswith("vend."):
        item = vend(rig, scenario)
    else:
        item = give_back(rig, scenario)
    if scenario.power_cut:
        rig.sim.world_post("/faults/plc-power-cycle")
    return item


def vend(rig: KioskRig, scenario: Scenario) -> str:
    """Lend one book to a controller that crashes at the scenario's point."""
    walks_away = "retract" in scenario.point  # a retract follows the pickup timeout
    usual = set_pickup_timeout(rig, SHORT_PICKUP_TIMEOUT) if walks_away else None
    start_crashing_at(rig, scenario.point)
    rig.start_session()
    item = rig.books()[0]["item_id"]
    post_until_death(rig, "/api/cart/add", {"item_id": item})
    if rig.process.poll() is None:
        post_until_death(rig, "/api/cart/confirm")
    if scenario.hands == "live":
        rig.wait_state("awaiting_take")
        rig.sim.world_post("/pickup/take")
    assert rig.wait_exit() == -signal.SIGKILL
    if scenario.hands == "dead":
        assert rig.sim.world_post("/pickup/take")["item_id"] == item
    if usual is not None:
        set_pickup_timeout(rig, usual)
    return item


def give_back(rig: KioskRig, scenario: Scenario) -> str:
    """Borrow a book from a sound controller, then return it to one that crashes."""
    rig.start_session()
    item = rig.books()[0]["item_id"]
    rig.borrow([item])
    rig.api("/api/session/end")
    rig.wait_state("ready")
    start_crashing_at(rig, scenario.point)
    post_until_death(rig, "/api/return")
    if scenario.hands == "live":
        rig.wait_state("awaiting_insert")
        rig.sim.world_post("/return/insert", {"item_id": item})
    assert rig.wait_exit() == -signal.SIGKILL
    if scenario.hands == "dead":
        rig.sim.world_post("/return/insert", {"item_id": item})
    return item


def start_crashing_at(rig: KioskRig, point: str) -> None:
    """Stop the controller and start it again so that it kills itself at `point`."""
    rig.stop()
    rig.start(crash_at=point)


def post_until_death(rig: KioskRig, path: str, body: dict | None = None) -> None:
    """A patron request whose answer may be lost when the controller dies right behind it."""
    try:
        rig.api(path, body)
    except requests.ConnectionError:
        rig.wait_exit(timeout=10)  # the request failed because the controller died


def set_pickup_timeout(rig: KioskRig, seconds: str) -> str:
    """Rewrite the config's pickup timeout (read at the next start); returns the old one."""
    lines = rig.config_path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("pickup_timeout"))
    old, lines[at] = lines[at].split("=")[1].strip(), f"pickup_timeout = {seconds}"
    rig.config_path.write_text("\n".join(lines) + "\n")
    return old


# -- comparing the journal with the world and the library ---------------------------------------
def open_journal(rig: KioskRig) -> Journal:
    """The controller's journal file (the controller must be stopped)."""
    return Journal.open(rig.directory / "state" / "journal.db", slot_count=1000)


def slot_of(world: dict, item_id: str) -> int | None:
    """The slot the world has this book in."""
    return next((int(s) for s, e in world["slots"].items() if e["item_id"] == item_id), None)


def assert_journal_is_the_world(journal: Journal, world: dict) -> None:
    """Book by book: slots, loans, ports, picker, bin, AFI; intents only under an audit flag."""
    assert consistency_problems(journal) == []
    flags = journal.open_flags()
    unproven = {f.item_id for f in flags if f.item_id}
    unproven |= {f.slot for f in flags if f.slot is not None}
    covered = {f.intent_id for f in flags} | unproven
    for intent in journal.open_intents():
        assert intent.intent_id in covered or intent.item_id in covered, intent
    assert_slots_agree(journal, world, unproven)
    assert_loans_agree(journal, world, unproven)
    assert_one_book_places_agree(journal, world)
    assert_security_agrees(journal, world)


def assert_slots_agree(journal: Journal, world: dict, unproven: set) -> None:
    """Every book the journal has in a slot is there, secured; the world has no other."""
    in_slots = {item.slot: item.item_id for item in journal.items(Place.SLOT)}
    world_slots = {int(s): e for s, e in world["slots"].items()}
    for slot, item_id in in_slots.items():
        assert world_slots.get(slot, {}).get("item_id") == item_id, f"slot {slot}: {item_id}"
        assert world_slots[slot]["afi"] == AFI_SECURED, f"{item_id} in slot {slot} not secured"
    for slot, entry in world_slots.items():
        known = in_slots.get(slot) == entry["item_id"]
        assert known or slot in unproven or entry["item_id"] in unproven, f"slot {slot}: {entry}"


def assert_loans_agree(journal: Journal, world: dict, unproven: set) -> None:
    """A loan is a book out, and a book out is a loan (or was never this machine's)."""
    out = {e["item_id"]: e for e in world["out"]}
    loans = {loan.item_id for loan in journal.open_loans()}
    for item_id in loans:
        assert item_id in out, f"{item_id} on loan but not out"
    for item_id in out:
        never_ours = journal.item(item_id) is None
        assert item_id in loans or never_ours or item_id in unproven, f"{item_id} out"


def assert_one_book_places_agree(journal: Journal, world: dict) -> None:
    """Ports, picker and bin hold what the journal says, nothing else."""
    for name, place in ONE_BOOK_PLACES.items():
        inside = world[name]["item_id"] if world[name] else None
        recorded = journal.item_at(place)
        assert inside == (recorded.item_id if recorded else None), name
    assert world["return_opening"] is None
    binned = [i.item_id for i in journal.items(Place.BIN)]
    assert [e["item_id"] for e in world["overflow_bin"]] == binned


def assert_security_agrees(journal: Journal, world: dict) -> None:
    """AFI 0xC2 on exactly the books on loan; 0x07 on every other book of the machine."""
    books = [*world["slots"].values(), *world["overflow_bin"], *world["out"],
             *(world[name] for name in ONE_BOOK_PLACES if world[name])]
    loans = {loan.item_id for loan in journal.open_loans()}
    for entry in books:
        if journal.item(entry["item_id"]) is not None:
            expected = AFI_ON_LOAN if entry["item_id"] in loans else AFI_SECURED
            assert entry["afi"] == expected, entry


def assert_machine_at_rest(world: dict) -> None:
    """Doors shut and patron lamps off: nothing left open at a station overnight."""
    assert world["sensors"]["pickup_door_closed"] and world["sensors"]["return_shutter_closed"]
    assert not world["lamps"]["pickup_lamp"] and not world["lamps"]["return_lamp"]


def assert_library_agrees(rig: KioskRig, journal: Journal, item_ids: list[str]) -> None:
    """The library's loans are the journal's: the same open loans, no loan invented or lost."""
    patron = rig.library("GET", f"/admin/patrons/{GOOD_MEMBER}")
    ours = {i.item_id for i in journal.items()}
    library_open = {loan["item_id"] for loan in patron["loans"]
                    if loan["returned_at"] is None and loan["item_id"] in ours}
    assert library_open == {loan.item_id for loan in journal.open_loans(GOOD_MEMBER)}
    for item_id in item_ids:
        report = rig.library("GET", f"/admin/items/{item_id}")
        loan = journal.open_loan(item_id)
        assert report["status"] == ("on_loan" if loan else "available"), report
        count = journal.db.execute("SELECT COUNT(*) FROM loans WHERE item_id = ?",
                                   (item_id,)).fetchone()[0]
        assert len(report["loans"]) == count, report["loans"]


def wait_synced(rig: KioskRig) -> None:
    """Every journal event the library must know has been delivered."""
    wait_for(lambda: rig.control("status")["sync"]["backlog"] == 0, 30, message="sync")


def recover(rig: KioskRig) -> None:
    """Start without a crash point: every scenario here can be proven, so back in service."""
    rig.start(wait_ready=False)
    state = rig.wait_state(lambda s: s["state"] in ("ready", "out_of_service"))
    assert state["state"] == "ready", state["fault"]
    wait_synced(rig)
    rig.stop()


def borrow_another(rig: KioskRig) -> str:
    """A patron borrows another book from the recovered machine; returns its item id."""
    rig.start()
    rig.start_session()
    other = rig.books()[0]["item_id"]
    assert other in rig.borrow([other])["session"]["vended"]
    rig.api("/api/session/end")
    rig.wait_state("ready")
    wait_synced(rig)
    rig.stop()
    return other


def record_run(rig: KioskRig, facts: dict, scenario: Scenario, world: dict) -> None:
    """The campaign's facts of this run (one kill at a named point), from the common look."""
    facts.update(case_facts("power_cut" if scenario.power_cut else "crash",
                            "checkout" if scenario.point.startswith("vend.") else "return"))
    facts.update(runs=1, kills=1, named_points=1, power_cuts=int(scenario.power_cut))
    loans = rig.library("GET", f"/admin/patrons/{GOOD_MEMBER}")["loans"]
    findings = inspect(rig.directory / "state" / "journal.db", world, loans)
    findings.count_into(facts)
    assert findings.clean, findings.describe()


# -- the campaign --------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", [s.param for s in SCENARIOS])
def test_a_crash_loses_nothing_and_invents_nothing(make_kiosk, campaign_facts,
                                                   scenario: Scenario):
    rig = make_kiosk()
    slots_before = {e["item_id"]: int(s) for s, e in rig.sim.world_get()["slots"].items()}
    item = drive(rig, scenario)
    assert f"crash point {scenario.point} reached" in rig.log()

    recover(rig)
    world = rig.sim.world_get()
    record_run(rig, campaign_facts, scenario, world)
    with open_journal(rig) as journal:
        assert_journal_is_the_world(journal, world)
        assert journal.open_flags() == []  # all of it was provable: nothing left to a technician
        loan = journal.open_loan(item)
        if scenario.loan:
            assert loan is not None and loan.patron_id == GOOD_MEMBER
            taken = [e for e in journal.events(limit=100000)
                     if isinstance(e.payload, VendTaken) and e.payload.item_id == item]
            assert [e.payload.inferred for e in taken] == [scenario.hands == "dead"]
        else:
            assert loan is None and journal.item(item).place is Place.SLOT
            if scenario.point.startswith("vend."):
                assert slot_of(world, item) == slots_before[item]  # back where it came from
        assert_library_agrees(rig, journal, [item])
    assert_machine_at_rest(world)

    other = borrow_another(rig)
    with open_journal(rig) as journal:
        assert_journal_is_the_world(journal, rig.sim.world_get())
        assert_library_agrees(rig, journal, [item, other])
        assert journal.open_loan(other) is not None
