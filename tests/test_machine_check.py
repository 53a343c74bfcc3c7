"""check_geometry: the PLC's registers against [carousel.geometry] and the journal's slot count."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drivers.carousel import Geometry, carousel_config
from kiosk.machine_check import MachineMismatch, check_geometry
from test_carousel_monitor import BASE  # a status of the reference machine, FW 1.0

REFERENCE = {"levels": 10, "positions": 100, "pickup_level": 4, "return_level": 5,
             "fw_version": "1.0"}


def plc(**geometry: int):
    """A status whose geometry registers differ from the reference machine's as given."""
    return replace(BASE, geometry=replace(Geometry(), **geometry))


def test_the_reference_machine_matches_a_config_that_names_it():
    config = carousel_config({"geometry": REFERENCE})
    assert check_geometry(BASE, config, 1000) == Geometry()


def test_unset_keys_and_a_new_journal_accept_what_the_plc_reports():
    status = plc(levels=12, positions=80, pickup_level=0, return_level=11)
    assert check_geometry(status, carousel_config({}), None) == status.geometry


@pytest.mark.parametrize(("registers", "names"), [
    ({"levels": 12}, ["LEVELS 12", "levels = 10", "1200 slots, the journal 1000"]),
    ({"positions": 90}, ["POSITIONS 90", "positions = 100", "900 slots"]),
    ({"pickup_level": 3}, ["PICKUP_LEVEL 3", "pickup_level = 4"]),
    ({"return_level": 6}, ["RETURN_LEVEL 6", "return_level = 5"]),
])
def test_each_register_that_differs_is_named(registers, names):
    with pytest.raises(MachineMismatch) as caught:
        check_geometry(plc(**registers), carousel_config({"geometry": REFERENCE}), 1000)
    for name in names:
        assert name in str(caught.value), (name, str(caught.value))
    others = [r for r in ("LEVELS", "POSITIONS", "PICKUP_LEVEL", "RETURN_LEVEL")
              if f"{r} " in str(caught.value)]
    assert len(others) == 1  # only the register that differs


def test_a_journal_of_another_slot_count_is_refused_even_without_a_configured_geometry():
    with pytest.raises(MachineMismatch, match="1000 slots, the journal 800"):
        check_geometry(BASE, carousel_config({}), 800)


def test_firmware_of_another_version_is_refused():
    with pytest.raises(MachineMismatch, match=r'FW_VERSION 1\.1, \[carousel.geometry\] '
                                              r'fw_version = "1\.0"'):
        check_geometry(replace(BASE, firmware=0x0101), carousel_config({"geometry": REFERENCE}),
                       1000)
    with pytest.raises(MachineMismatch, match=r"FW_VERSION 2\.0, this controller speaks 1\.x"):
        check_geometry(replace(BASE, firmware=0x0200), carousel_config({}), None)
    assert check_geometry(replace(BASE, firmware=0x0103), carousel_config({}), None)


def test_ports_on_one_level_are_refused():
    with pytest.raises(MachineMismatch, match="both ports at level 4"):
        check_geometry(plc(return_level=4), carousel_config({}), None)


def test_every_mismatch_is_listed_at_once():
    with pytest.raises(MachineMismatch) as caught:
        check_geometry(replace(plc(levels=8, positions=50), firmware=0x0102),
                       carousel_config({"geometry": REFERENCE}), 1000)
    assert len(caught.value.problems) == 4  # FW, LEVELS, POSITIONS, the journal
