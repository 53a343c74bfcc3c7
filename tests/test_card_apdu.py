"""GET DATA (card UID) codec: PC/SC part 3 vectors, status words, lengths, random input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card.apdu import (GET_UID_APDU, MAX_UID_LENGTH, MIN_UID_LENGTH, CardStatusError,
                               StatusWord, UidFormatError, get_uid_apdu, parse_uid_response,
                               split_response)
from drivers.errors import CommandRejected, ProtocolError

UID7 = bytes.fromhex("04A1B2C3D4E5F6")
UID_LENGTHS = st.integers(MIN_UID_LENGTH, MAX_UID_LENGTH)
BYTE = st.integers(0, 0xFF)


def test_get_uid_apdu_is_ff_ca_00_00_00():
    assert GET_UID_APDU == bytes.fromhex("FF CA 00 00 00")


def test_get_uid_apdu_carries_le():
    assert get_uid_apdu(7) == bytes.fromhex("FF CA 00 00 07")


@pytest.mark.parametrize("le", [-1, 0x100])
def test_get_uid_apdu_refuses_le_that_is_not_a_byte(le):
    with pytest.raises(ValueError):
        get_uid_apdu(le)


def test_spec_response_yields_the_uid():
    assert parse_uid_response(*split_response(UID7 + b"\x90\x00")) == UID7


@pytest.mark.parametrize("uid_hex", ["01020304", "04A1B2C3D4E5F6", "04A1B2C3D4E5F60708FF",
                                     "E004010203040506"])
def test_iso_14443_and_15693_uid_lengths_are_accepted(uid_hex):
    uid = bytes.fromhex(uid_hex)
    assert parse_uid_response(uid, 0x90, 0x00) == uid


def test_split_response_separates_data_and_status_words():
    assert split_response(UID7 + b"\x62\x82") == (UID7, 0x62, 0x82)


@pytest.mark.parametrize("response", [b"", b"\x90"])
def test_response_without_status_words_is_a_format_error(response):
    with pytest.raises(UidFormatError):
        split_response(response)


@pytest.mark.parametrize("sw", [StatusWord.FUNCTION_NOT_SUPPORTED, StatusWord.NO_INFORMATION,
                                StatusWord.END_OF_DATA, 0x6C07])
def test_status_other_than_9000_is_a_card_status_error_with_the_status_words(sw):
    with pytest.raises(CardStatusError) as caught:
        parse_uid_response(UID7, sw >> 8, sw & 0xFF)
    assert (caught.value.sw1, caught.value.sw2) == (sw >> 8, sw & 0xFF)
    assert caught.value.status_words == sw


@pytest.mark.parametrize("length", [0, MIN_UID_LENGTH - 1, MAX_UID_LENGTH + 1])
def test_uid_of_impossible_length_is_a_format_error(length):
    with pytest.raises(UidFormatError):
        parse_uid_response(bytes(range(length)), 0x90, 0x00)


@pytest.mark.parametrize("sw1, sw2", [(0x190, 0x00), (0x90, -1)])
def test_status_words_that_are_not_bytes_are_a_format_error(sw1, sw2):
    with pytest.raises(UidFormatError):
        parse_uid_response(UID7, sw1, sw2)


def test_errors_belong_to_the_driver_tree():
    assert issubclass(CardStatusError, CommandRejected)
    assert issubclass(UidFormatError, ProtocolError)


uids = UID_LENGTHS.flatmap(lambda n: st.binary(min_size=n, max_size=n))
status_words = st.tuples(BYTE, BYTE).filter(lambda sw: sw != (0x90, 0x00))
wrong_length_uids = st.one_of(st.binary(max_size=MIN_UID_LENGTH - 1),
                              st.binary(min_size=MAX_UID_LENGTH + 1, max_size=40))
CORRUPTIONS = {  # a valid 90 00 response with one part corrupted, and the error it must raise
    "cut before the status words": (uids.flatmap(lambda uid: st.sampled_from([b"", uid[-1:], b"\x90"])),
                                    UidFormatError),
    "a status other than 90 00": (st.builds(lambda uid, sw: uid + bytes(sw), uids, status_words),
                                  CardStatusError),
    "a UID of impossible length": (wrong_length_uids.map(lambda uid: uid + b"\x90\x00"), UidFormatError),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_valid_response_with_one_part_corrupted_raises_its_own_error(corruption, data):
    responses, error = CORRUPTIONS[corruption]
    with pytest.raises(error):
        parse_uid_response(*split_response(data.draw(responses)))


@settings(max_examples=100, deadline=None)
@given(uids, status_words)
def test_a_refused_status_carries_its_status_words(uid, sw):
    with pytest.raises(CardStatusError) as refused:
        parse_uid_response(*split_response(uid + bytes(sw)))
    assert (refused.value.sw1, refused.value.sw2) == sw


@settings(max_examples=100, deadline=None)
@given(UID_LENGTHS.flatmap(lambda n: st.binary(min_size=n, max_size=n)))
def test_every_uid_round_trips_through_a_9000_response(uid):
    assert parse_uid_response(*split_response(uid + b"\x90\x00")) == uid


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=MIN_UID_LENGTH, max_size=MAX_UID_LENGTH), BYTE, BYTE)
def test_only_9000_yields_a_uid(uid, sw1, sw2):
    if (sw1, sw2) == (0x90, 0x00):
        assert parse_uid_response(uid, sw1, sw2) == uid
    else:
        with pytest.raises(CardStatusError):
            parse_uid_response(uid, sw1, sw2)
