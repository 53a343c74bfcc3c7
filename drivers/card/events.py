"""Events the card reader driver emits, and their reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnreadableReason(StrEnum):
    """Why a card came into the field but yielded no UID."""

    STATUS_ERROR = "status_error"  # GET DATA answered something other than 90 00
    BAD_RESPONSE = "bad_response"  # the answer was not a UID (length, missing status words)
    REMOVED_TOO_SOON = "removed_too_soon"  # the card left before its UID could be read
    NO_ANSWER = "no_answer"  # the card is mute or did not answer the reader
    READ_FAILED = "read_failed"  # another PC/SC error while reading


class ReaderLostReason(StrEnum):
    """Why the configured reader cannot be used."""

    SERVICE_UNAVAILABLE = "service_unavailable"  # pcscd is not running or went away
    READER_MISSING = "reader_missing"  # pcscd runs but no reader matches the configured name
    PCSC_ERROR = "pcsc_error"  # any other PC/SC failure


@dataclass(frozen=True)
class CardPresented:
    """A card entered the field and its UID was read."""

    uid: bytes


@dataclass(frozen=True)
class CardRemoved:
    """The card that was presented (or found unreadable) left the field."""


@dataclass(frozen=True)
class CardUnreadable:
    """A card entered the field but no UID could be read from it."""

    reason: UnreadableReason
    status_words: int | None = None  # SW1 SW2 (e.g. 0x6A81) for STATUS_ERROR


@dataclass(frozen=True)
class ReaderLost:
    """The reader (or pcscd) went away; the driver keeps retrying."""

    reason: ReaderLostReason
    pcsc_error: int | None = None  # the PC/SC return code, for the technician's log


@dataclass(frozen=True)
class ReaderRestored:
    """The reader is usable again after ReaderLost."""


CardEvent = CardPresented | CardRemoved | CardUnreadable | ReaderLost | ReaderRestored
