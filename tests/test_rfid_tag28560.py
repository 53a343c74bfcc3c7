"""ISO 28560-3 tag codec: the spec's vector, nibble-swap tolerance, CRC strictness, round-trips."""

from __future__ import annotations

import string
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.rfid.tag28560 import TagData, Usage, decode_tag, encode_tag, tag_crc
from drivers.rfid.errors import TagDecodeError, TagEncodeError

SPEC_VECTOR = bytes.fromhex("11010131313232333334340000000000000000513e4445373035000000000000")
SPEC_TAG = TagData(usage=Usage.CIRCULATING, parts=1, part=1, item_id="11223344",
                   country="DE", isil="705", version=1)
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


def with_crc(block: bytes) -> bytes:
    """`block` with its CRC field recomputed (a tag written by a vendor that did it right)."""
    return block[:19] + tag_crc(block).to_bytes(2, "little") + block[21:]


def test_spec_vector_decodes_to_the_documented_fields():
    assert decode_tag(SPEC_VECTOR) == SPEC_TAG


def test_spec_vector_crc_is_0x3e51():
    assert tag_crc(SPEC_VECTOR) == 0x3E51


def test_spec_tag_encodes_to_the_spec_vector():
    assert encode_tag(SPEC_TAG) == SPEC_VECTOR


def test_tag_decode_error_is_a_protocol_error():
    assert issubclass(TagDecodeError, ProtocolError)


@pytest.mark.parametrize("usage", list(Usage))
def test_swapped_nibbles_in_byte_0_decode_the_same(usage):
    tag = TagData(usage=usage, parts=2, part=1, item_id="EM00000042", country="KR", isil="111001")
    block = bytearray(encode_tag(tag))
    block[0] = ((block[0] & 0x0F) << 4) | (block[0] >> 4)
    assert decode_tag(with_crc(bytes(block))) == tag


@pytest.mark.parametrize("bit", range(32 * 8))
def test_a_flipped_bit_anywhere_is_a_decode_error(bit):
    block = bytearray(SPEC_VECTOR)
    block[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(TagDecodeError):
        decode_tag(bytes(block))


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_wrong_length_is_a_decode_error(size):
    with pytest.raises(TagDecodeError):
        decode_tag((SPEC_VECTOR * 3)[:size])


@pytest.mark.parametrize("first", [0x22, 0x02, 0x00, 0xF3])
def test_unknown_version_is_a_decode_error_even_with_a_good_crc(first):
    with pytest.raises(TagDecodeError, match="version"):
        decode_tag(with_crc(bytes([first]) + SPEC_VECTOR[1:]))


def test_unknown_usage_is_a_decode_error():
    with pytest.raises(TagDecodeError, match="usage"):
        decode_tag(with_crc(b"\x13" + SPEC_VECTOR[1:]))


@pytest.mark.parametrize("offset, value", [(5, 0xC3), (4, 0x07), (21, ord("é".encode("latin-1")))])
def test_non_ascii_or_control_bytes_in_a_field_are_a_decode_error(offset, value):
    block = bytearray(SPEC_VECTOR)
    block[offset] = value
    with pytest.raises(TagDecodeError):
        decode_tag(with_crc(bytes(block)))


@pytest.mark.parametrize("change", [
    {"item_id": "X" * 17}, {"item_id": ""}, {"item_id": "café"}, {"item_id": "AB\tC"},
    {"isil": "1234567890"}, {"country": "D"}, {"country": "DEU"}, {"country": "d1"},
    {"parts": 0, "part": 0}, {"part": 3}, {"parts": 256, "part": 1}, {"version": 2},
    {"usage": 5},
])
def test_encode_rejects_fields_that_do_not_fit(change):
    fields = vars(SPEC_TAG) | change
    with pytest.raises(TagEncodeError):
        encode_tag(TagData(**fields))


tags = st.builds(
    lambda usage, parts, part_seed, item, country, isil: TagData(
        usage=usage, parts=parts, part=1 + part_seed % parts, item_id=item, country=country, isil=isil),
    usage=st.sampled_from(Usage),
    parts=st.integers(1, 255),
    part_seed=st.integers(0, 254),
    item=st.text(PRINTABLE, min_size=1, max_size=16),
    country=st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=2, max_size=2),
    isil=st.text(PRINTABLE, min_size=1, max_size=9),
)


@settings(max_examples=200, deadline=None)
@given(tags)
def test_encode_then_decode_round_trips(tag):
    block = encode_tag(tag)
    assert len(block) == 32
    assert decode_tag(block) == tag


NOT_PRINTABLE = st.integers(1, 255).filter(lambda b: b not in PRINTABLE_BYTES)
PRINTABLE_BYTES = {ord(c) for c in string.printable} - {ord(c) for c in "\t\n\r\x0b\x0c"}
TEXT_FIELDS = {"item_id": slice(3, 19), "country": slice(21, 23), "isil": slice(23, 32)}


def changed(block: bytes, at: int, value: int) -> bytes:
    """`block` with byte `at` set to `value`."""
    return block[:at] + bytes([value]) + block[at + 1:]


@st.composite
def wrong_length(draw, tag: TagData):
    return (encode_tag(tag) * 2)[:draw(st.integers(0, 64).filter(lambda n: n != 32))]


@st.composite
def wrong_crc(draw, tag: TagData):
    block = encode_tag(tag)
    at = draw(st.integers(0, 31))
    return changed(block, at, block[at] ^ draw(st.integers(1, 255)))


@st.composite
def unknown_version(draw, tag: TagData):
    high = draw(st.integers(0, 15).filter(lambda v: v != 1))
    low = draw(st.integers(0, 15).filter(lambda v: v != 1))
    return with_crc(changed(encode_tag(tag), 0, high << 4 | low))


@st.composite
def unknown_usage(draw, tag: TagData):
    usage = draw(st.integers(0, 15).filter(lambda v: v not in set(Usage)))
    return with_crc(changed(encode_tag(tag), 0, 0x10 | usage))


@st.composite
def impossible_part(draw, tag: TagData):
    parts = draw(st.integers(0, 255))
    part = draw(st.one_of(st.just(0), st.integers(parts + 1, 256)).filter(lambda p: p < 256))
    return with_crc(encode_tag(tag)[:1] + bytes([parts, part]) + encode_tag(tag)[3:])


@st.composite
def unprintable_text(draw, tag: TagData):
    field = TEXT_FIELDS[draw(st.sampled_from(sorted(TEXT_FIELDS)))]
    block = encode_tag(tag)
    anywhere = st.tuples(st.integers(field.start, field.stop - 1), NOT_PRINTABLE)
    leading_nul = st.just((field.start, 0)) if block[field.start + 1] else st.nothing()
    at, value = draw(st.one_of(anywhere, leading_nul))
    return with_crc(changed(block, at, value))


@st.composite
def empty_text(draw, tag: TagData):
    field = TEXT_FIELDS[draw(st.sampled_from(sorted(TEXT_FIELDS)))]
    block = encode_tag(tag)
    return with_crc(block[:field.start] + bytes(field.stop - field.start) + block[field.stop:])


CORRUPTIONS = {  # the check that stops each corruption, matched in the error message
    "basic block is": wrong_length, "tag CRC": wrong_crc, "unknown data model version": unknown_version,
    "unknown type of usage": unknown_usage, r"part \d+ of \d+": impossible_part,
    "is not printable ASCII": unprintable_text, "must be (1 to 16|1 to 9|2) characters": empty_text,
}


@pytest.mark.parametrize("check", CORRUPTIONS)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), tag=tags)
def test_a_valid_tag_with_one_corrupted_field_stops_at_the_check_for_that_field(check, data, tag):
    block = data.draw(CORRUPTIONS[check](tag))
    with pytest.raises(TagDecodeError, match=check):
        decode_tag(block)


@settings(max_examples=100, deadline=None)
@given(tags, st.sampled_from(sorted(TEXT_FIELDS)), st.text(PRINTABLE, min_size=1, max_size=16))
def test_a_printable_field_written_over_a_valid_tag_decodes_to_the_new_value(tag, name, text):
    field = TEXT_FIELDS[name]
    size = field.stop - field.start
    value = text[:size] if name != "country" else text.upper().ljust(2, "A")[:2]
    block = encode_tag(tag)
    block = with_crc(block[:field.start] + value.encode().ljust(size, b"\0") + block[field.stop:])
    if name == "country" and not value.isalpha():
        with pytest.raises(TagDecodeError, match="country"):
            decode_tag(block)
    else:
        assert decode_tag(block) == replace(tag, **{name: value})
