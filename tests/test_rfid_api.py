"""The exported surface of drivers.rfid and how its errors fit the driver exception tree."""

from __future__ import annotations

import drivers.rfid
from drivers.errors import CommandRejected, DriverError, ProtocolError
from drivers.rfid import (AFI_ON_LOAN, AFI_SECURED, Antenna, BadAntenna, BadFrame, Collision,
                          NoTag, ReaderStatusError, TagDecodeError, TagError, UnknownCommand, Usage)
from drivers.rfid.errors import FrameError, MessageError

EXPECTED = {
    "AFI_ON_LOAN", "AFI_SECURED", "AfiNotSet", "Antenna", "BadAntenna", "BadFrame", "Collision",
    "Command", "FrameError", "InvalidRequest", "MessageError", "NoTag", "ReaderInfo",
    "ReaderStatusError", "RfidConfig", "RfidReader", "Status", "SystemInfo", "TagData",
    "TagDecodeError", "TagEncodeError", "TagError", "TagInfo", "UnknownCommand", "Usage",
    "crc16_ccitt_false", "decode_tag", "encode_tag",
}


def test_all_is_the_intended_public_surface():
    assert set(drivers.rfid.__all__) == EXPECTED
    assert len(drivers.rfid.__all__) == len(EXPECTED)


def test_every_exported_name_exists_and_public_names_are_exported():
    for name in drivers.rfid.__all__:
        assert hasattr(drivers.rfid, name), name
    public = {n for n in vars(drivers.rfid) if not n.startswith("_")}
    submodules = {"config", "crc", "errors", "frames", "messages", "reader", "tag28560"}
    assert public - submodules == EXPECTED


def test_codes_and_constants_have_the_spec_values():
    assert (Antenna.PICKUP, Antenna.RETURN, Antenna.PICKER) == (0, 1, 2)
    assert (AFI_SECURED, AFI_ON_LOAN) == (0x07, 0xC2)
    assert [int(u) for u in Usage] == [0, 1, 2, 7, 8]


def test_errors_subclass_the_driver_exception_tree():
    assert all(issubclass(e, ReaderStatusError) and issubclass(e, DriverError)
               for e in (NoTag, Collision, TagError, BadFrame, UnknownCommand, BadAntenna))
    assert all(issubclass(e, CommandRejected) for e in (NoTag, Collision, UnknownCommand, BadAntenna))
    assert all(issubclass(e, ProtocolError) for e in (BadFrame, FrameError, MessageError, TagDecodeError))
    assert [e for e in (NoTag, Collision, TagError, BadFrame, UnknownCommand, BadAntenna) if e.retryable] \
        == [TagError, BadFrame]
