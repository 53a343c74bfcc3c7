"""The start-up check of the machine: what the PLC reports against the config and the journal."""

from __future__ import annotations

from drivers.carousel import CarouselConfig, CarouselStatus, Geometry

SUPPORTED_FW_MAJOR = 1  # the register map this controller speaks (hardware/carousel-plc.md v1)
REGISTERS = (("levels", "LEVELS"), ("positions", "POSITIONS"), ("pickup_level", "PICKUP_LEVEL"),
             ("return_level", "RETURN_LEVEL"))


class MachineMismatch(Exception):
    """The PLC is not the machine the config and the journal describe: refuse to start."""

    def __init__(self, problems: list[str]):
        super().__init__("the machine does not match: " + "; ".join(problems))
        self.problems = problems


def check_geometry(status: CarouselStatus, config: CarouselConfig,
                   journal_slot_count: int | None) -> Geometry:
    """The PLC's geometry, once it matches [carousel.geometry] and the journal's slot count.

    `journal_slot_count` is None for a journal that has no slots yet. Every mismatch is named
    in one MachineMismatch.
    """
    problems = _firmware(status.firmware, config.geometry.fw_word)
    reported = status.geometry
    for key, register in REGISTERS:
        expected, actual = getattr(config.geometry, key), getattr(reported, key)
        if expected is not None and expected != actual:
            problems.append(f"the PLC reports {register} {actual}, "
                            f"[carousel.geometry] {key} = {expected}")
    if reported.pickup_level == reported.return_level:
        problems.append(f"the PLC reports both ports at level {reported.pickup_level}")
    if journal_slot_count is not None and journal_slot_count != reported.slot_count:
        problems.append(f"the PLC has {reported.levels} x {reported.positions} = "
                        f"{reported.slot_count} slots, the journal {journal_slot_count}")
    if problems:
        raise MachineMismatch(problems)
    return reported


def _firmware(word: int, expected: int | None) -> list[str]:
    """Problems with FW_VERSION: an unsupported major version, or not the configured one."""
    problems = []
    if word >> 8 != SUPPORTED_FW_MAJOR:
        problems.append(f"the PLC reports FW_VERSION {_version(word)}, "
                        f"this controller speaks {SUPPORTED_FW_MAJOR}.x")
    if expected is not None and word != expected:
        problems.append(f"the PLC reports FW_VERSION {_version(word)}, "
                        f"[carousel.geometry] fw_version = \"{_version(expected)}\"")
    return problems


def _version(word: int) -> str:
    return f"{word >> 8}.{word & 0xFF}"
