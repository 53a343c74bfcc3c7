"""A small typed layer over pyscard's `smartcard.scard` (PC/SC through pcscd); blocking calls."""

from __future__ import annotations

from smartcard import scard

from drivers.card.apdu import (GET_UID_APDU, CardStatusError, UidFormatError,
                               parse_uid_response, split_response)
from drivers.card.events import ReaderLostReason, UnreadableReason
from drivers.errors import DeviceUnavailable, DriverError


def pcsc_code(hresult: int) -> int:
    """A PC/SC return code as the unsigned 32-bit number the specs print (0x8010001D)."""
    return hresult & 0xFFFFFFFF


def _codes(*names: str) -> frozenset[int]:
    return frozenset(pcsc_code(getattr(scard, name)) for name in names)


# pcscd is gone (killed, restarting) or this context died with it: a new context is needed.
SERVICE_ERRORS = _codes("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_F_COMM_ERROR",
                        "SCARD_E_INVALID_HANDLE")
READER_ERRORS = _codes("SCARD_E_UNKNOWN_READER", "SCARD_E_READER_UNAVAILABLE",
                       "SCARD_E_NO_READERS_AVAILABLE")
CARD_GONE_ERRORS = _codes("SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD")
CARD_MUTE_ERRORS = _codes("SCARD_W_UNRESPONSIVE_CARD", "SCARD_W_UNPOWERED_CARD")
WAKE_CODES = _codes("SCARD_E_TIMEOUT", "SCARD_E_CANCELLED")
READER_GONE_STATES = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE
EVENT_COUNT_SHIFT = 16  # pcsc-lite counts card events in the high word of the event state


class PcscUnavailable(DeviceUnavailable):
    """pcscd or the reader cannot be used; `reason` says which, `code` is the PC/SC code."""

    def __init__(self, reason: ReaderLostReason, code: int | None, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.code = code


class CardReadFailed(DriverError):
    """A card was in the field but gave no UID; `reason` says why."""

    def __init__(self, reason: UnreadableReason, detail: str, status_words: int | None = None):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.status_words = status_words


def unavailable(hresult: int, what: str) -> PcscUnavailable:
    """The PcscUnavailable for a failed PC/SC call."""
    code = pcsc_code(hresult)
    if code in SERVICE_ERRORS:
        reason = ReaderLostReason.SERVICE_UNAVAILABLE
    elif code in READER_ERRORS:
        reason = ReaderLostReason.READER_MISSING
    else:
        reason = ReaderLostReason.PCSC_ERROR
    return PcscUnavailable(reason, code, f"{what} failed with {code:#010x}")


def card_failure(hresult: int, what: str) -> DriverError:
    """The error for a PC/SC call on a card that failed: the card's fault, or the reader's."""
    code = pcsc_code(hresult)
    if code in SERVICE_ERRORS or code in READER_ERRORS:
        return unavailable(hresult, what)
    if code in CARD_GONE_ERRORS:
        reason = UnreadableReason.REMOVED_TOO_SOON
    elif code in CARD_MUTE_ERRORS:
        reason = UnreadableReason.NO_ANSWER
    else:
        reason = UnreadableReason.READ_FAILED
    return CardReadFailed(reason, f"{what} failed with {code:#010x}")


def select_reader(names: list[str], wanted: str) -> str | None:
    """The reader named `wanted`, else the first (sorted) whose name starts with it."""
    if wanted in names:
        return wanted
    return next((name for name in sorted(names) if name.startswith(wanted)), None)


def card_events(state: int) -> int:
    """pcsc-lite's count of card insertions and removals in a reader's event state."""
    return state >> EVENT_COUNT_SHIFT & 0xFFFF


class PcscContext:
    """One PC/SC context; cancel() may be called from another thread, the rest from one."""

    def __init__(self) -> None:
        hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise unavailable(hresult, "SCardEstablishContext")
        self._handle = handle

    def close(self) -> None:
        """Release the context; a context that died with pcscd is released all the same."""
        scard.SCardReleaseContext(self._handle)

    def cancel(self) -> None:
        """Wake a wait_change() blocked in another thread."""
        scard.SCardCancel(self._handle)

    def find_reader(self, wanted: str) -> str:
        """The full name of the configured reader; PcscUnavailable if none matches."""
        hresult, names = scard.SCardListReaders(self._handle, [])
        if hresult != scard.SCARD_S_SUCCESS:
            raise unavailable(hresult, "SCardListReaders")
        name = select_reader(list(names), wanted)
        if name is None:
            raise PcscUnavailable(ReaderLostReason.READER_MISSING, None,
                                  f"no reader matches {wanted!r}")
        return name

    def wait_change(self, reader: str, known: int, timeout: float) -> int | None:
        """The reader's new event state once it differs from `known`; None on timeout or cancel."""
        hresult, states = scard.SCardGetStatusChange(
            self._handle, int(timeout * 1000), [(reader, known)])
        if pcsc_code(hresult) in WAKE_CODES:
            return None
        if hresult != scard.SCARD_S_SUCCESS:
            raise unavailable(hresult, "SCardGetStatusChange")
        state = states[0][1]
        if state & READER_GONE_STATES:
            raise PcscUnavailable(ReaderLostReason.READER_MISSING, None, f"{reader!r} went away")
        return state & ~scard.SCARD_STATE_CHANGED

    def read_uid(self, reader: str) -> bytes:
        """Connect to the card in `reader` and read its UID with GET DATA."""
        hresult, card, protocol = scard.SCardConnect(
            self._handle, reader, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if hresult != scard.SCARD_S_SUCCESS:
            raise card_failure(hresult, "SCardConnect")
        try:
            hresult, response = scard.SCardTransmit(card, protocol, list(GET_UID_APDU))
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)  # fails harmlessly if it left
        if hresult != scard.SCARD_S_SUCCESS:
            raise card_failure(hresult, "SCardTransmit")
        return _uid_of(bytes(response))


def _uid_of(response: bytes) -> bytes:
    try:
        return parse_uid_response(*split_response(response))
    except CardStatusError as exc:
        raise CardReadFailed(UnreadableReason.STATUS_ERROR, str(exc), exc.status_words) from exc
    except UidFormatError as exc:
        raise CardReadFailed(UnreadableReason.BAD_RESPONSE, str(exc)) from exc
