"""ISO 28560-3 tag codec: the spec's vector, nibble-swap tolerance, CRC strictness, round-trips."""

from __future__ import annotations

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


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_only_raise_tag_decode_error(data):
    try:
        tag = decode_tag(data)
    except TagDecodeError:
        return
    assert decode_tag(encode_tag(tag)) == tag
