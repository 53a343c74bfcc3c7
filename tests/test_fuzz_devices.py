"""Fuzz campaign, the devices' parsers: RFID frames and reader messages, ISO 28560 blocks,
barcode lines, card responses and PLC registers (pure: bytes and words in, values out)."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from drivers.barcode.parser import LineParser, Misread, Scanned, Symbology, parse_line
from drivers.card.apdu import (MAX_UID_LENGTH, CardStatusError, StatusWord, UidFormatError,
                               parse_uid_response, split_response)
from drivers.carousel.codec import (INPUT_REGISTER_COUNT, LAMP_COUNT, SENSOR_COUNT,
                                    CarouselStatus, Lamps, Sensors, decode_status,
                                    encode_input_registers)
from drivers.carousel.geometry import Geometry
from drivers.carousel.errors import RegisterMapError
from drivers.carousel.registers import FaultCode, Result, State
from drivers.rfid.errors import FrameError, MessageError, TagDecodeError, TagEncodeError
from drivers.rfid.frames import (Command, DamagedFrame, Frame, FrameDecoder, Status,
                                 decode_frame, encode_frame)
from drivers.rfid.messages import (MAX_READ_BLOCKS, GetReaderInfo, GetSystemInfo, Inventory,
                                   ReaderInfo, ReadBlocks, Request, SystemInfo, TagInfo, WriteAfi,
                                   WriteBlocks, decode_blocks, decode_inventory,
                                   decode_reader_info, decode_request, decode_system_info,
                                   encode_inventory, encode_reader_info, encode_request,
                                   encode_response, encode_system_info, split_status)
from drivers.rfid.tag28560 import TAG_BLOCKS, TagData, Usage, decode_tag, encode_tag, tag_crc
from tests.fuzzing import chunks, fuzz, mutated, sizes, texts

BYTE = st.integers(0, 255)
UIDS = st.binary(min_size=8, max_size=8)

# -- RFID frames and the reader's messages ---------------------------------------------------

requests = st.one_of(
    st.builds(Inventory, BYTE),
    st.builds(ReadBlocks, BYTE, UIDS, BYTE, st.integers(1, MAX_READ_BLOCKS)),
    st.builds(WriteBlocks, BYTE, UIDS, BYTE,
              st.integers(1, 20).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))),
    st.builds(WriteAfi, BYTE, UIDS, BYTE),
    st.builds(GetSystemInfo, BYTE, UIDS),
    st.just(GetReaderInfo()),
)
payloads = st.one_of(
    st.lists(st.builds(TagInfo, UIDS, BYTE, BYTE), max_size=4).map(encode_inventory),
    st.builds(SystemInfo, BYTE, BYTE, BYTE, BYTE).map(encode_system_info),
    st.builds(ReaderInfo, BYTE, BYTE, BYTE).map(encode_reader_info),
    st.binary(max_size=40),
)
responses = st.builds(encode_response, st.sampled_from(Command), st.sampled_from(Status),
                      payloads)
frames = st.one_of(requests.map(encode_request), responses,
                   st.builds(Frame, BYTE, st.binary(max_size=254)))
frame_bytes = frames.map(lambda f: encode_frame(f.cmd, f.body))
rfid_inputs = st.tuples(
    st.one_of(mutated(frame_bytes), st.binary(max_size=300),
              st.lists(st.one_of(frame_bytes, mutated(frame_bytes), st.binary(max_size=6)),
                       max_size=4).map(b"".join)),
    st.integers(1, 64))


def message_fits(frame: Frame) -> bool:
    """Decode `frame` as a request and as a response; whether either fits its command."""
    try:
        assert isinstance(decode_request(frame), Request)
        fits = True
    except MessageError:
        fits = False
    try:
        status, payload = split_status(frame)
    except MessageError:
        return fits
    assert isinstance(status, Status)
    try:
        if frame.cmd == Command.INVENTORY:
            assert all(len(t.uid) == 8 for t in decode_inventory(payload))
        elif frame.cmd == Command.READ_BLOCKS:
            blocks = decode_blocks(payload, len(payload) // 4)
            if len(blocks) == 4 * TAG_BLOCKS:
                tag_decoded(blocks)
        elif frame.cmd == Command.SYSTEM_INFO:
            decode_system_info(payload)
        elif frame.cmd == Command.READER_INFO:
            decode_reader_info(payload)
        return True
    except (MessageError, TagDecodeError):
        return fits


def rfid_parsed(given: tuple[bytes, int]) -> bool:
    """One frame whole (re-encoded to the same bytes), and the stream decoder on the pieces."""
    data, size = given
    try:
        frame = decode_frame(data)
        assert encode_frame(frame.cmd, frame.body) == data
        accepted = message_fits(frame)
    except FrameError:
        accepted = False
    decoder = FrameDecoder()
    for piece in chunks(data, size):
        for item in decoder.feed(piece):
            assert isinstance(item, Frame | DamagedFrame)
            if isinstance(item, Frame):
                message_fits(item)
    return accepted


@pytest.mark.parametrize("inputs", sizes())
def test_rfid_frames_give_frames_and_messages_or_their_errors(inputs, campaign_facts):
    tally = fuzz(rfid_inputs, rfid_parsed, inputs)
    campaign_facts.update(tally.facts("rfid frames"))


# -- ISO 28560-3 tag blocks -------------------------------------------------------------------

# Alphabets as code point ranges: hypothesis draws such a text at once, not char by char.
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
UPPER = st.characters(min_codepoint=ord("A"), max_codepoint=ord("Z"))
tags = st.builds(
    TagData, usage=st.sampled_from(Usage), parts=st.integers(1, 255),
    part=st.just(1), item_id=st.text(PRINTABLE, min_size=1, max_size=16),
    country=st.text(UPPER, min_size=2, max_size=2),
    isil=st.text(PRINTABLE, min_size=1, max_size=9))
odd_tags = st.builds(
    TagData, usage=st.one_of(st.sampled_from(Usage), st.integers(-1, 20), st.none()),
    parts=st.one_of(st.integers(-1, 300), texts), part=st.one_of(st.integers(-1, 300), st.none()),
    item_id=st.one_of(texts, st.integers()), country=st.one_of(texts, st.none()), isil=texts,
    version=st.one_of(st.just(1), st.integers(-1, 20)))


def with_crc(block: bytes) -> bytes:
    """`block` with its CRC field recomputed when it is a whole block."""
    if len(block) != 32:
        return block
    return block[:19] + tag_crc(block).to_bytes(2, "little") + block[21:]


def nibbles_swapped(block: bytes) -> bytes:
    """Byte 0's nibbles swapped, as some vendors write it."""
    return bytes([(block[0] & 0x0F) << 4 | block[0] >> 4]) + block[1:] if block else block


blocks = tags.map(encode_tag)
tag_inputs = st.one_of(
    mutated(blocks, most=2), mutated(blocks, most=2).map(with_crc),
    blocks.map(nibbles_swapped).map(with_crc), st.binary(min_size=30, max_size=34).map(with_crc),
    st.binary(max_size=40), odd_tags)


def tag_decoded(block: bytes) -> TagData:
    """A decoded tag that encodes back to itself."""
    tag = decode_tag(block)
    assert decode_tag(encode_tag(tag)) == tag
    return tag


def tag_parsed(given: bytes | TagData) -> bool:
    """Decode a block, or encode a tag's fields."""
    try:
        if isinstance(given, TagData):
            assert len(encode_tag(given)) == 32
        else:
            tag_decoded(given)
        return True
    except (TagDecodeError, TagEncodeError):
        return False


@pytest.mark.parametrize("inputs", sizes())
def test_tag_blocks_give_tags_or_tag_errors(inputs, campaign_facts):
    tally = fuzz(tag_inputs, tag_parsed, inputs)
    campaign_facts.update(tally.facts("ISO 28560 blocks"))


# -- barcode lines ------------------------------------------------------------------------------

prefixes = st.one_of(st.sampled_from([s.value for s in Symbology] + [""]),
                     st.text(PRINTABLE, max_size=2).map(lambda t: "]" + t))
lines = st.builds(lambda p, d, end: (p + d).encode("latin-1") + end, prefixes,
                  st.one_of(st.text(PRINTABLE, max_size=70),
                            st.text(st.characters(max_codepoint=0xFF), max_size=20)),
                  st.sampled_from([b"\r", b"\r\n", b"\n", b""]))
barcode_inputs = st.tuples(
    st.one_of(lines, mutated(lines), st.builds(bytes.__add__, lines, mutated(lines)),
              st.binary(max_size=100)),
    st.integers(4, 100), st.integers(1, 64))


def checked_scan(result: Scanned | Misread, max_length: int) -> bool:
    """A scan is printable ASCII within the length; a misread keeps at most that many bytes."""
    if isinstance(result, Scanned):
        assert result.data and result.data.isascii() and result.data.isprintable()
        assert len(result.data) <= max_length
        return True
    assert isinstance(result, Misread) and len(result.raw) <= max_length
    return False


def barcode_parsed(given: tuple[bytes, int, int]) -> bool:
    """One line, and the line parser on the pieces (neither ever raises)."""
    data, max_length, size = given
    accepted = checked_scan(parse_line(data.rstrip(b"\r\n"), max_length), max_length)
    parser = LineParser(max_length)
    for piece in chunks(data, size):
        for result in parser.feed(piece):
            checked_scan(result, max_length)
    return accepted


@pytest.mark.parametrize("inputs", sizes())
def test_barcode_lines_give_scans_or_misreads(inputs, campaign_facts):
    tally = fuzz(barcode_inputs, barcode_parsed, inputs)
    campaign_facts.update(tally.facts("barcode lines"))


# -- card responses (PC/SC GET DATA) --------------------------------------------------------------

status_words = st.one_of(st.sampled_from([int(s) for s in StatusWord]), st.integers(0, 0xFFFF),
                         st.integers(0, 0xFF).map(lambda n: 0x6C00 | n))
apdus = st.builds(lambda uid, sw: uid + sw.to_bytes(2, "big"),
                  st.binary(max_size=MAX_UID_LENGTH + 2), status_words)
uids = st.binary(min_size=4, max_size=MAX_UID_LENGTH).map(lambda uid: uid + b"\x90\x00")
card_inputs = st.one_of(uids, apdus, mutated(uids, most=2), st.binary(max_size=20))


def card_parsed(response: bytes) -> bool:
    """A UID of 4..12 bytes, or the card's status or format error."""
    try:
        uid = parse_uid_response(*split_response(response))
    except (CardStatusError, UidFormatError):
        return False
    assert uid == response[:-2] and response[-2:] == b"\x90\x00"
    return True


@pytest.mark.parametrize("inputs", sizes())
def test_card_responses_give_uids_or_card_errors(inputs, campaign_facts):
    tally = fuzz(card_inputs, card_parsed, inputs)
    campaign_facts.update(tally.facts("card responses"))


# -- PLC registers ------------------------------------------------------------------------------

WORD = st.integers(0, 0xFFFF)


def valid_registers() -> list[list[int]]:
    """Registers of statuses a PLC could report: every state, result and fault, a few shapes."""
    shapes = [(10, 100, 4, 5), (1, 1, 0, 0), (64, 1000, 63, 0), (0xFFFF, 0xFFFF, 0xFFFE, 1)]
    pool = []
    for n, (state, result, fault) in enumerate(zip(
            [*State, *State, *State], [*Result, *Result, *Result][:3 * len(State)],
            [0, *FaultCode] * 3)):
        levels, positions, pickup, back = shapes[n % len(shapes)]
        status = CarouselStatus(state, n, n + 1, result, fault and FaultCode(fault),
                                n % levels, (7 * n) % positions,
                                Geometry(levels, positions, pickup, back), 0x0100, n + 1,
                                n * 3 % 0x10000, n, result, n * 70_000,
                                Sensors(*[bool(n >> i & 1) for i in range(SENSOR_COUNT)]),
                                Lamps(*[bool(n >> i & 1) for i in range(LAMP_COUNT)]))
        pool.append(encode_input_registers(status))
    return pool


VALID_WORDS = valid_registers()
word_edits = st.lists(st.tuples(st.sampled_from(("replace", "drop", "add")),
                                st.integers(0, INPUT_REGISTER_COUNT),
                                st.one_of(WORD, st.integers(-2, 0x10001), st.booleans())),
                      min_size=1, max_size=3)


def edited_words(words: list[int], edits: list[tuple[str, int, int]]) -> list:
    """Registers with words replaced by anything, some dropped or added."""
    words = list(words)
    for kind, at, value in edits:
        if kind == "replace" and at < len(words):
            words[at] = value
        elif kind == "drop":
            del words[at:at + 1]
        else:
            words.insert(at, value)
    return words


valid_words = st.sampled_from(VALID_WORDS)
bits = st.one_of(st.sampled_from([[True] * 12, [False] * 12, [True, False] * 6]),
                 st.lists(st.booleans(), max_size=12))
plc_inputs = st.tuples(st.one_of(valid_words, st.builds(edited_words, valid_words, word_edits),
                                 st.lists(WORD, max_size=20)), bits, bits)


def plc_parsed(given: tuple[list[int], list[bool], list[bool]]) -> bool:
    """A status that encodes back to the very registers, or a register-map error."""
    words, sensors, lamps = given
    try:
        status = decode_status(words, sensors, lamps)
    except RegisterMapError:
        return False
    assert isinstance(status, CarouselStatus)
    assert encode_input_registers(status) == [int(w) for w in words]
    return True


@pytest.mark.parametrize("inputs", sizes())
def test_plc_registers_give_a_status_or_a_register_map_error(inputs, campaign_facts):
    tally = fuzz(plc_inputs, plc_parsed, inputs)
    campaign_facts.update(tally.facts("PLC registers"))

