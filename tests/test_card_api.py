"""drivers.card: exported surface, config validation, events, and the PC/SC helpers' pure parts."""

from __future__ import annotations

import dataclasses

import pytest
from smartcard import scard

import drivers.card
from drivers.card import (CardConfig, CardPresented, CardRemoved, CardUnreadable, ReaderLost,
                          ReaderLostReason, ReaderRestored, UnreadableReason)
from drivers.card.pcsc import (CardReadFailed, PcscUnavailable, card_events, card_failure,
                               pcsc_code, select_reader, unavailable)
from drivers.config import build_config
from drivers.errors import DriverConfigError

EXPORTED = {
    "GET_UID_APDU", "MAX_UID_LENGTH", "MIN_UID_LENGTH",
    "CardConfig", "CardReader",
    "CardEvent", "CardPresented", "CardRemoved", "CardUnreadable", "ReaderLost", "ReaderRestored",
    "ReaderLostReason", "UnreadableReason", "StatusWord",
    "CardStatusError", "UidFormatError",
    "get_uid_apdu", "parse_uid_response", "split_response",
}


def test_exported_surface_is_exactly_the_intended_one():
    assert set(drivers.card.__all__) == EXPORTED
    assert len(drivers.card.__all__) == len(EXPORTED)


def test_every_exported_name_exists():
    for name in drivers.card.__all__:
        assert getattr(drivers.card, name) is not None, name


# -- config -----------------------------------------------------------------
def test_config_from_a_toml_section_with_defaults():
    config = build_config(CardConfig, {"reader": "ACS ACR122U"}, "card")
    assert config == CardConfig(reader="ACS ACR122U", poll_seconds=0.5, retry_min_seconds=0.2,
                                retry_max_seconds=5.0)


def test_config_takes_integers_for_seconds():
    config = build_config(CardConfig, {"reader": "X", "retry_max_seconds": 30}, "card")
    assert config.retry_max_seconds == 30


@pytest.mark.parametrize("values, fragment", [
    ({"reader": "X", "readr": "Y"}, "unknown key"),
    ({}, "reader"),
    ({"reader": 3}, "reader must be str"),
    ({"reader": "  "}, "must name a reader"),
    ({"reader": "X", "poll_seconds": 0}, "poll_seconds"),
    ({"reader": "X", "poll_seconds": True}, "boolean"),
    ({"reader": "X", "retry_min_seconds": 2.0, "retry_max_seconds": 1.0}, "below"),
])
def test_bad_config_is_a_driver_config_error_naming_the_key(values, fragment):
    with pytest.raises(DriverConfigError, match=fragment):
        build_config(CardConfig, values, "card")


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CardConfig(reader="X").reader = "Y"  # type: ignore[misc]


# -- events -----------------------------------------------------------------
@pytest.mark.parametrize("event", [
    CardPresented(b"\x01\x02\x03\x04"), CardRemoved(),
    CardUnreadable(UnreadableReason.STATUS_ERROR, 0x6A81),
    ReaderLost(ReaderLostReason.SERVICE_UNAVAILABLE, 0x8010001D), ReaderRestored(),
])
def test_events_are_frozen_dataclasses(event):
    assert dataclasses.is_dataclass(event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.x = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("enum", [UnreadableReason, ReaderLostReason])
def test_reason_codes_are_identifiers_not_display_text(enum):
    for member in enum:
        assert member.value == member.name.lower()


# -- PC/SC helpers ----------------------------------------------------------
def test_pcsc_code_is_unsigned():
    assert pcsc_code(scard.SCARD_E_NO_SERVICE) == 0x8010001D


def test_select_reader_prefers_the_exact_name():
    names = ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert select_reader(names, "Virtual PCD 00 01") == "Virtual PCD 00 01"


def test_select_reader_takes_the_first_name_with_the_prefix():
    names = ["Virtual PCD 00 01", "ACS ACR122U 00 00", "Virtual PCD 00 00"]
    assert select_reader(names, "Virtual PCD") == "Virtual PCD 00 00"


def test_select_reader_finds_nothing_for_an_unknown_name():
    assert select_reader(["Virtual PCD 00 00"], "ACS") is None


def test_card_events_reads_pcsc_lites_counter_in_the_high_word():
    assert card_events(0x0003_0022) == 3


@pytest.mark.parametrize("name, reason", [
    ("SCARD_E_NO_SERVICE", ReaderLostReason.SERVICE_UNAVAILABLE),
    ("SCARD_F_COMM_ERROR", ReaderLostReason.SERVICE_UNAVAILABLE),
    ("SCARD_E_UNKNOWN_READER", ReaderLostReason.READER_MISSING),
    ("SCARD_E_NO_READERS_AVAILABLE", ReaderLostReason.READER_MISSING),
    ("SCARD_E_INVALID_PARAMETER", ReaderLostReason.PCSC_ERROR),
])
def test_failed_calls_map_to_reader_lost_reasons(name, reason):
    error = unavailable(getattr(scard, name), "SCardListReaders")
    assert (error.reason, error.code) == (reason, pcsc_code(getattr(scard, name)))


@pytest.mark.parametrize("name, reason", [
    ("SCARD_W_REMOVED_CARD", UnreadableReason.REMOVED_TOO_SOON),
    ("SCARD_E_NO_SMARTCARD", UnreadableReason.REMOVED_TOO_SOON),
    ("SCARD_W_UNRESPONSIVE_CARD", UnreadableReason.NO_ANSWER),
    ("SCARD_E_PROTO_MISMATCH", UnreadableReason.READ_FAILED),
])
def test_card_failures_map_to_unreadable_reasons(name, reason):
    error = card_failure(getattr(scard, name), "SCardConnect")
    assert isinstance(error, CardReadFailed)
    assert error.reason == reason


def test_a_service_failure_during_a_card_read_is_a_lost_reader():
    error = card_failure(scard.SCARD_E_NO_SERVICE, "SCardTransmit")
    assert isinstance(error, PcscUnavailable)
    assert error.reason == ReaderLostReason.SERVICE_UNAVAILABLE
