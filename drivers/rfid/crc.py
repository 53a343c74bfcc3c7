"""CRC-16/CCITT-FALSE, the checksum of the reader's frames and of ISO 28560-3 tags."""

from __future__ import annotations

import binascii

CRC_INIT = 0xFFFF


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR."""
    # binascii.crc_hqx is exactly the non-reflected 0x1021 CRC with a chosen start value.
    return binascii.crc_hqx(data, CRC_INIT)
