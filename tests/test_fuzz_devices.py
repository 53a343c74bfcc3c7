"""Fuzz campaign, the devices' parsers: RFID frames and reader messages, ISO 28560 blocks,
barcode lines, card responses and PLC registers (pure: bytes and words in, values out)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import strategies as st

from drivers.barcode.parser import LineParser, Misread, Scanned, Symbology, parse_line
from drivers.card.apdu import (MAX_UID_LENGTH, CardStatusError, StatusWord, UidFormatError,
                               parse_uid_response, split_response)
from drivers.carousel.codec import (LAMP_COUNT, SENSOR_COUNT,
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
from tests.fuzzing import chunks, fuzz, mutated, sizes

# Valid inputs are drawn from pools built once by enumeration (one hypothesis draw each),
# then edited: hypothesis spends its time per draw, and a built frame takes twenty.
UIDS = [bytes(8), bytes.fromhex("E004015000000001"), b"\xff" * 8]


def request_pool() -> list[Request]:
    """A request of every kind with edge values."""
    pool: list[Request] = [GetReaderInfo()]
    for n, (antenna, uid) in enumerate(itertools.product((0, 1, 2, 255), UIDS)):
        pool += [Inventory(antenna), GetSystemInfo(antenna, uid), WriteAfi(antenna, uid, n * 17),
                 ReadBlocks(antenna, uid, n, 1 + n % MAX_READ_BLOCKS),
                 WriteBlocks(antenna, uid, n, bytes(range(4 * (1 + n % 20))))]
    return pool


def response_pool() -> list[Frame]:
    """Every command's responses with every status and payloads that fit, or nearly."""
    tags = [TagInfo(uid, n, 0x07 + n) for n, uid in enumerate(UIDS)]
    payloads = [b"", encode_inventory([]), encode_inventory(tags[:1]), encode_inventory(tags),
                encode_system_info(SystemInfo(0, 0xC2, 28, 4)), encode_reader_info(
                    ReaderInfo(1, 2, 3)), bytes(32), encode_tag(TagData(
                        Usage.CIRCULATING, 1, 1, "EM0001", "KR", "111001")), bytes(4) * 60]
    return [encode_response(cmd, status, payload) for cmd in (*Command, 0x7F)
            for status in Status for payload in payloads]


FRAMES = [encode_frame(f.cmd, f.body) for f in [
    *map(encode_request, request_pool()), *response_pool(), Frame(0x00), Frame(0xFF, bytes(254))]]
frame_bytes = st.sampled_from(FRAMES)
rfid_inputs = st.tuples(
    st.one_of(frame_bytes, mutated(frame_bytes), st.binary(max_size=300),
              mutated(st.builds(bytes.__add__, frame_bytes, frame_bytes))),
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

def tag_pool() -> list[TagData]:
    """Tags of every usage, with long and short fields of every printable character."""
    printable = "".join(map(chr, range(0x20, 0x7F)))
    ids = ["1", "EM0001", printable[:16], printable[16:32], printable[-16:], " " * 16, "~"]
    isils = ["1", "111001", printable[32:41], "KR-111009"]
    return [TagData(usage, parts, min(part, parts), item_id, country, isil)
            for usage, (parts, part), item_id, country, isil in itertools.product(
                Usage, [(1, 1), (2, 1), (255, 255), (3, 2)], ids, ["KR", "DE", "ZZ"], isils)]


def odd_tag_pool() -> list[TagData]:
    """Tags whose fields cannot be written: every field wrong in turn."""
    good = TagData(Usage.CIRCULATING, 1, 1, "EM0001", "KR", "111001")
    odd = {"usage": [3, -1, None, 16], "parts": [0, 256, "1", None], "part": [0, 2, -1],
           "item_id": ["", "x" * 17, "채", "\t", 1, "\ud800"], "country": ["kr", "K", "KRR", ""],
           "isil": ["", "x" * 10, "\x00", None], "version": [0, 2, 16]}
    return [dataclasses.replace(good, **{field: value}) for field, values in odd.items()
            for value in values]


def with_crc(block: bytes) -> bytes:
    """`block` with its CRC field recomputed when it is a whole block."""
    if len(block) != 32:
        return block
    return block[:19] + tag_crc(block).to_bytes(2, "little") + block[21:]


def nibbles_swapped(block: bytes) -> bytes:
    """Byte 0's nibbles swapped, as some vendors write it."""
    return bytes([(block[0] & 0x0F) << 4 | block[0] >> 4]) + block[1:] if block else block


BLOCKS = [encode_tag(tag) for tag in tag_pool()]
blocks = st.sampled_from(BLOCKS + [with_crc(nibbles_swapped(b)) for b in BLOCKS[::7]])
tag_inputs = st.one_of(blocks, mutated(blocks), mutated(blocks).map(with_crc),
                       st.binary(min_size=30, max_size=34).map(with_crc), st.binary(max_size=40),
                       st.sampled_from(odd_tag_pool()))


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

PREFIXES = [s.value for s in Symbology] + ["", "]", "]C", "]Z9", "]c0", "]]C0"]
DATA = ["EM00000042", "9788936434120", "0", "https://lib.example/m/1110010001?x=1&y=2",
        "".join(map(chr, range(0x20, 0x7F))), "x" * 63, "x" * 64, "x" * 65, "x" * 200, ""]
LINES = [(prefix + data).encode() + end for prefix, data, end in itertools.product(
    PREFIXES, DATA, [b"\r", b"\r\n", b"\n", b""])]
lines = st.sampled_from(LINES)
barcode_inputs = st.tuples(
    st.one_of(lines, mutated(lines), mutated(st.builds(bytes.__add__, lines, lines)),
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

STATUS_WORDS = [int(s).to_bytes(2, "big") for s in StatusWord] + [b"\x6c\x07", b"\x90"]
APDUS = [bytes(range(n)) + sw for n in range(MAX_UID_LENGTH + 3) for sw in STATUS_WORDS]
UID_ANSWERS = [bytes(range(7 * n, 8 * n)) + b"\x90\x00" for n in range(4, MAX_UID_LENGTH + 1)]
apdus = st.sampled_from(APDUS + UID_ANSWERS * 5)
card_inputs = st.one_of(apdus, mutated(apdus), st.binary(max_size=20))


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
ODD_WORDS = [0, 1, 2, 12, 13, 0x7FFF, 0xFFFF, -1, 0x10000, True]
word_edits = st.lists(st.integers(0, 2**20), min_size=1, max_size=3)  # one draw an edit


def edited_words(words: list[int], edits: list[int]) -> list:
    """Registers with words replaced by odd ones or any word, some dropped or added."""
    words = list(words)
    for edit in edits:
        kind, at, value = edit % 3, (edit >> 2) % (len(words) + 1), edit >> 7
        word = ODD_WORDS[value % len(ODD_WORDS)] if value & 1 else value >> 1
        if kind == 0 and at < len(words):
            words[at] = word
        elif kind == 1:
            del words[at:at + 1]
        else:
            words.insert(at, word)
    return words


valid_words = st.sampled_from(VALID_WORDS)
any_words = st.binary(max_size=44).map(lambda b: [int.from_bytes(b[i:i + 2], "big")
                                                  for i in range(0, len(b) - 1, 2)])
BITS = [[bool(n >> i & 1) for i in range(size)] for size in (0, 3, 9, 10, 12)
        for n in (0, 0b1010101010, 0xFFF, 0b0000011111)]
bits = st.sampled_from(BITS)
plc_inputs = st.tuples(st.one_of(valid_words, st.builds(edited_words, valid_words, word_edits),
                                 any_words), bits, bits)


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

