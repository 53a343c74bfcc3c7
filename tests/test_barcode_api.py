"""The exported surface of drivers.barcode."""

from __future__ import annotations

import drivers.barcode
from drivers.barcode import Symbology

EXPECTED = {
    "BarcodeConfig", "BarcodeScanner", "LineParser", "Misread", "MisreadReason", "PortProblem",
    "Scanned", "ScannerConnected", "ScannerDisconnected", "ScannerEvent", "Symbology", "parse_line",
}


def test_all_is_the_intended_public_surface():
    assert set(drivers.barcode.__all__) == EXPECTED
    assert len(drivers.barcode.__all__) == len(EXPECTED)


def test_every_exported_name_exists_and_public_names_are_exported():
    for name in drivers.barcode.__all__:
        assert hasattr(drivers.barcode, name), name
    public = {n for n in vars(drivers.barcode) if not n.startswith("_")}
    assert public - {"config", "parser", "scanner"} == EXPECTED


def test_symbologies_are_the_spec_aim_identifiers():
    assert {s.value for s in Symbology} == {"]C0", "]A0", "]E0", "]Q1"}
