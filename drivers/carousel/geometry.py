"""Carousel geometry and the reference timing model (carousel-plc.md), shared by sim and planner."""

from __future__ import annotations

from dataclasses import dataclass


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
    """Seconds per motion at speed 1x (the reference machine)."""

    drum_per_column: float = 0.08
    drum_settle: float = 0.4
    picker_per_level: float = 0.35
    picker_settle: float = 0.3
    handle: float = 1.2
    door: float = 0.8
    home: float = 6.0

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


REFERENCE_GEOMETRY = Geometry()
REFERENCE_TIMING = Timing()
