"""The virtual card's pure parts (vpcd framing, ATR, APDU answers) and tap() without vpcd."""

from __future__ import annotations

import asyncio
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smartcard.ATR import ATR

from drivers.card.apdu import GET_UID_APDU, StatusWord, parse_uid_response, split_response
from sim.vcard import (CONTACTLESS_ATR, CardAlreadyPresent, VirtualCard, VirtualCardError,
                       VpcdControl, VpcdUnreachable, answer, answer_apdu, frame, read_message)
from sim.world import WorldError

UID7 = bytes.fromhex("04A1B2C3D4E5F6")


def sw(value: int) -> bytes:
    return value.to_bytes(2, "big")


# -- ATR and control messages -----------------------------------------------
def test_atr_is_the_contactless_atr_of_the_spec_with_a_valid_checksum():
    assert CONTACTLESS_ATR.hex(" ").upper() == (
        "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")
    assert ATR(list(CONTACTLESS_ATR)).checksumOK


def test_get_atr_is_answered_with_the_atr():
    assert answer(bytes((VpcdControl.GET_ATR,)), UID7) == CONTACTLESS_ATR


@pytest.mark.parametrize("control", [VpcdControl.POWER_OFF, VpcdControl.POWER_ON,
                                     VpcdControl.RESET])
def test_power_control_gets_no_reply(control):
    assert answer(bytes((control,)), UID7) is None


# -- APDUs ----------------------------------------------------------------------
def test_get_data_returns_the_uid_and_9000():
    assert answer_apdu(GET_UID_APDU, UID7) == UID7 + sw(0x9000)


def test_the_drivers_parser_reads_the_cards_answer():
    assert parse_uid_response(*split_response(answer(GET_UID_APDU, UID7))) == UID7


@pytest.mark.parametrize("le, expected", [
    (7, UID7 + sw(0x9000)),  # Le exactly the UID's length
    (4, bytes.fromhex("6C07")),  # Le too short: 6C and the right length
    (9, UID7 + sw(0x6282)),  # Le too long: the whole UID, end of data reached
])
def test_get_data_honours_le(le, expected):
    assert answer_apdu(bytes.fromhex("FFCA0000") + bytes((le,)), UID7) == expected


@pytest.mark.parametrize("apdu_hex, status", [
    ("FFCA010000", StatusWord.FUNCTION_NOT_SUPPORTED),  # ATS: not on this card
    ("FFCAF10000", StatusWord.FUNCTION_NOT_SUPPORTED),
    ("FF82000006FFFFFFFFFFFF", StatusWord.INS_NOT_SUPPORTED),  # LOAD KEYS
    ("00A4040007A0000000031010", StatusWord.INS_NOT_SUPPORTED),  # SELECT an application
    ("FFCA0000", StatusWord.WRONG_LENGTH),  # no Le
    ("FFCA00000000", StatusWord.WRONG_LENGTH),
    ("FFCA00", StatusWord.WRONG_LENGTH),
])
def test_other_apdus_get_the_pcsc_part3_status(apdu_hex, status):
    assert answer_apdu(bytes.fromhex(apdu_hex), UID7) == sw(status)


def test_a_faulty_card_answers_get_data_with_its_status_words_only():
    assert answer_apdu(GET_UID_APDU, UID7, status_words=0x6A81) == sw(0x6A81)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=2, max_size=300), st.binary(min_size=1, max_size=12))
def test_every_apdu_gets_a_response_ending_in_status_words(apdu, uid):
    response = answer(apdu, uid)
    assert response is not None and len(response) >= 2
    assert response[-2:] in {sw(s) for s in StatusWord} or response[-2] == 0x6C


# -- framing ----------------------------------------------------------------
def test_frame_is_a_big_endian_length_then_the_payload():
    assert frame(b"\x04") == b"\x00\x01\x04"
    assert frame(bytes(300))[:2] == b"\x01\x2c"


def test_frame_refuses_a_payload_longer_than_the_length_field():
    with pytest.raises(ValueError):
        frame(bytes(0x10000))


async def _decode(stream: bytes, chunk: int) -> list[bytes]:
    reader = asyncio.StreamReader()
    for start in range(0, len(stream), chunk):
        reader.feed_data(stream[start:start + chunk])
    reader.feed_eof()
    messages = []
    while True:
        try:
            messages.append(await read_message(reader))
        except asyncio.IncompleteReadError:
            return messages


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=270), max_size=6), st.integers(1, 64))
def test_messages_round_trip_through_a_stream_in_any_chunks(messages, chunk):
    stream = b"".join(frame(m) for m in messages)
    assert asyncio.run(_decode(stream, chunk)) == messages


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_a_truncated_stream_ends_with_incomplete_read_never_anything_else(stream):
    messages = asyncio.run(_decode(stream, 7))
    assert stream.startswith(b"".join(frame(m) for m in messages))


# -- VirtualCard without vpcd -------------------------------------------------
def test_reader_names_follow_the_vpcd_ports():
    assert VirtualCard(port=35963).reader_name == "Virtual PCD 00 00"
    assert VirtualCard(port=35964).reader_name == "Virtual PCD 00 01"


def test_an_unknown_port_needs_a_reader_name():
    with pytest.raises(ValueError):
        VirtualCard(port=40000)
    assert VirtualCard(port=40000, reader_name="Bench reader").reader_name == "Bench reader"


def test_errors_are_world_errors():
    assert issubclass(CardAlreadyPresent, VirtualCardError)
    assert issubclass(VpcdUnreachable, VirtualCardError)
    assert issubclass(VirtualCardError, WorldError)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tap_without_vpcd_raises_vpcd_unreachable_and_leaves_no_card():
    async def scenario() -> VirtualCard:
        card = VirtualCard(port=_closed_port(), reader_name="nowhere")
        with pytest.raises(VpcdUnreachable, match="pcscd"):
            await card.tap(UID7)
        return card
    assert asyncio.run(scenario()).present is None


@pytest.mark.parametrize("uid", [b"", bytes(256)])
def test_tap_refuses_a_uid_of_impossible_length(uid):
    with pytest.raises(ValueError):
        asyncio.run(VirtualCard(port=35963).tap(uid))


def test_remove_without_a_card_does_nothing():
    card = VirtualCard(port=35963)
    asyncio.run(card.remove())
    assert card.present is None
