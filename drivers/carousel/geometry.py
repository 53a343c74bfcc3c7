"""Carousel geometry and the timing model (carousel-plc.md), shared by sim, driver and planner."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from drivers.carousel.registers import Command
from drivers.config import require_range

Position = tuple[int, int]  # (level, column at the mast)


@dataclass(frozen=True)
class Geometry:
    """Drum shape and port levels; slot = level * positions + position."""

    levels: int = 10
    positions: int = 100
    pickup_level: int = 4
    return_level: int = 5

    @property
    def slot_count(self) -> int:
        """Number of slots in the drum."""
        return self.levels * self.positions

    def slot_of(self, level: int, position: int) -> int:
        """Slot number of a level and column."""
        return level * self.positions + position

    def locate(self, slot: int) -> tuple[int, int]:
        """(level, position) of a slot number."""
        if not 0 <= slot < self.slot_count:
            raise ValueError(f"slot {slot} outside 0..{self.slot_count - 1}")
        return divmod(slot, self.positions)


@dataclass(frozen=True)
class Timing:
    """Seconds per motion of one machine (defaults: the reference machine at speed 1x)."""

    drum_per_column: float = 0.08  # drum, per column turned
    drum_settle: float = 0.4  # drum start/settle when it moves
    picker_per_level: float = 0.35  # picker, per level
    picker_settle: float = 0.3  # picker start/settle when it moves
    handle: float = 1.2  # take a book from a slot or port, or put one in
    door: float = 0.8  # a door or shutter opens or closes
    home: float = 6.0  # HOME

    def __post_init__(self) -> None:
        for f in fields(self):
            require_range(f.name, getattr(self, f.name), 0.0, 600.0)

    def scaled(self, factor: float) -> Timing:
        """Every time multiplied by `factor` (a simulator at speed s is the reference x 1/s)."""
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)})

    def drum_time(self, from_position: int, to_position: int, positions: int) -> float:
        """Time for the drum to turn the shortest way between two columns."""
        step = abs(to_position - from_position) % positions
        step = min(step, positions - step)
        return 0.0 if step == 0 else step * self.drum_per_column + self.drum_settle

    def picker_time(self, from_level: int, to_level: int) -> float:
        """Time for the picker to move between two levels."""
        step = abs(to_level - from_level)
        return 0.0 if step == 0 else step * self.picker_per_level + self.picker_settle

    def travel_time(
        self, start: tuple[int, int], end: tuple[int, int], geometry: Geometry
    ) -> float:
        """Drum and picker move together: the larger of the two times."""
        return max(
            self.drum_time(start[1], end[1], geometry.positions),
            self.picker_time(start[0], end[0]),
        )

    def command_seconds(self, command: Command, arg1: int, arg2: int, at: Position,
                        geometry: Geometry) -> float:
        """Expected duration of an accepted command from the picker's position `at`.

        ValueError for a slot outside the geometry (the PLC rejects such a command).
        """
        pickup, ret = (geometry.pickup_level, at[1]), (geometry.return_level, at[1])
        command = Command(command)
        if command is Command.HOME:
            return self.home
        if command in (Command.FETCH, Command.PRESENT, Command.TRANSFER):
            source = geometry.locate(arg1)
            destination = {Command.FETCH: (pickup[0], source[1]), Command.PRESENT: None,
                           Command.TRANSFER: geometry.locate(arg2)}[command]
            return self._carry(at, source, destination, geometry)
        if command in (Command.STORE, Command.RETRACT):
            port = ret if command is Command.STORE else pickup
            slot = geometry.locate(arg1)
            return self._carry(at, port, slot, geometry)
        if command is Command.EJECT_RETURN:
            return self.door + self.handle
        if command is Command.DIVERT_RETURN:
            return self.handle
        if command is Command.RESET_FAULT:
            return 0.0
        return self.door  # the four door commands

    def _carry(self, at: Position, source: Position, destination: Position | None,
               geometry: Geometry) -> float:
        """Travel to the source; with a destination, take, travel there and put (ports: no turn)."""
        seconds = self.travel_time(at, source, geometry)
        if destination is None:
            return seconds
        return seconds + 2 * self.handle + self.travel_time(source, destination, geometry)


REFERENCE_GEOMETRY = Geometry()
REFERENCE_TIMING = Timing()
