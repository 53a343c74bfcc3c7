"""The blocking RFID reader driver: one request, one answer, over pyserial."""

from __future__ import annotations

import time

import serial

from drivers.errors import DeviceTimeout, DeviceUnavailable
from drivers.rfid.config import RfidConfig
from drivers.rfid.errors import (AfiNotSet, BadAntenna, BadFrame, Collision, NoTag,
                                 ReaderStatusError, TagError, UnknownCommand)
from drivers.rfid.frames import Frame, FrameDecoder, Status, encode_frame
from drivers.rfid.messages import (GetReaderInfo, GetSystemInfo, Inventory, ReadBlocks, ReaderInfo,
                                   Request, SystemInfo, TagInfo, WriteAfi, WriteBlocks, decode_blocks,
                                   decode_inventory, decode_reader_info, decode_system_info,
                                   encode_request, split_status)
from drivers.rfid.tag28560 import TAG_BLOCKS, TagData, decode_tag

STATUS_ERRORS: dict[Status, type[ReaderStatusError]] = {
    Status.NO_TAG: NoTag,
    Status.COLLISION: Collision,
    Status.TAG_ERROR: TagError,
    Status.BAD_FRAME: BadFrame,
    Status.UNKNOWN_COMMAND: UnknownCommand,
    Status.BAD_ANTENNA: BadAntenna,
}
_POLL = 0.05  # serial read timeout: how often the wait for an answer checks its deadline


class RfidReader:
    """The HF RFID reader of hardware/readers.md. Call it from one thread only."""

    def __init__(self, config: RfidConfig):
        self.config = config
        self._port: serial.Serial | None = None
        self._decoder = FrameDecoder()
        self._stale = False  # a late answer to an abandoned request may still arrive

    # -- connection -------------------------------------------------------
    def open(self) -> None:
        """Open the serial port; DeviceUnavailable if it cannot be opened."""
        self.close()
        try:
            self._port = serial.Serial(self.config.port, self.config.baudrate, timeout=_POLL)
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(f"RFID reader port {self.config.port}: {exc}") from exc
        self._decoder.reset()
        self._stale = False

    def close(self) -> None:
        """Close the port (safe to call twice)."""
        port, self._port = self._port, None
        if port is not None:
            port.close()

    def __enter__(self) -> RfidReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------
    def inventory(self, antenna: int) -> list[TagInfo]:
        """Tags in the field of `antenna` (possibly none, possibly several)."""
        return decode_inventory(self._call(Inventory(antenna)))

    def read_blocks(self, antenna: int, uid: bytes, first: int, count: int) -> bytes:
        """`count` blocks of 4 bytes from block `first` of tag `uid`."""
        return decode_blocks(self._call(ReadBlocks(antenna, uid, first, count)), count)

    def write_blocks(self, antenna: int, uid: bytes, first: int, data: bytes) -> None:
        """Write whole blocks of `data` from block `first` of tag `uid`."""
        self._call(WriteBlocks(antenna, uid, first, bytes(data)))

    def write_afi(self, antenna: int, uid: bytes, afi: int) -> None:
        """Set the AFI of tag `uid`."""
        self._call(WriteAfi(antenna, uid, afi))

    def system_info(self, antenna: int, uid: bytes) -> SystemInfo:
        """DSFID, AFI and memory size of tag `uid`."""
        return decode_system_info(self._call(GetSystemInfo(antenna, uid)))

    def reader_info(self) -> ReaderInfo:
        """Firmware version and antenna count."""
        return decode_reader_info(self._call(GetReaderInfo()))

    def read_tag(self, antenna: int, uid: bytes) -> TagData:
        """Read the 8 basic blocks and decode them (TagDecodeError if they are not a tag)."""
        return decode_tag(self.read_blocks(antenna, uid, 0, TAG_BLOCKS))

    def set_afi_verified(self, antenna: int, uid: bytes, afi: int) -> None:
        """Write the AFI and read it back; AfiNotSet if it did not stick."""
        self.write_afi(antenna, uid, afi)
        actual = self.system_info(antenna, uid).afi
        if actual != afi:
            raise AfiNotSet(expected=afi, actual=actual)

    # -- transport --------------------------------------------------------
    def _call(self, request: Request) -> bytes:
        """Send `request`, retrying retryable statuses; the payload after an OK STATUS."""
        frame = encode_request(request)
        attempts_left = self.config.retries + 1
        while True:
            attempts_left -= 1
            status, payload = split_status(self._exchange(frame))
            if status is Status.OK:
                return payload
            error = STATUS_ERRORS[status](f"{type(request).__name__}: reader answered {status.name}")
            if not error.retryable or attempts_left == 0:
                raise error

    def _exchange(self, frame: Frame) -> Frame:
        """Write one request and wait for the frame that echoes its CMD."""
        port = self._require_port()
        if self._stale:
            self._discard_input(port)
        try:
            port.write(encode_frame(frame.cmd, frame.body))
            return self._await_answer(port, frame.cmd)
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise DeviceUnavailable(f"RFID reader port {self.config.port}: {exc}") from exc

    def _await_answer(self, port: serial.Serial, cmd: int) -> Frame:
        """The next frame echoing `cmd`; other frames and garbage are skipped."""
        deadline = time.monotonic() + self.config.response_timeout
        while time.monotonic() < deadline:
            for item in self._decoder.feed(port.read(max(1, port.in_waiting))):
                if isinstance(item, Frame) and item.cmd == cmd:
                    return item
        self._stale = True
        raise DeviceTimeout(f"RFID reader did not answer CMD 0x{cmd:02X} "
                            f"within {self.config.response_timeout} s")

    def _discard_input(self, port: serial.Serial) -> None:
        """Drop whatever arrived after an abandoned request."""
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise DeviceUnavailable(f"RFID reader port {self.config.port}: {exc}") from exc
        self._decoder.reset()
        self._stale = False

    def _require_port(self) -> serial.Serial:
        if self._port is None:
            raise DeviceUnavailable("RFID reader port is not open")
        return self._port
