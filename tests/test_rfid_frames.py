"""Reader frame codec: CRC check values, encoding, and the resyncing incremental decoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.rfid.crc import crc16_ccitt_false
from drivers.rfid.errors import FrameError
from drivers.rfid.frames import (SOF, Command, DamagedFrame, Frame, FrameDecoder, FrameFault,
                                 decode_frame, encode_frame)

# READER_INFO request: AA, LEN 1, CMD 10, CRC over "01 10".
READER_INFO_REQUEST = bytes.fromhex("aa0110") + crc16_ccitt_false(b"\x01\x10").to_bytes(2, "big")
frames = st.builds(Frame, cmd=st.integers(0, 255), body=st.binary(max_size=254))


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` split at the given offsets (taken modulo its length)."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


def feed_all(decoder: FrameDecoder, chunks: list[bytes]) -> list:
    return [item for chunk in chunks for item in decoder.feed(chunk)]


@pytest.mark.parametrize("data, crc", [(b"123456789", 0x29B1), (b"", 0xFFFF), (b"\x00", 0xE1F0)])
def test_crc_matches_the_ccitt_false_check_values(data, crc):
    assert crc16_ccitt_false(data) == crc


def test_encode_frame_lays_out_sof_len_cmd_body_and_big_endian_crc():
    frame = encode_frame(Command.INVENTORY, b"\x01")
    crc = crc16_ccitt_false(b"\x02\x01\x01")
    assert frame == bytes([SOF, 0x02, 0x01, 0x01, crc >> 8, crc & 0xFF])


def test_reader_info_request_decodes():
    assert decode_frame(READER_INFO_REQUEST) == Frame(cmd=Command.READER_INFO, body=b"")


def test_body_too_long_for_len_is_a_frame_error():
    with pytest.raises(FrameError):
        encode_frame(Command.WRITE_BLOCKS, bytes(255))


@pytest.mark.parametrize("data", [
    b"", b"\xaa", READER_INFO_REQUEST[:-1], READER_INFO_REQUEST + b"\x00",
    b"\x00" + READER_INFO_REQUEST, bytes.fromhex("aa00") + bytes(2),
    READER_INFO_REQUEST[:-1] + bytes([READER_INFO_REQUEST[-1] ^ 1]),
])
def test_decode_frame_rejects_anything_but_one_frame(data):
    with pytest.raises(FrameError):
        decode_frame(data)


def test_decoder_reports_bad_crc_with_the_cmd_it_can_tell():
    damaged = bytearray(encode_frame(Command.READ_BLOCKS, bytes(11)))
    damaged[5] ^= 0xFF
    assert FrameDecoder().feed(bytes(damaged)) == [DamagedFrame(FrameFault.BAD_CRC, Command.READ_BLOCKS)]


def test_decoder_reports_bad_crc_of_an_unknown_cmd_without_a_cmd():
    damaged = bytearray(encode_frame(0x77, b"xy"))
    damaged[-1] ^= 1
    assert FrameDecoder().feed(bytes(damaged)) == [DamagedFrame(FrameFault.BAD_CRC, None)]


def test_decoder_drops_zero_length_and_finds_the_next_frame():
    items = FrameDecoder().feed(bytes.fromhex("aa00") + READER_INFO_REQUEST)
    assert items == [DamagedFrame(FrameFault.BAD_LENGTH, None), decode_frame(READER_INFO_REQUEST)]


def test_a_stuck_long_candidate_gives_way_to_a_later_complete_frame():
    decoder = FrameDecoder()
    items = decoder.feed(bytes([SOF, 0xFF, Command.INVENTORY]) + READER_INFO_REQUEST)
    assert items == [DamagedFrame(FrameFault.TRUNCATED, Command.INVENTORY),
                     decode_frame(READER_INFO_REQUEST)]


def test_decoder_counts_skipped_bytes():
    decoder = FrameDecoder()
    decoder.feed(b"\x01\x02\x03" + READER_INFO_REQUEST)
    assert decoder.skipped == 3


def test_reset_forgets_a_partial_frame():
    decoder = FrameDecoder()
    decoder.feed(READER_INFO_REQUEST[:3])
    decoder.reset()
    assert decoder.feed(READER_INFO_REQUEST[3:]) == []


@settings(max_examples=200, deadline=None)
@given(frames)
def test_encode_then_decode_round_trips(frame):
    assert decode_frame(encode_frame(frame.cmd, frame.body)) == frame


@settings(max_examples=100, deadline=None)
@given(st.lists(frames, min_size=1, max_size=5), st.lists(st.integers(0, 2000), max_size=8))
def test_consecutive_frames_split_anywhere_all_decode_in_order(sent, cuts):
    stream = b"".join(encode_frame(f.cmd, f.body) for f in sent)
    assert feed_all(FrameDecoder(), chunked(stream, cuts)) == sent


def replaced(data: bytes, at: int, value: int) -> bytes:
    """`data` with byte `at` set to `value`."""
    return data[:at] + bytes([value]) + data[at + 1:]


@st.composite
def without_sof(draw, frame: bytes):
    return replaced(frame, 0, draw(st.integers(0, 255).filter(lambda b: b != SOF)))


def zero_len(frame: bytes):
    return st.just(replaced(frame, 1, 0))


@st.composite
def flipped_after_len(draw, frame: bytes):
    at = draw(st.integers(2, len(frame) - 1))
    return replaced(frame, at, frame[at] ^ draw(st.integers(1, 255)))


@st.composite
def cut_short(draw, frame: bytes):
    return frame[:draw(st.integers(5, len(frame) - 1))] if len(frame) > 5 else draw(st.nothing())


@st.composite
def with_trailing_bytes(draw, frame: bytes):
    return frame + draw(st.binary(min_size=1, max_size=8))


@st.composite
def len_too_short(draw, frame: bytes):
    length = draw(st.integers(1, frame[1] - 1)) if frame[1] > 1 else draw(st.nothing())
    return replaced(frame, 1, length)


DECODE_FRAME_CORRUPTIONS = {  # a valid frame with one field corrupted, and how decode_frame says so
    "not a frame": without_sof, r"bad frame \(FrameFault.BAD_LENGTH\)": zero_len,
    r"bad frame \(FrameFault.BAD_CRC\)": flipped_after_len, r"bad frame \(None\)": cut_short,
    r"bad frame \(\d+\)": with_trailing_bytes,
}


@pytest.mark.parametrize("check", DECODE_FRAME_CORRUPTIONS)
@settings(max_examples=80, deadline=None)
@given(data=st.data(), frame=frames)
def test_decode_frame_stops_one_corrupted_field_at_its_own_check(check, data, frame):
    corrupted = data.draw(DECODE_FRAME_CORRUPTIONS[check](encode_frame(frame.cmd, frame.body)))
    with pytest.raises(FrameError, match=check):
        decode_frame(corrupted)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), frame=frames.filter(lambda f: f.body))
def test_decode_frame_refuses_a_len_that_ends_the_frame_early(data, frame):
    with pytest.raises(FrameError, match="bad frame"):
        decode_frame(data.draw(len_too_short(encode_frame(frame.cmd, frame.body))))


short_frames = st.builds(Frame, cmd=st.integers(0, 255), body=st.binary(max_size=4))
long_frames = st.builds(Frame, cmd=st.integers(0, 255), body=st.binary(min_size=20, max_size=254))


@settings(max_examples=150, deadline=None)
@given(long_frames, short_frames, st.data())
def test_decoder_reports_a_damaged_frame_with_its_fault_and_cmd_then_finds_the_next(damaged, after, data):
    sent = encode_frame(damaged.cmd, damaged.body)
    fault = data.draw(st.sampled_from(FrameFault))
    if fault is FrameFault.BAD_LENGTH:
        stream = replaced(sent, 1, 0)
    elif fault is FrameFault.BAD_CRC:
        stream = data.draw(flipped_after_len(sent).filter(lambda b: b[2] == sent[2]))
    else:
        stream = sent[:data.draw(st.integers(3, len(sent) - len(encode_frame(after.cmd, after.body)) - 1))]
    items = FrameDecoder().feed(stream + encode_frame(after.cmd, after.body))
    known = damaged.cmd if damaged.cmd in set(Command) and fault is not FrameFault.BAD_LENGTH else None
    assert items[0] == DamagedFrame(fault, known)
    assert [i for i in items if isinstance(i, Frame)] == [after]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 600), max_size=6))
def test_random_bytes_never_make_the_decoder_raise(data, cuts):
    items = feed_all(FrameDecoder(), chunked(data, cuts))
    assert all(isinstance(i, (Frame, DamagedFrame)) for i in items)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), frames, st.lists(st.integers(0, 1000), max_size=6))
def test_a_valid_frame_after_garbage_is_found(garbage, frame, cuts):
    stream = garbage + encode_frame(frame.cmd, frame.body)
    found = [i for i in feed_all(FrameDecoder(), chunked(stream, cuts)) if isinstance(i, Frame)]
    assert found[-1:] == [frame]
