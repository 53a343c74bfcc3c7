"""What the metrics and the alerts read of the controller, in one pass on its loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.journal import Place, utc_now
from kiosk.journal_room import journal_room

if TYPE_CHECKING:
    from kiosk.controller import Controller

_ITEMS_BY_PLACE = "SELECT place, COUNT(*) FROM items GROUP BY place"
_READY_HOLDS_ON_SHELF = """SELECT COUNT(*) FROM holds JOIN items USING (item_id)
    WHERE holds.ended_at IS NULL AND holds.ready_at IS NOT NULL AND items.place = 'slot'"""


@dataclass(frozen=True)
class Readings:
    """The controller's state as numbers: one reading, taken between two events."""

    state: str
    fault: dict | None
    library_up: bool
    backlog: int
    oldest_pending_age: float  # seconds
    conflicts: int
    refused: int
    slots: int
    free_slots: int
    items: dict[str, int] = field(default_factory=dict)  # place -> items there
    open_flags: int = 0
    holds_ready: int = 0  # returned books on the shelf, held for a patron
    pickup_unclaimed: bool = False  # a book in the pickup port and no vend waiting for a take
    bin_full_sensor: bool = False
    plc_cycles: int | None = None  # the PLC's CYCLES register (None: not read yet)
    readers: dict[str, bool] = field(default_factory=dict)  # card_reader, barcode_scanner: ok
    journal_room: int | None = None  # bytes the journal may still grow by (None: unknown)

    @property
    def readers_lost(self) -> list[str]:
        """The readers that are lost now."""
        return sorted(name for name, ok in self.readers.items() if not ok)

    @property
    def bin_items(self) -> int:
        """Books the journal has in the overflow bin."""
        return self.items.get(Place.BIN.value, 0)


def read(ctl: "Controller") -> Readings:
    """Read everything the metrics and the alerts need (call on the loop: ctl.query)."""
    journal, sync = ctl.journal, ctl.sync.status if ctl.sync is not None else None
    status = ctl.mech.last_status if ctl.mech is not None else None
    sensors = status.sensors if status is not None else None
    items = {place.value: 0 for place in Place}
    items.update({place: count for place, count in journal.db.execute(_ITEMS_BY_PLACE)})
    return Readings(
        state=ctl.state.value,
        fault=ctl.fault,
        library_up=bool(sync.online) if sync is not None else False,
        backlog=sync.backlog if sync is not None else journal.outbox_backlog().count,
        oldest_pending_age=journal.outbox_backlog().oldest_age_seconds(utc_now()),
        conflicts=sync.conflicts if sync is not None else 0,
        refused=sync.refused if sync is not None else 0,
        slots=journal.slot_count,
        free_slots=len(journal.free_slots()),
        items=items,
        open_flags=len(journal.open_flags()),
        holds_ready=journal.db.execute(_READY_HOLDS_ON_SHELF).fetchone()[0],
        pickup_unclaimed=bool(sensors and sensors.pickup_item_present and ctl.flows.vend is None),
        bin_full_sensor=bool(sensors and sensors.overflow_bin_full),
        plc_cycles=status.cycles if status is not None else None,
        readers={"card_reader": ctl.health.card.ok, "barcode_scanner": ctl.health.scanner.ok},
        journal_room=_room(ctl),
    )


def _room(ctl: "Controller") -> int | None:
    try:
        return journal_room(ctl.config.journal_path)
    except OSError:
        return None
