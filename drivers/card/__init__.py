"""Membership card reader (PC/SC through pcscd): card UIDs as typed events."""

from drivers.card.apdu import (GET_UID_APDU, MAX_UID_LENGTH, MIN_UID_LENGTH, CardStatusError,
                               StatusWord, UidFormatError, get_uid_apdu, parse_uid_response,
                               split_response)
from drivers.card.config import CardConfig
from drivers.card.events import (CardEvent, CardPresented, CardRemoved, CardUnreadable,
                                 ReaderLost, ReaderLostReason, ReaderRestored, UnreadableReason)
from drivers.card.reader import CardReader

__all__ = [
    "GET_UID_APDU",
    "MAX_UID_LENGTH",
    "MIN_UID_LENGTH",
    "CardConfig",
    "CardEvent",
    "CardPresented",
    "CardReader",
    "CardRemoved",
    "CardStatusError",
    "CardUnreadable",
    "ReaderLost",
    "ReaderLostReason",
    "ReaderRestored",
    "StatusWord",
    "UidFormatError",
    "UnreadableReason",
    "get_uid_apdu",
    "parse_uid_response",
    "split_response",
]
