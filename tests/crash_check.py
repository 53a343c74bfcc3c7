"""After a crash and a restart: the journal against the simulator's ground truth and the library.

One look at a running (or stopped) machine, counted by kind of problem, so that a campaign can
both fail on the first problem and report how many of each it found (none, when all is well):
- `integrity`: SQLite's `PRAGMA integrity_check` of the journal file is not "ok";
- `consistency`: a rule of the journal's derived tables broken (kiosk/journal/checks.py);
- `unflagged_intents`: an intent left open with no audit flag on it, its item or its slot;
- `phantom_loans`: a loan the journal or the library has for a book that is not out;
- `lost_loans`: a book of the machine out with a patron and no loan in the journal;
- `unaccounted`: a book elsewhere than the journal says (a slot, a port, the picker, the bin)
  or a book in the machine the journal does not know, with no audit flag on it;
- `security`: an AFI that does not match (0xC2 on loan, 0x07 otherwise);
- `library`: the library's loans (open and counted) differ from the journal's.
A book, slot or intent under an open audit flag is the technician's: only its loans are checked.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from kiosk.journal import Place
from kiosk.journal.checks import consistency_problems
from kiosk.journal.reads import JournalReader

AFI_ON_LOAN = 0xC2
AFI_SECURED = 0x07
SLOT_COUNT = 1000  # the demo machine's drum
KINDS = ("integrity", "consistency", "unflagged_intents", "phantom_loans", "lost_loans",
         "unaccounted", "security", "library")
ABOUT = {  # each campaign's description in docs/RELIABILITY.md: the same text in every case
    "crash": (
        "The controller is SIGKILLed at every named crash point (vends, returns, load, audit, "
        "re-slot) and at seeded random moments of six activities (a patron's checkout, a "
        "prefetch dropped, abandoned or confirmed, a return; the technician's load, audit and "
        "re-slot through the control socket), then restarted; while it is down a person at the "
        "machine may take a book shown or push one in (tests/test_crash.py, "
        "tests/test_crash_random.py, tests/test_crash_activities.py). A run is one kill and one "
        "look once recovery has settled: `PRAGMA integrity_check` ok, the journal's own rules "
        "hold, every book is where the journal says (a slot, a port, the picker, the bin, out "
        "on loan) unless an audit flag covers it, no intent is left open without a flag, each "
        "book's AFI matches, and the library has exactly the journal's loans, each lent as "
        "often as the journal says; the counts named after these checks are the problems each "
        "found. Bounded: a restart settles within 120 s, a job answers within 120 s."),
    "power_cut": (
        "As the crash campaign, with the PLC power-cycled at the moment of each kill: its "
        "command records (ACK_SEQ, DONE_SEQ) are gone and a motion stops where it is, so "
        "recovery proves where each book is from the sensors and the tags alone, or flags it. "
        "A book left on the picker puts the machine out of service with its move flagged; the "
        "technician puts it into a slot, resets and audits that slot, and the next look must "
        "find the machine ready with no flag left."),
}
# The world's one-book places, by the journal's name for them.
ONE_BOOK_PLACES = {Place.PICKUP_PORT: "pickup_port", Place.RETURN_PORT: "return_port",
                   Place.PICKER: "picker"}


@dataclass
class Findings:
    """What one look found: problems by kind, and what the journal leaves to a technician."""

    problems: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    open_flags: int = 0
    open_intents: int = 0
    open_loans: int = 0

    def add(self, kind: str, what: str) -> None:
        """One problem of `kind`."""
        self.problems[kind].append(what)

    @property
    def clean(self) -> bool:
        """No problem of any kind."""
        return not any(self.problems.values())

    def counts(self) -> dict[str, int]:
        """How many problems of each kind."""
        return {kind: len(found) for kind, found in self.problems.items()}

    def count_into(self, facts: dict) -> None:
        """Add this look's problems and open flags to a case's facts (case_facts)."""
        for kind, count in self.counts().items():
            facts[kind] += count
        facts["audit_flags"] += self.open_flags

    def describe(self) -> str:
        """The problems, for a failing assertion."""
        return "; ".join(f"{kind}: {found}" for kind, found in self.problems.items() if found)


def case_facts(campaign: str, activity: str) -> dict:
    """A campaign case's facts before its first run: every count at 0."""
    return {"runs": 0, "kills": 0, "named_points": 0, "random_moments": 0, "kills_at_rest": 0,
            "power_cuts": 0, "out_of_service": 0, "books_taken_off_the_picker": 0,
            **{kind: 0 for kind in KINDS}, "audit_flags": 0, "activity": activity,
            "about": ABOUT[campaign]}


def read_journal(path: Path) -> JournalReader:
    """The journal file, read only (the controller may be running: WAL lets both read)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    connection.execute("BEGIN")  # one snapshot for every query of the look
    return JournalReader(Database(connection), SLOT_COUNT)


def inspect(journal_path: Path, world: dict, library_loans: list[dict] | None,
            at_rest: bool = True) -> Findings:
    """Compare the journal with the world (and with the library's loans, when given: every
    loan of the patrons who used the machine, as the library's admin API reports them)."""
    found = Findings()
    reader = read_journal(journal_path)
    try:
        _check_file(reader, found)
        unproven = _unproven(reader, found)
        _check_books(reader, world, unproven, found)
        _check_security(reader, world, unproven, found)
        if library_loans is not None:
            _check_library(reader, library_loans, found)
        if at_rest:
            _check_at_rest(world, found)
    finally:
        reader.db.conn.close()
    return found


def _check_file(reader: JournalReader, found: Findings) -> None:
    verdict = [row[0] for row in reader.db.execute("PRAGMA integrity_check").fetchall()]
    if verdict != ["ok"]:
        found.add("integrity", "; ".join(map(str, verdict))[:500])
    for problem in consistency_problems(reader):
        found.add("consistency", problem)


def _unproven(reader: JournalReader, found: Findings) -> set:
    """Items, slots and intents under an open audit flag; an open intent without one is a
    problem."""
    flags = reader.open_flags()
    found.open_flags = len(flags)
    unproven: set = {f.item_id for f in flags if f.item_id}
    unproven |= {("slot", f.slot) for f in flags if f.slot is not None}
    unproven |= {("place", f.place.value if hasattr(f.place, "value") else f.place)
                 for f in flags if f.place}
    flagged_intents = {f.intent_id for f in flags if f.intent_id}
    intents = reader.open_intents()
    found.open_intents = len(intents)
    for intent in intents:
        covered = (intent.intent_id in flagged_intents or intent.item_id in unproven
                   or ("slot", intent.slot) in unproven)
        if not covered:
            found.add("unflagged_intents", f"{intent.kind.value} {intent.intent_id} of "
                      f"{intent.item_id} ({intent.stage.value})")
    return unproven


def world_places(world: dict) -> dict[str, tuple[str, int | None]]:
    """Where the world has each book: (place, slot) by item id."""
    places: dict[str, tuple[str, int | None]] = {}
    for slot, entry in world["slots"].items():
        places[entry["item_id"]] = ("slot", int(slot))
    for name in (*ONE_BOOK_PLACES.values(), "return_opening"):
        if world.get(name):
            places[world[name]["item_id"]] = (name, None)
    for entry in world["overflow_bin"]:
        places[entry["item_id"]] = ("bin", None)
    for entry in world["out"]:
        places[entry["item_id"]] = ("out", None)
    return places


def _journal_place(item) -> tuple[str, int | None]:
    """The world's name for where the journal has an item."""
    place = Place(item.place)
    if place is Place.SLOT:
        return ("slot", item.slot)
    if place is Place.ON_LOAN or place is Place.REMOVED:
        return ("out", None)
    return (ONE_BOOK_PLACES.get(place) or place.value, None)


def _check_books(reader: JournalReader, world: dict, unproven: set, found: Findings) -> None:
    """Every book of the journal where the world has it; every book in the machine known."""
    places = world_places(world)
    loans = {loan.item_id for loan in reader.open_loans()}
    found.open_loans = len(loans)
    items = {item.item_id: item for item in reader.items()}
    for item_id in loans:
        if places.get(item_id, ("?", None))[0] != "out":
            found.add("phantom_loans", f"{item_id} on loan, in the world at {places.get(item_id)}")
    for item_id, item in items.items():
        there, expected = places.get(item_id), _journal_place(item)
        if Place(item.place) is Place.UNKNOWN or there == expected or item_id in loans:
            continue
        if there is not None and there[0] == "out" and Place(item.place) is not Place.REMOVED:
            if item_id not in unproven:
                found.add("lost_loans", f"{item_id} out with a patron, the journal has it at "
                          f"{expected}")
        elif item_id not in unproven and ("slot", expected[1]) not in unproven:
            found.add("unaccounted", f"{item_id}: journal {expected}, world {there}")
    for item_id, (place, slot) in places.items():
        inside = place != "out"
        flagged = item_id in unproven or ("slot", slot) in unproven or ("place", place) in unproven
        if inside and item_id not in items and not flagged:
            found.add("unaccounted", f"{item_id} in the machine ({place} {slot}), unknown to "
                      "the journal")


def _check_security(reader: JournalReader, world: dict, unproven: set,
                    found: Findings) -> None:
    """AFI 0xC2 on exactly the books on loan; 0x07 on every other book of the machine."""
    loans = {loan.item_id for loan in reader.open_loans()}
    entries = [*world["slots"].values(), *world["overflow_bin"], *world["out"],
               *(world[name] for name in ONE_BOOK_PLACES.values() if world.get(name))]
    for entry in entries:
        item = reader.item(entry["item_id"])
        if item is None or entry["item_id"] in unproven or Place(item.place) is Place.REMOVED:
            continue
        expected = AFI_ON_LOAN if entry["item_id"] in loans else AFI_SECURED
        if entry["afi"] != expected:
            found.add("security", f"{entry['item_id']} AFI {entry['afi']:#04x}, "
                      f"expected {expected:#04x}")


def _check_library(reader: JournalReader, library_loans: list[dict], found: Findings) -> None:
    """The library's open loans of our books are the journal's, and each book was lent as
    many times at the library as in the journal (every event applied exactly once)."""
    ours = {item.item_id for item in reader.items()}
    library_open = {(loan["item_id"], loan["patron"]) for loan in library_loans
                    if loan["returned_at"] is None and loan["item_id"] in ours}
    journal_open = {(loan.item_id, loan.patron_id) for loan in reader.open_loans()}
    for item_id, patron in sorted(library_open - journal_open):
        found.add("phantom_loans", f"{item_id} on loan to {patron} at the library only")
    for item_id, patron in sorted(journal_open - library_open):
        found.add("library", f"{item_id} on loan to {patron} in the journal only")
    library_count = Counter(loan["item_id"] for loan in library_loans if loan["item_id"] in ours)
    journal_count = Counter(dict(reader.db.execute(
        "SELECT item_id, COUNT(*) FROM loans GROUP BY item_id").fetchall()))
    for item_id in sorted(set(library_count) | set(journal_count)):
        if library_count[item_id] != journal_count[item_id]:
            found.add("library", f"{item_id} lent {library_count[item_id]} times at the library, "
                      f"{journal_count[item_id]} in the journal")


def _check_at_rest(world: dict, found: Findings) -> None:
    """Doors shut, lamps off, nothing waiting in the return opening."""
    sensors, lamps = world["sensors"], world["lamps"]
    if not (sensors["pickup_door_closed"] and sensors["return_shutter_closed"]):
        found.add("unaccounted", f"a door left open: {sensors}")
    if lamps["pickup_lamp"] or lamps["return_lamp"]:
        found.add("unaccounted", f"a lamp left on: {lamps}")
    if world.get("return_opening"):
        found.add("unaccounted", f"a book left in the return opening: {world['return_opening']}")
