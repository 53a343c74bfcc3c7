"""What the machine is doing when the crash campaign kills it: six activities, each repeatable.

Each activity has an untimed `prepare` (what must be true before it: room on the patron's card,
a book to return, maintenance on), a timed `run` (the patron's or the technician's part, during
which the killer strikes), and `hands_while_down` (what a person at the machine may do while the
controller is dead). `run` raises when the controller dies under it; the campaign swallows that
only once its killer has struck.
"""

from __future__ import annotations

import random
import threading

from conftest import wait_for
from crash_check import read_journal
from kiosk.control import ask
from kiosk_rig import GOOD_MEMBER, TECHNICIAN_PIN, KioskRig

JOB_TIMEOUT = 120  # seconds: the longest silence of a technician's job's answer
CHOICE = 40  # the patron picks among the first CHOICE books offered: slots all over the drum


class Activity:
    """One repeatable thing the machine does; `name` is its campaign name."""

    name = ""
    named_points: tuple[str, ...] = ()  # crash points (KIOSK_CRASH_AT) reached by `run`

    def prepare(self, rig: KioskRig, rng: random.Random) -> None:
        """Make the activity possible (not timed, never killed)."""

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        """Do it once (timed: the killer strikes within)."""
        raise NotImplementedError

    def hands_while_down(self, rig: KioskRig, rng: random.Random) -> None:
        """A patron at the pickup door may take the book shown while the controller is dead."""
        world = rig.sim.world_get()
        if (world["pickup_port"] and not world["sensors"]["pickup_door_closed"]
                and rng.random() < 0.5):
            rig.sim.world_post("/pickup/take")

    def facts(self) -> dict:
        """What the activity did, summed over the case (e.g. books loaded)."""
        return {}


# -- the patron's activities ----------------------------------------------------------------------
def open_loans_out(rig: KioskRig) -> list[str]:
    """The patron's loans (the journal's) whose books are out of the machine."""
    out = {entry["item_id"] for entry in rig.sim.world_get()["out"]}
    reader = read_journal(rig.directory / "state" / "journal.db")
    try:
        return [loan.item_id for loan in reader.open_loans(GOOD_MEMBER) if loan.item_id in out]
    finally:
        reader.db.conn.close()


def give_back(rig: KioskRig, item_id: str) -> None:
    """The patron returns a book through the return slot; the kiosk ends ready."""
    state = rig.return_book({"item_id": item_id})
    assert state["state"] == "ready", state


def make_room(rig: KioskRig) -> None:
    """Return every book the patron has out, so that two more may be borrowed."""
    for item_id in open_loans_out(rig):
        give_back(rig, item_id)


def choose_books(rig: KioskRig, rng: random.Random, count: int) -> list[str]:
    """`count` books the patron may take now, picked at random."""
    offered = [book["item_id"] for book in rig.books()[:CHOICE]]
    return rng.sample(offered, min(count, len(offered)))


def finish_session(rig: KioskRig) -> None:
    """End the patron's session (if it is still open) and wait until the kiosk is ready."""
    state = rig.wait_state(lambda s: s["state"] in ("browsing", "ready"))
    if state["state"] == "browsing":
        rig.api("/api/session/end")
    rig.wait_state("ready")


class Checkout(Activity):
    """A patron taps a card, chooses one or two books, confirms, and takes each (or walks away
    from one, which goes back into its slot)."""

    name = "checkout"
    named_points = ("vend.before_fetch", "vend.after_fetch", "vend.after_open_pickup",
                    "vend.after_present", "vend.after_taken")

    def __init__(self) -> None:
        self.taken = self.left = 0

    def prepare(self, rig: KioskRig, rng: random.Random) -> None:
        make_room(rig)

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        rig.start_session()
        books = choose_books(rig, rng, rng.choice([1, 2]))
        for item_id in books:
            rig.api("/api/cart/add", {"item_id": item_id})
        rig.api("/api/cart/confirm")
        for _ in books:
            rig.wait_state("awaiting_take")
            if rng.random() < 0.8:
                rig.sim.world_post("/pickup/take")
                self.taken += 1
            else:
                self.left += 1
            rig.wait_state(lambda s: s["state"] != "awaiting_take")
        finish_session(rig)

    def facts(self) -> dict:
        return {"books_taken": self.taken, "books_left_at_the_pickup_door": self.left}


class Prefetch(Activity):
    """A patron chooses a book, which is fetched at once while they browse; then they drop it,
    leave, or confirm and take it."""

    name = "prefetch"
    named_points = ("vend.before_fetch", "vend.after_fetch", "vend.before_retract",
                    "vend.after_retract")

    def __init__(self) -> None:
        self.choices: dict[str, int] = {}

    def prepare(self, rig: KioskRig, rng: random.Random) -> None:
        make_room(rig)
        rig.start_session()

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        item_id = choose_books(rig, rng, 1)[0]
        rig.api("/api/cart/add", {"item_id": item_id})
        rig.wait_state(lambda s: s["state"] == "browsing" and (s["session"] or {}).get(
            "prefetch", {}) and s["session"]["prefetch"]["ready"])
        choice = rng.choice(["remove", "leave", "confirm"])
        self.choices[choice] = self.choices.get(choice, 0) + 1
        if choice == "remove":
            rig.api("/api/cart/remove", {"item_id": item_id})
        elif choice == "leave":
            rig.api("/api/session/end")
        else:
            rig.api("/api/cart/confirm")
            rig.wait_state("awaiting_take")
            rig.sim.world_post("/pickup/take")
            rig.wait_state(lambda s: s["state"] != "awaiting_take")
        finish_session(rig)

    def facts(self) -> dict:
        return {f"prefetch_then_{choice}": n for choice, n in self.choices.items()}


class Return(Activity):
    """A patron returns a book they borrowed: the slot opens, the book goes in, it is read,
    checked in and shelved."""

    name = "return"
    named_points = ("return.after_open", "return.after_identified", "return.before_store",
                    "return.after_store")

    def __init__(self) -> None:
        self.book: str | None = None
        self.returned = 0

    def prepare(self, rig: KioskRig, rng: random.Random) -> None:
        out = open_loans_out(rig)
        if not out:
            rig.start_session()
            rig.borrow(choose_books(rig, rng, 1))
            finish_session(rig)
            out = open_loans_out(rig)
        self.book = out[0]

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        rig.api("/api/return")
        rig.wait_state("awaiting_insert")
        rig.sim.world_post("/return/insert", {"item_id": self.book})
        rig.wait_state("ready")
        self.returned += 1

    def hands_while_down(self, rig: KioskRig, rng: random.Random) -> None:
        """The patron pushes the book into a shutter left open."""
        world = rig.sim.world_get()
        if (not world["sensors"]["return_shutter_closed"] and world["return_port"] is None
                and self.book in {e["item_id"] for e in world["out"]} and rng.random() < 0.5):
            rig.sim.world_post("/return/insert", {"item_id": self.book})

    def facts(self) -> dict:
        return {"returns_completed": self.returned}


# -- the technician's jobs ------------------------------------------------------------------------
class RunningJob(threading.Thread):
    """A job request answered in the background while the test plays the technician's hands."""

    def __init__(self, rig: KioskRig, request: str, args: dict):
        super().__init__(daemon=True)
        self.rig, self.request, self.args = rig, request, args
        self.answer: dict | None = None
        self.error: Exception | None = None
        self.start()

    def run(self) -> None:
        try:
            self.answer = ask(self.rig.control_socket, self.request, self.args, JOB_TIMEOUT,
                              pin=TECHNICIAN_PIN)
        except Exception as exc:  # the controller died under the job
            self.error = exc

    def result(self) -> dict:
        """Wait for the answer; a controller that died raises ConnectionError."""
        self.join(JOB_TIMEOUT)
        if self.answer is None:
            raise ConnectionError(f"{self.request}: no answer ({self.error})")
        assert self.answer["ok"], self.answer
        return self.answer["result"]


def maintenance(rig: KioskRig, on: bool) -> None:
    """Take the machine from patrons (on), or give it back (off: it homes first)."""
    rig.control("maintenance", {"on": on})
    rig.wait_state("maintenance" if on else "ready")


def book_at_the_open_pickup_door(rig: KioskRig) -> bool:
    """The pickup door is open with a book behind it."""
    world = rig.sim.world_get()
    return not world["sensors"]["pickup_door_closed"] and world["pickup_port"] is not None


def shutter_open_for_a_book(rig: KioskRig) -> bool:
    """The return shutter is open and its port empty."""
    world = rig.sim.world_get()
    return not world["sensors"]["return_shutter_closed"] and world["return_port"] is None


class Load(Activity):
    """The technician loads one or two new books through the return port (`kiosk load`) and
    gives the machine back to patrons. When spare copies or free slots run short, the books
    loaded so far are unloaded first (`kiosk unload`, not timed), to be loaded again."""

    name = "load"
    named_points = ("load.after_registered", "return.before_store", "return.after_store")
    LOW = 4  # spare copies or free slots below which the loaded books are taken out again

    def __init__(self) -> None:
        self.loaded = self.unloaded = 0
        self.stocked: set[str] | None = None  # the books in the drum before the first load

    def prepare(self, rig: KioskRig, rng: random.Random) -> None:
        world = rig.sim.world_get()
        if self.stocked is None:
            self.stocked = {entry["item_id"] for entry in world["slots"].values()}
        maintenance(rig, True)
        if min(len(world["spares"]), rig.control("status")["free_slots"]) < self.LOW:
            self.unload(rig, [entry["item_id"] for entry in world["slots"].values()
                              if entry["item_id"] not in self.stocked])

    def unload(self, rig: KioskRig, items: list[str]) -> None:
        """Withdraw these books through the pickup port, taking each one at the door."""
        job = RunningJob(rig, "unload", {"items": items})
        for _ in items:
            wait_for(lambda: book_at_the_open_pickup_door(rig) or not job.is_alive(), 60,
                     message="a book at the open pickup door")
            if not job.is_alive():
                break
            rig.sim.world_post("/pickup/take")
        result = job.result()
        assert len(result["withdrawn"]) == len(items), result
        self.unloaded += len(items)

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        count = rng.choice([1, 2])
        job = RunningJob(rig, "load", {"count": count, "wait": 10})
        for _ in range(count):
            wait_for(lambda: shutter_open_for_a_book(rig) or not job.is_alive(), 30,
                     message="the shutter to open for a book")
            if not job.is_alive():
                break
            rig.sim.world_post("/return/insert", {"new": {}})
        result = job.result()
        assert result["refused"] == [] and result["ended_by"] == "count", result
        self.loaded += len(result["loaded"])
        maintenance(rig, False)

    def hands_while_down(self, rig: KioskRig, rng: random.Random) -> None:
        """The technician pushes the next new book into a shutter left open."""
        if shutter_open_for_a_book(rig) and rng.random() < 0.5:
            rig.sim.world_post("/return/insert", {"new": {}})

    def facts(self) -> dict:
        return {"loads_completed": self.loaded, "books_unloaded_to_load_again": self.unloaded}


class Audit(Activity):
    """The technician audits a dozen slots (`kiosk audit`), or resumes the audit a crash
    stopped (`kiosk audit --resume`); a clean drum shows no mismatch."""

    name = "audit"
    named_points = ("audit.after_read",)
    SLOTS = 12

    def __init__(self) -> None:
        self.audited = self.resumed = 0

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        last = rig.ask("audit-last")
        if last["ok"] and not last["result"]["finished"]:
            args: dict = {"resume": True}
            self.resumed += 1
        else:
            args = {"slots": sorted(rng.sample(range(1000), self.SLOTS))}
        result = RunningJob(rig, "audit", args).result()
        assert result["finished"] and result["mismatches"] == [], result
        self.audited += 1

    def facts(self) -> dict:
        return {"audits_finished": self.audited, "audits_resumed": self.resumed}


class Reslot(Activity):
    """The technician re-slots (`kiosk reslot --max-moves N`): popular books moved by TRANSFER
    to the slots quickest to fetch from."""

    name = "reslot"
    named_points = ("reslot.before_transfer", "reslot.after_transfer")

    def __init__(self) -> None:
        self.moves = 0

    def run(self, rig: KioskRig, rng: random.Random) -> None:
        result = RunningJob(rig, "reslot", {"max_moves": rng.randint(2, 4)}).result()
        assert not result["moves_skipped"], result
        self.moves += len(result["moves_done"])

    def facts(self) -> dict:
        return {"transfers": self.moves}


ACTIVITIES: dict[str, type[Activity]] = {
    cls.name: cls for cls in (Checkout, Prefetch, Return, Load, Audit, Reslot)}
