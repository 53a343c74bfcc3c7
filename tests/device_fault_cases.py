"""The device-faults campaign's cases (tests/test_device_faults.py): what the patron does, the
fault and its seeded moment, what the machine must show, and the technician's remedy.

A case returns the books whose loans the library must agree on. Its facts: `safe_state`,
`patron_told`, `alerted` and `resumed` (1 each once seen), `fault` (its name).
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from dataclasses import dataclass

from conftest import wait_for
from device_fault_visit import WAIT, Visit
from kiosk_rig import GOOD_MEMBER, GOOD_MEMBER_CARD

ABOUT = ("A patron's vend or return with one device fault at a seeded moment: a jam of every "
         "fault code on FETCH, RETRACT, STORE and the technician's HOME, a blocked pickup door "
         "and return shutter, the PLC hanging and rebooting, failing tag reads, RFID "
         "collisions, the card reader lost, the journal's disk full; each on a fresh machine "
         "(simulator at speed 20, the real controller). Every case must reach a safe state, tell "
         "the patron, alert the technician, serve again after the remedy and reset, and lose "
         "nothing (journal = world = library).")
FAULT_CODES = range(1, 8)  # 1 drum .. 7 undervoltage (hardware/carousel-plc.md)
PICKER_JAM = 3  # leaves the book on the picker
RETRIES = 2  # the RFID driver's extra attempts after TAG_ERROR ([rfid] retries default)
ROOM_MARGIN = 1_000_000  # bytes left under the file size limit: short of the 64 MB reserve


@dataclass(frozen=True)
class Case:
    """One fault in one activity; `seed` chooses the books, the moment and the variant."""

    fault: str
    play: Callable[[Visit, "Case"], list[str]]
    seed: int
    code: int = 0  # a jam's fault code, a count...
    fast: bool = False

    @property
    def kind(self) -> str:
        """The fault without its variant: `jam FETCH` for each of its fault codes."""
        return " ".join(self.fault.split()[:2]) if self.fault.startswith("jam ") else self.fault

    @property
    def id(self) -> str:
        return self.fault.replace(" ", "-")

    def run(self, visit: Visit) -> list[str]:
        visit.home_slots = {e["item_id"]: int(s) for s, e in visit.world()["slots"].items()}
        books = self.play(visit, self)
        return [*books, visit.resumed(avoid=tuple(books))]


# -- jams ---------------------------------------------------------------------------------
def jam_fetch(v: Visit, case: Case) -> list[str]:
    """The chosen book's FETCH jams (the prefetch starts it as the patron chooses)."""
    [item] = v.choose()
    v.rig.start_session()
    v.post("/faults/jam", {"fault_code": case.code})
    v.rig.api("/api/cart/add", {"item_id": item})
    v.out_of_service("device")
    v.reset()
    return [item]


def jam_retract(v: Visit, case: Case) -> list[str]:
    """The patron walks away from the open door; the RETRACT that takes the book back jams."""
    [item] = v.choose()
    v.chosen_and_confirmed(item)
    v.rig.wait_state("awaiting_take")
    v.post("/faults/jam", {"fault_code": case.code})
    v.out_of_service("device")
    v.reset()
    return [item]


def jam_store(v: Visit, case: Case) -> list[str]:
    """A returned book's STORE into its new slot jams."""
    [item] = v.lend()
    v.open_return()
    v.post("/faults/jam", {"fault_code": case.code})
    v.post("/return/insert", {"item_id": item})
    v.out_of_service("device")
    v.reset()
    return [item]


def jam_home(v: Visit, case: Case) -> list[str]:
    """The PLC reboots mid-vend; the technician's reset then jams its HOME; a second one works."""
    [item] = v.choose()
    v.rig.start_session()
    reboot = v.at_a_seeded_moment(lambda: v.post("/faults/plc-power-cycle"))
    v.confirmed(item)
    reboot.join()
    v.out_of_service("device")
    v.unload_picker()
    v.post("/faults/jam", {"fault_code": case.code})
    v.rig.control("reset")
    v.rig.wait_state(lambda s: s["state"] == "out_of_service" and s["fault"]["code"] == "device",
                     WAIT)
    v.reset()
    return [item]


# -- doors, the PLC, tags --------------------------------------------------------------------
def blocked_pickup_door(v: Visit, case: Case) -> list[str]:
    """The patron takes the book; a bag strap left in the door keeps it from closing."""
    [item] = v.choose()
    v.chosen_and_confirmed(item)
    v.rig.wait_state("awaiting_take")
    v.post("/faults/door-blocked", {"door": "pickup"})
    v.post("/hand", {"door": "pickup", "present": True})
    v.post("/pickup/take")
    v.out_of_service("device")
    v.reset(lambda: v.post("/hand", {"door": "pickup", "present": False}))
    return [item]


def blocked_return_shutter(v: Visit, case: Case) -> list[str]:
    """The patron pushes the book in and leaves a hand in the shutter: it cannot close."""
    [item] = v.lend()
    v.open_return()
    v.post("/faults/door-blocked", {"door": "return"})
    v.post("/hand", {"door": "return", "present": True})
    v.post("/return/insert", {"item_id": item})
    v.out_of_service("device")
    v.reset(lambda: v.post("/hand", {"door": "return", "present": False}))
    return [item]


def plc_strikes(path: str, body: dict) -> Callable[[Visit, Case], list[str]]:
    """The PLC hangs or reboots at a seeded moment of a vend, or of a return (`case.code` 1)."""
    def play(v: Visit, case: Case) -> list[str]:
        returning = case.code == 1
        [item] = v.lend() if returning else v.choose()
        if returning:
            v.open_return()
        else:
            v.rig.start_session()
        strike = v.at_a_seeded_moment(lambda: v.post(path, body))
        if returning:
            v.post("/return/insert", {"item_id": item})  # the shutter is open either way
        else:
            v.confirmed(item)
        strike.join()
        takes = v.rng.random() < 0.5  # a book shown at the open door may be taken meanwhile
        world = v.world()
        if takes and world["pickup_port"] and not world["sensors"]["pickup_door_closed"]:
            v.post("/pickup/take")
        v.out_of_service("device")
        v.reset(lambda: v.post("/faults/plc-hang", {"hang": False}))
        return [item]
    return play


def tag_errors(v: Visit, case: Case) -> list[str]:
    """Tag reads keep failing (more than the driver retries) as the book's tag is read: at the
    pickup antenna before the door opens (vend), or at the return antenna (`case.code` 1)."""
    failures = v.rng.randint(RETRIES + 1, 3 * (RETRIES + 1))
    if case.code == 1:
        [item] = v.lend()
        v.open_return()
        v.post("/faults/rfid-errors", {"count": failures})
        v.post("/return/insert", {"item_id": item})
    else:
        [item] = v.choose()
        v.prefetched(item)
        v.post("/faults/rfid-errors", {"count": failures})
        v.rig.api("/api/cart/confirm")
    v.out_of_service("device")
    v.reset(lambda: v.post("/faults/rfid-errors", {"count": 0}))
    return [item]


# -- RFID collisions ---------------------------------------------------------------------------
def returned_refused_then_one_by_one(v: Visit, books: list[str], reason: str) -> None:
    """The return is handed back with its reason; the patron takes it all back, then returns
    each book alone."""
    state = v.rig.wait_state("handing_back", WAIT)
    assert state["notice"] == {"code": "return_rejected", "reason": reason, "item_id": None}
    v.facts["patron_told"] = 1
    pushed_out = wait_for(lambda: v.world()["return_opening"] and v.world(), WAIT,
                          message="the books pushed out")
    assert {pushed_out["return_opening"]["item_id"], *(e["item_id"] for e in
            pushed_out["stacked"]["return_opening"])} == set(books)  # all of them, together
    v.post("/return/take-back")
    v.rig.wait_state("ready")
    v.facts["safe_state"] = 1
    for item in books:  # still on loan: nothing was checked in
        assert v.rig.library("GET", f"/admin/items/{item}")["status"] == "on_loan"
    assert v.metric("kiosk_returns_total", outcome=reason) == 1.0  # the technician's count
    v.facts["alerted"] = 1
    for item in books:
        assert v.rig.return_book({"item_id": item})["state"] == "ready"
        assert v.rig.state()["notice"]["code"] == "return_accepted"
    v.synced()


def two_books_together(v: Visit, case: Case) -> list[str]:
    """The patron pushes both borrowed books into the return slot at once."""
    first, second = v.lend(2)
    v.open_return()
    v.post("/return/insert", {"item_id": first, "with": [second]})
    returned_refused_then_one_by_one(v, [first, second], "several_tags")
    return [first, second]


def collision_at_return(v: Visit, case: Case) -> list[str]:
    """The return antenna's inventory collides: something else in its field."""
    [item] = v.lend()
    v.open_return()
    v.post("/faults/rfid-collision", {"count": 1, "antenna": 1})
    v.post("/return/insert", {"item_id": item})
    returned_refused_then_one_by_one(v, [item], "several_tags")
    return [item]


def collision_at_pickup(v: Visit, case: Case) -> list[str]:
    """The pickup antenna's inventory collides as the book is checked before the door opens:
    the book goes back to its slot, flagged; the technician audits it and clears the flag."""
    [item] = v.choose()
    slot = v.home_slots[item]
    v.prefetched(item)
    v.post("/faults/rfid-collision", {"count": 1, "antenna": 0})
    v.rig.api("/api/cart/confirm")
    v.rig.wait_state(lambda s: s["state"] == "browsing" and s["progress"] is None, WAIT)
    assert v.rig.state()["session"]["vended"] == []  # the patron is told by the screen
    v.facts["patron_told"] = 1
    v.rig.api("/api/session/end")
    v.rig.wait_state("ready")
    assert int(next(s for s, e in v.world()["slots"].items() if e["item_id"] == item)) == slot
    v.facts["safe_state"] = 1
    v.alerted("audit_flags")
    v.audit([slot])
    for flag in v.rig.control("flags"):
        v.rig.control("clear-flag", {"flag_id": flag["flag_id"], "by": "campaign"})
    return [item]


# -- the card reader, the disk ---------------------------------------------------------------
def card_reader_lost(v: Visit, case: Case) -> list[str]:
    """The card reader is lost (at rest, or while a patron browses): the screen offers the QR
    code only, the technician is alerted, a patron borrows by QR code; back, cards work."""
    in_session = v.rng.random() < 0.5
    if in_session:
        v.rig.start_session()
    v.post("/faults/card-reader", {"lost": True})
    v.rig.wait_state(lambda s: s["readers"]["card"] is False, WAIT)
    v.facts["patron_told"] = 1
    v.alerted("reader_lost", lambda d: d["readers"] == ["card_reader"])
    assert v.metric("kiosk_reader_up", reader="card_reader") == 0.0
    if in_session:
        v.rig.api("/api/session/end")
        v.rig.wait_state("ready")
    [item] = v.choose()
    before = v.rig.state()["identifications"]
    v.post("/barcode/scan", {"data": GOOD_MEMBER, "symbology": "]Q1"})
    v.rig.wait_state(lambda s: s["identifications"] > before and s["state"] == "browsing")
    assert item in v.rig.borrow([item])["session"]["vended"]
    v.rig.api("/api/session/end")
    v.rig.wait_state("ready")
    v.facts["safe_state"] = 1
    v.post("/faults/card-reader", {"lost": False})
    v.rig.wait_state(lambda s: s["readers"]["card"] is True, WAIT)
    wait_for(lambda: not any(a["alert"] == "reader_lost" for a in v.rig.control("alerts")),
             WAIT, message="reader_lost resolved")
    v.rig.start_session(GOOD_MEMBER_CARD)
    v.rig.api("/api/session/end")
    v.rig.wait_state("ready")
    v.synced()
    return [item]


def journal_files_limit(v: Visit, limit: int) -> None:
    """The controller may grow no file past `limit` bytes (RLIMIT_FSIZE; RLIM_INFINITY lifts)."""
    resource.prlimit(v.rig.process.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def largest_journal_file(v: Visit) -> int:
    state = v.rig.directory / "state"
    return max(p.stat().st_size for p in state.glob("journal.db*"))


def disk_short(v: Visit, case: Case) -> list[str]:
    """The journal's room falls under the reserve, at rest or while a patron chooses a book:
    that patron's vend ends well, then no new patron; a reset while still short is refused."""
    [item] = v.choose()
    in_session = v.rng.random() < 0.5
    if in_session:
        v.rig.start_session()
    journal_files_limit(v, largest_journal_file(v) + ROOM_MARGIN)
    if in_session:
        assert item in v.rig.borrow([item])["session"]["vended"]
        v.rig.api("/api/session/end")
    v.out_of_service("disk_full")
    assert v.metric("kiosk_journal_room_bytes") < 64_000_000
    v.rig.control("reset")  # still short: back out of service at once
    v.rig.wait_state(lambda s: s["state"] == "out_of_service" and s["fault"]["code"]
                     == "disk_full", WAIT)
    v.reset(lambda: journal_files_limit(v, resource.RLIM_INFINITY))
    return [item] if in_session else []


def disk_full_mid_vend(v: Visit, case: Case) -> list[str]:
    """No byte can be written any more as the patron takes the book: the loan cannot be
    journaled. The machine stops; once space is back, recovery proves the take from the open
    door and the empty port: the loan is recorded, not lost."""
    [item] = v.choose()
    v.chosen_and_confirmed(item)
    v.rig.wait_state("awaiting_take")
    journal_files_limit(v, 0)
    v.post("/pickup/take")
    fault = v.out_of_service_any()
    v.facts["journal_fault"] = fault["code"]
    v.reset(lambda: journal_files_limit(v, resource.RLIM_INFINITY))
    v.synced()
    return [item]


# -- the cases ----------------------------------------------------------------------------------
def _cases() -> list[Case]:
    cases: list[Case] = []
    seed = iter(range(1000))
    for kind, play in (("FETCH", jam_fetch), ("RETRACT", jam_retract), ("STORE", jam_store)):
        cases += [Case(f"jam {kind} {code}", play, next(seed), code,
                       fast=(kind, code) == ("FETCH", PICKER_JAM)) for code in FAULT_CODES]
    cases.append(Case("jam HOME", jam_home, next(seed), code=1 + next(seed) % 7))
    cases += [Case("door blocked pickup", blocked_pickup_door, next(seed)),
              Case("door blocked return", blocked_return_shutter, next(seed))]
    for name, path, body in (("plc hang", "/faults/plc-hang", {"hang": True}),
                             ("plc reboot", "/faults/plc-power-cycle", {})):
        cases += [Case(f"{name} vend", plc_strikes(path, body), next(seed), 0),
                  Case(f"{name} return", plc_strikes(path, body), next(seed), 1)]
    cases += [Case("tag errors vend", tag_errors, next(seed), 0),
              Case("tag errors return", tag_errors, next(seed), 1),
              Case("collision two books", two_books_together, next(seed), fast=True),
              Case("collision return", collision_at_return, next(seed)),
              Case("collision pickup", collision_at_pickup, next(seed)),
              Case("card reader lost", card_reader_lost, next(seed), fast=True),
              Case("disk short", disk_short, next(seed), fast=True),
              Case("disk full mid vend", disk_full_mid_vend, next(seed))]
    return cases


CASES = _cases()
