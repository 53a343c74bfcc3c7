"""Holds: placed on a copy that is out, ready at its machine on return, kept 3 days."""

from __future__ import annotations

from datetime import datetime

from sim.library.core import Library, Result
from sim.library.db import from_db, to_db
from sim.library.rules import Refused, hold_expiry

ACTIVE = ("waiting", "ready")


def expire(lib: Library, now: datetime) -> None:
    """Expire ready holds not picked up in time and pass each copy to the next in line."""
    while True:
        row = lib.one("SELECT * FROM holds WHERE state = 'ready' AND expires_at < ? "
                      "ORDER BY expires_at LIMIT 1", to_db(now))
        if row is None:
            return
        with lib.atomic():
            lib.run("UPDATE holds SET state = 'expired' WHERE hold_id = ?", row["hold_id"])
            promote(lib, row["item_id"], from_db(row["expires_at"]))


def promote(lib: Library, item_id: str, at: datetime) -> bool:
    """Make the first waiting hold ready if the copy is in its machine; True if one is ready."""
    if lib.one("SELECT 1 FROM holds WHERE item_id = ? AND state = 'ready'", item_id):
        return True
    if lib.one("SELECT 1 FROM loans WHERE item_id = ? AND returned_at IS NULL", item_id):
        return False
    first = lib.one("SELECT hold_id FROM holds WHERE item_id = ? AND state = 'waiting' "
                    "ORDER BY placed_at, hold_id LIMIT 1", item_id)
    if first is None:
        return False
    # The library tells its patron (app, text message) that the copy waits at the machine.
    lib.run("UPDATE holds SET state = 'ready', ready_at = ?, expires_at = ?, notified_at = ? "
            "WHERE hold_id = ?", to_db(at), to_db(hold_expiry(at, lib.tz)), to_db(lib.now()),
            first["hold_id"])
    return True


def ready_hold(lib: Library, item_id: str):
    """The hold waiting on the shelf for this copy, or None."""
    return lib.one("SELECT * FROM holds WHERE item_id = ? AND state = 'ready'", item_id)


def active_hold(lib: Library, item_id: str, member_number: str):
    """The patron's waiting or ready hold on the copy, or None."""
    return lib.one("SELECT * FROM holds WHERE item_id = ? AND member_number = ? "
                   "AND state IN ('waiting', 'ready')", item_id, member_number)


def queue_length(lib: Library, item_id: str) -> int:
    """How many holds (waiting or ready) the copy has."""
    row = lib.one("SELECT count(*) AS n FROM holds WHERE item_id = ? "
                  "AND state IN ('waiting', 'ready')", item_id)
    return row["n"]


def place(lib: Library, machine_id: str, member_number: str, item_id: str,
          at: datetime, block: str | None) -> Result:
    """Hold a copy that is out for pickup at its machine (`block`: the patron's block)."""
    item = lib.one("SELECT * FROM items WHERE item_id = ?", item_id)
    if item is None:
        raise Refused("unknown_item", item_id)
    if item["home_machine"] != machine_id:
        raise Refused("wrong_location", item_id)
    if block is not None:
        raise Refused(block)
    loan = lib.one("SELECT member_number FROM loans WHERE item_id = ? AND returned_at IS NULL",
                   item_id)
    if loan is None:
        raise Refused("item_available", item_id)
    if loan["member_number"] == member_number:
        raise Refused("already_on_loan", item_id)
    if active_hold(lib, item_id, member_number) is not None:
        raise Refused("hold_exists", item_id)
    lib.run("INSERT INTO holds (item_id, member_number, pickup_machine, placed_at, state) "
            "VALUES (?, ?, ?, ?, 'waiting')", item_id, member_number, machine_id, to_db(at))
    return _hold_json(lib, active_hold(lib, item_id, member_number))


def cancel(lib: Library, member_number: str, item_id: str, at: datetime) -> Result:
    """Cancel the patron's hold on the copy; the next in line may become ready."""
    hold = active_hold(lib, item_id, member_number)
    if hold is None:
        raise Refused("hold_not_found", item_id)
    lib.run("UPDATE holds SET state = 'cancelled' WHERE hold_id = ?", hold["hold_id"])
    if hold["state"] == "ready":
        promote(lib, item_id, at)
    return {**_hold_json(lib, hold), "state": "cancelled", "expires_at": None}


def fulfil(lib: Library, item_id: str, member_number: str) -> None:
    """The patron took the copy they held: their hold is done."""
    lib.run("UPDATE holds SET state = 'fulfilled' WHERE item_id = ? AND member_number = ? "
            "AND state IN ('waiting', 'ready')", item_id, member_number)


def unready(lib: Library, item_id: str) -> None:
    """The copy left with someone else: a ready hold goes back to waiting."""
    lib.run("UPDATE holds SET state = 'waiting', ready_at = NULL, expires_at = NULL "
            "WHERE item_id = ? AND state = 'ready'", item_id)


def ready_at_machine(lib: Library, machine_id: str) -> list[Result]:
    """Holds ready for pickup at the machine."""
    return [_pickup_json(lib, row) for row in lib.all(
        "SELECT h.*, t.title FROM holds h JOIN items i USING (item_id) JOIN titles t "
        "USING (title_id) WHERE h.pickup_machine = ? AND h.state = 'ready' ORDER BY h.item_id",
        machine_id)]


def ready_for_patron(lib: Library, machine_id: str, member_number: str) -> list[Result]:
    """The patron's holds ready for pickup at the machine."""
    return [h for h in ready_at_machine(lib, machine_id) if h["patron"] == member_number]


def first_in_line(lib: Library, machine_id: str) -> list[Result]:
    """Per copy of the machine with an active hold, placed anywhere: the ready hold or the
    first waiting one."""
    rows = lib.all(
        "SELECT h.*, t.title FROM holds h JOIN items i USING (item_id) JOIN titles t "
        "USING (title_id) WHERE i.home_machine = ? AND h.state IN ('waiting', 'ready') "
        "ORDER BY h.item_id, h.state = 'ready' DESC, h.placed_at, h.hold_id", machine_id)
    first: dict[str, Result] = {}
    for row in rows:
        first.setdefault(row["item_id"], {**_pickup_json(lib, row), "state": row["state"]})
    return list(first.values())


def ready_json(lib: Library, item_id: str) -> Result | None:
    """The ready hold on a copy as a return reports it: {"patron", "expires_at"}, or None."""
    row = ready_hold(lib, item_id)
    if row is None:
        return None
    return {"patron": row["member_number"], "expires_at": lib.iso(row["expires_at"])}


def _pickup_json(lib: Library, row) -> Result:
    return {"item_id": row["item_id"], "title": row["title"], "patron": row["member_number"],
            "expires_at": lib.iso(row["expires_at"])}


def _hold_json(lib: Library, row) -> Result:
    return {"item_id": row["item_id"], "patron": row["member_number"], "state": row["state"],
            "expires_at": lib.iso(row["expires_at"])}
