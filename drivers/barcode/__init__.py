"""Serial barcode scanner: text lines with optional AIM symbology identifiers."""

from drivers.barcode.config import BarcodeConfig
from drivers.barcode.parser import LineParser, Misread, MisreadReason, Scanned, Symbology, parse_line
from drivers.barcode.scanner import (BarcodeScanner, PortProblem, ScannerConnected,
                                     ScannerDisconnected, ScannerEvent)

__all__ = [
    "BarcodeConfig",
    "BarcodeScanner",
    "LineParser",
    "Misread",
    "MisreadReason",
    "PortProblem",
    "Scanned",
    "ScannerConnected",
    "ScannerDisconnected",
    "ScannerEvent",
    "Symbology",
    "parse_line",
]
