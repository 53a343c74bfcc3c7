"""Request and response bodies: layouts from the spec, round-trips, and bodies that do not fit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.rfid.errors import InvalidRequest, MessageError
from drivers.rfid.frames import Command, Frame, Status
from drivers.rfid.messages import (BLOCK_SIZE, COMMAND_OF, MAX_READ_BLOCKS, MAX_WRITE_BLOCKS, GetReaderInfo, GetSystemInfo,
                                   Inventory, ReadBlocks, ReaderInfo, SystemInfo, TagInfo, WriteAfi,
                                   WriteBlocks, decode_blocks, decode_inventory, decode_reader_info,
                                   decode_request, decode_system_info, encode_inventory,
                                   encode_reader_info, encode_request, encode_response,
                                   encode_system_info, split_status)

UID = bytes.fromhex("E004015000000001")
byte = st.integers(0, 255)
uids = st.binary(min_size=8, max_size=8)
requests = st.one_of(
    st.builds(Inventory, byte),
    st.builds(ReadBlocks, byte, uids, byte, st.integers(1, MAX_READ_BLOCKS)),
    st.builds(WriteBlocks, byte, uids, byte,
              st.integers(1, MAX_WRITE_BLOCKS).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))),
    st.builds(WriteAfi, byte, uids, byte),
    st.builds(GetSystemInfo, byte, uids),
    st.just(GetReaderInfo()),
)
tag_infos = st.builds(TagInfo, uids, byte, byte)


@pytest.mark.parametrize("request_, cmd, body", [
    (Inventory(1), Command.INVENTORY, "01"),
    (ReadBlocks(2, UID, 0, 8), Command.READ_BLOCKS, "02" + UID.hex() + "0008"),
    (WriteBlocks(0, UID, 3, b"abcdefgh"), Command.WRITE_BLOCKS,
     "00" + UID.hex() + "0302" + b"abcdefgh".hex()),
    (WriteAfi(1, UID, 0xC2), Command.WRITE_AFI, "01" + UID.hex() + "c2"),
    (GetSystemInfo(0, UID), Command.SYSTEM_INFO, "00" + UID.hex()),
    (GetReaderInfo(), Command.READER_INFO, ""),
])
def test_request_bodies_follow_the_spec_table(request_, cmd, body):
    assert encode_request(request_) == Frame(cmd=cmd, body=bytes.fromhex(body))


@settings(max_examples=200, deadline=None)
@given(requests)
def test_requests_round_trip(request_):
    assert decode_request(encode_request(request_)) == request_


@pytest.mark.parametrize("request_", [
    Inventory(256), ReadBlocks(0, UID[:7], 0, 1), ReadBlocks(0, UID, 0, 0),
    ReadBlocks(0, UID, 0, MAX_READ_BLOCKS + 1), WriteBlocks(0, UID, 0, b"abc"),
    WriteBlocks(0, UID, 0, b""), WriteAfi(0, UID, -1),
])
def test_out_of_range_requests_are_refused(request_):
    with pytest.raises(InvalidRequest):
        encode_request(request_)


@pytest.mark.parametrize("frame", [
    Frame(Command.INVENTORY, b""), Frame(Command.INVENTORY, b"\x00\x00"),
    Frame(Command.READ_BLOCKS, b"\x00" + UID + b"\x00\x00"),
    Frame(Command.WRITE_BLOCKS, b"\x00" + UID + b"\x00\x02" + bytes(4)),
    Frame(Command.WRITE_AFI, b"\x00" + UID), Frame(Command.READER_INFO, b"\x00"), Frame(0x42, b""),
])
def test_requests_whose_body_does_not_fit_are_message_errors(frame):
    with pytest.raises(MessageError):
        decode_request(frame)


@settings(max_examples=100, deadline=None)
@given(st.lists(tag_infos, max_size=20))
def test_inventory_payload_round_trips(tags):
    assert decode_inventory(encode_inventory(tags)) == tags


def test_inventory_payload_layout():
    payload = encode_inventory([TagInfo(UID, 0, 0x07)])
    assert payload == b"\x01" + UID + b"\x00\x07"


@pytest.mark.parametrize("payload", [b"", b"\x01" + UID, b"\x00\x00", b"\x02" + UID + b"\x00\x07"])
def test_inventory_count_and_length_must_agree(payload):
    with pytest.raises(MessageError):
        decode_inventory(payload)


def test_info_payloads_round_trip_and_check_length():
    info, reader = SystemInfo(0, 0xC2, 8, 4), ReaderInfo(1, 2, 3)
    assert decode_system_info(encode_system_info(info)) == info
    assert decode_reader_info(encode_reader_info(reader)) == reader
    with pytest.raises(MessageError):
        decode_system_info(b"\x00\x07\x08")
    with pytest.raises(MessageError):
        decode_reader_info(b"\x01\x02\x03\x04")
    with pytest.raises(MessageError):
        decode_blocks(bytes(7), 2)


def test_split_status_reads_the_first_body_byte():
    assert split_status(encode_response(Command.INVENTORY, Status.NO_TAG, b"x")) == (Status.NO_TAG, b"x")
    with pytest.raises(MessageError):
        split_status(Frame(Command.INVENTORY, b""))
    with pytest.raises(MessageError):
        split_status(Frame(Command.INVENTORY, b"\x99"))


def request_frames(*kinds: type) -> st.SearchStrategy[Frame]:
    """Frames of valid requests of the given kinds."""
    return requests.filter(lambda r: isinstance(r, kinds)).map(encode_request)


@st.composite
def unknown_cmd(draw):
    frame = draw(request_frames(*COMMAND_OF))
    return Frame(draw(byte.filter(lambda b: b not in set(Command))), frame.body)


@st.composite
def body_resized(draw):
    frame = draw(request_frames(*COMMAND_OF))
    cut_or_grow = st.one_of(st.integers(0, len(frame.body) - 1).map(lambda n: frame.body[:n]) if frame.body
                            else st.nothing(), st.binary(min_size=1, max_size=3).map(lambda b: frame.body + b))
    body = draw(cut_or_grow)
    if frame.cmd == Command.WRITE_BLOCKS and len(body) > 11 and (len(body) - 11) % BLOCK_SIZE == 0:
        body = body + b"\0"  # whole blocks again: make it not fit
    return Frame(frame.cmd, body)


@st.composite
def block_count_off(draw):
    frame = draw(request_frames(ReadBlocks, WriteBlocks))
    if frame.cmd == Command.READ_BLOCKS:
        count = draw(st.one_of(st.just(0), st.integers(MAX_READ_BLOCKS + 1, 255)))
    else:
        count = draw(byte.filter(lambda c: c * BLOCK_SIZE != len(frame.body) - 11))
    return Frame(frame.cmd, frame.body[:10] + bytes([count]) + frame.body[11:])


REQUEST_CORRUPTIONS = {  # a valid request frame with one part corrupted, and what decode must say
    "unknown command": unknown_cmd, "does not fit": body_resized, "does not fit the command": block_count_off,
}


@pytest.mark.parametrize("check", REQUEST_CORRUPTIONS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_valid_request_frame_with_one_part_corrupted_is_a_message_error(check, data):
    with pytest.raises(MessageError, match=check):
        decode_request(data.draw(REQUEST_CORRUPTIONS[check]()))


@settings(max_examples=150, deadline=None)
@given(requests.filter(lambda r: not isinstance(r, GetReaderInfo)), st.data())
def test_any_byte_of_a_fixed_size_field_changed_decodes_to_the_request_with_that_change(request_, data):
    frame = encode_request(request_)
    fixed_fields_end = {Command.WRITE_BLOCKS: 10, Command.READ_BLOCKS: 10}.get(frame.cmd, len(frame.body))
    at = data.draw(st.integers(0, fixed_fields_end - 1))
    body = frame.body[:at] + bytes([data.draw(byte)]) + frame.body[at + 1:]
    changed = decode_request(Frame(frame.cmd, body))
    assert encode_request(changed) == Frame(frame.cmd, body)
    assert type(changed) is type(request_)
