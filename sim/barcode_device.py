"""The simulated barcode scanner on a pseudo-terminal: each scan is one line."""

from __future__ import annotations

from sim.pty import PtyLine


class BarcodeSim:
    """Sends scans as AIM-prefixed lines ending in CR (or CR LF)."""

    def __init__(self) -> None:
        self._line = PtyLine(self._received)

    def start(self) -> str:
        """Serve on a new pty (call on the simulator's running loop); returns its path."""
        return self._line.open()

    def stop(self) -> None:
        """Stop serving and close the pty."""
        self._line.close()

    def scan(self, data: str, symbology: str | None = None, crlf: bool = False) -> None:
        """The scanner reads `data`; `symbology` is an AIM identifier such as "]Q1"."""
        line = (symbology or "") + data
        self._line.write(line.encode("utf-8") + (b"\r\n" if crlf else b"\r"))

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to the line now."""
        self._line.write(bytes(data))

    def _received(self, data: bytes) -> None:
        """A scanner ignores what the host sends it."""
