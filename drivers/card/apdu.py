"""PC/SC part 3 GET DATA (card UID): the command, its status words and the response parser."""

from __future__ import annotations

from enum import IntEnum

from drivers.errors import CommandRejected, ProtocolError

CLA_PCSC = 0xFF  # PC/SC part 3 pseudo-APDUs: answered by the reader, not by the card's chip
INS_GET_DATA = 0xCA
GET_UID_P1P2 = (0x00, 0x00)
GET_UID_APDU = bytes((CLA_PCSC, INS_GET_DATA, *GET_UID_P1P2, 0x00))  # Le 00: the whole UID

# ISO 14443 A (4, 7, 10), 14443 B PUPI (4), ISO 15693 and FeliCa IDm (8), FeliCa NFCID (12).
MIN_UID_LENGTH = 4
MAX_UID_LENGTH = 12


class StatusWord(IntEnum):
    """Status words (SW1 SW2) that PC/SC part 3 defines for its pseudo-APDUs."""

    OK = 0x9000
    END_OF_DATA = 0x6282  # Le was longer than the UID: the whole UID follows anyway
    NO_INFORMATION = 0x6300  # the reader could not get the UID
    WRONG_LENGTH = 0x6700
    FUNCTION_NOT_SUPPORTED = 0x6A81
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


WRONG_LE_SW1 = 0x6C  # 6C XX: Le was shorter than the UID, XX is the UID's length


class CardStatusError(CommandRejected):
    """The card (or reader) answered GET DATA with a status other than 90 00."""

    def __init__(self, sw1: int, sw2: int):
        super().__init__(f"GET DATA answered status {sw1:02X} {sw2:02X}")
        self.sw1 = sw1
        self.sw2 = sw2

    @property
    def status_words(self) -> int:
        """SW1 SW2 as one 16-bit number (0x6A81)."""
        return self.sw1 << 8 | self.sw2


class UidFormatError(ProtocolError):
    """A GET DATA response that is not a UID (too short, too long, missing status words)."""


def get_uid_apdu(le: int = 0) -> bytes:
    """GET DATA for the UID with expected length `le` (0: the whole UID)."""
    if not 0 <= le <= 0xFF:
        raise ValueError(f"Le {le} is not one byte")
    return bytes((CLA_PCSC, INS_GET_DATA, *GET_UID_P1P2, le))


def split_response(response: bytes) -> tuple[bytes, int, int]:
    """Split a response APDU into its data and SW1, SW2."""
    if len(response) < 2:
        raise UidFormatError(f"response of {len(response)} byte(s) has no status words")
    return bytes(response[:-2]), response[-2], response[-1]


def parse_uid_response(data: bytes, sw1: int, sw2: int) -> bytes:
    """The UID in a GET DATA response; CardStatusError unless 90 00, UidFormatError if malformed."""
    if not (0 <= sw1 <= 0xFF and 0 <= sw2 <= 0xFF):
        raise UidFormatError(f"status words {sw1!r} {sw2!r} are not bytes")
    if (sw1 << 8 | sw2) != StatusWord.OK:
        raise CardStatusError(sw1, sw2)
    if not MIN_UID_LENGTH <= len(data) <= MAX_UID_LENGTH:
        raise UidFormatError(
            f"UID of {len(data)} byte(s) is outside {MIN_UID_LENGTH}..{MAX_UID_LENGTH}")
    return bytes(data)
