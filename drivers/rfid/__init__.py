"""HF RFID reader (ISO 15693, serial binary frames) and the ISO 28560-3 tag codec."""

from drivers.rfid.config import RfidConfig
from drivers.rfid.crc import crc16_ccitt_false
from drivers.rfid.errors import (AfiNotSet, BadAntenna, BadFrame, Collision, FrameError,
                                 InvalidRequest, MessageError, NoTag, ReaderStatusError,
                                 TagDecodeError, TagEncodeError, TagError, UnknownCommand)
from drivers.rfid.frames import Antenna, Command, Status
from drivers.rfid.messages import ReaderInfo, SystemInfo, TagInfo
from drivers.rfid.reader import RfidReader
from drivers.rfid.tag28560 import TagData, Usage, decode_tag, encode_tag

AFI_SECURED = 0x07  # ISO 28560-1: the item is in the library (a gate alarms)
AFI_ON_LOAN = 0xC2  # ISO 28560-1: the item is on loan

__all__ = [
    "AFI_ON_LOAN",
    "AFI_SECURED",
    "AfiNotSet",
    "Antenna",
    "BadAntenna",
    "BadFrame",
    "Collision",
    "Command",
    "FrameError",
    "InvalidRequest",
    "MessageError",
    "NoTag",
    "ReaderInfo",
    "ReaderStatusError",
    "RfidConfig",
    "RfidReader",
    "Status",
    "SystemInfo",
    "TagData",
    "TagDecodeError",
    "TagEncodeError",
    "TagError",
    "TagInfo",
    "UnknownCommand",
    "Usage",
    "crc16_ccitt_false",
    "decode_tag",
    "encode_tag",
]
