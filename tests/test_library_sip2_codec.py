"""The pure SIP2 codec: published checksums, layouts, dates, and a fuzzed parser."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.sip2 import (
    LAYOUTS, ChecksumError, append_error_detection, Message, Sip2Error, build, checksum, decode, encode, format_date,
    parse_acs_date, parse_acs_day, parse_date, response_code,
)

SEOUL = ZoneInfo("Asia/Seoul")
# Examples published with the 3M SIP2 2.00 specification.
CHECKIN = (b"09N19980821    085721                  APCertification Terminal Location|"
           b"AOCertification Institute ID|ABCheckInBook|ACTPWord|BIN|AY2AZD6A5")
END_SESSION = b"3519980723    094014AOCertification Institute ID|AAPatronID|AY3AZEBF2"


@pytest.mark.parametrize(("data", "expected"), [
    (b"941AY0AZ", "FDFD"),
    (b"9900302.00AY1AZ", "FCA5"),
    (b"96AZ", "FEF6"),
    (CHECKIN[:-4], "D6A5"),
    (END_SESSION[:-4], "EBF2"),
])
def test_checksum_matches_published_examples(data, expected):
    assert checksum(data) == expected


def test_published_checkin_parses_and_encodes_back():
    msg = decode(CHECKIN + b"\r", require_checksum=True)
    assert (msg.code, msg.sequence, msg.fixed["no_block"]) == ("09", 2, "N")
    assert msg.get("AB") == "CheckInBook" and msg.get("AO") == "Certification Institute ID"
    assert encode(msg) == CHECKIN + b"\r"


def test_login_response_is_the_published_message():
    assert encode(build("94", {"ok": "1"}, sequence=0)) == b"941AY0AZFDFD\r"


def test_wrong_or_missing_checksum_is_detected():
    with pytest.raises(ChecksumError):
        decode(b"941AY0AZFDFE\r")
    with pytest.raises(ChecksumError):
        decode(b"941\r", require_checksum=True)
    assert decode(b"941\r").sequence is None  # error detection off: accepted


def test_checksum_error_is_a_protocol_error():
    assert issubclass(ChecksumError, Sip2Error) and issubclass(Sip2Error, ProtocolError)


@pytest.mark.parametrize("data", [b"XX\r", b"9\r", b"11YN2019\r", b"93\r",
                                  b"9900302.00|A\r"])
def test_malformed_messages_are_sip2_errors(data):
    with pytest.raises(Sip2Error):
        decode(data)


def test_build_checks_fixed_lengths_and_separators():
    with pytest.raises(Sip2Error):
        build("94", {"ok": "10"})
    with pytest.raises(Sip2Error):
        build("94", {})
    with pytest.raises(Sip2Error):
        build("94", {"ok": "1"}, [("AF", "a|b")])


def test_repeated_fields_keep_their_order():
    msg = decode(b"64" + b" " * 14 + b"000" + b"20260101    120000" + b"0000" * 6
                 + b"AUEM1|AUEM2|AAP1|")
    assert msg.all("AU") == ["EM1", "EM2"] and msg.get("AA") == "P1"


def test_dates_in_utc_and_local_time():
    when = datetime(2026, 3, 1, 9, 30, 5, tzinfo=SEOUL)
    assert format_date(when) == "20260301   Z003005"
    assert parse_date("20260301   Z003005", SEOUL) == when
    assert parse_date("20260301    093005", SEOUL) == when
    assert parse_date(" " * 18, SEOUL) is None
    with pytest.raises(Sip2Error):
        parse_date("2026030x    093005", SEOUL)


def test_response_codes():
    assert [response_code(c) for c in ("93", "99", "23", "63", "11", "09", "29", "17", "35")] == [
        "94", "98", "24", "64", "12", "10", "30", "18", "36"]


def test_character_set_is_configurable():
    msg = build("94", {"ok": "1"}, [("AF", "대출 완료")], sequence=4)
    for charset in ("utf-8", "euc-kr", "cp949"):
        assert decode(encode(msg, encoding=charset), encoding=charset,
                      require_checksum=True) == msg
    with pytest.raises(Sip2Error):
        encode(msg, encoding="ascii")


_TEXT = st.text(st.characters(blacklist_characters="|\r\n", blacklist_categories=("Cs",)),
                max_size=20)
_FIELDS = st.lists(st.tuples(st.from_regex(r"\A[A-Z]{2}\Z"), _TEXT), max_size=6)


@st.composite
def messages(draw) -> Message:
    code = draw(st.sampled_from(sorted(LAYOUTS)))
    fixed = {name: draw(st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                min_size=n, max_size=n)) for name, n in LAYOUTS[code]}
    fields = draw(_FIELDS)
    sequence = draw(st.none() | st.integers(0, 9))
    return build(code, fixed, fields, sequence)


@given(messages())
def test_every_message_survives_encode_and_decode(msg):
    assert decode(encode(msg), require_checksum=True) == msg


def body_of(msg: Message) -> bytes:
    """The bytes of `msg` without the error-detection tail and the CR."""
    return encode(msg, error_detection=False)[:-1]


def sealed(body: bytes, sequence: int | None) -> bytes:
    """`body` with a correct AY/AZ tail and the CR: corruption that only the parser can catch."""
    return append_error_detection(body, sequence) + b"\r"


def tail_cut_off(msg):
    return st.just(body_of(msg) + b"\r")


@st.composite
def body_byte_changed(draw, msg):
    wire = encode(msg)
    body_length = len(body_of(msg))
    at = draw(st.integers(0, body_length - 1))
    changed = (wire[at] + draw(st.integers(1, 255))) % 256
    return wire[:at] + bytes([changed]) + wire[at + 1:]


@st.composite
def invalid_utf8(draw, msg):
    body = body_of(msg)
    at = draw(st.integers(0, len(body)))
    bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\x80"]))
    return sealed(body[:at] + bad + body[at:], msg.sequence)


@st.composite
def unknown_code(draw, msg):
    code = draw(st.from_regex(r"\A[0-9A-Z]{2}\Z").filter(lambda c: c not in LAYOUTS))
    return sealed(code.encode() + body_of(msg)[2:], msg.sequence)


@st.composite
def fixed_part_cut_short(draw, msg):
    fixed_length = sum(n for _, n in LAYOUTS[msg.code])
    cut = draw(st.integers(2, 1 + fixed_length)) if fixed_length else draw(st.nothing())
    return sealed(body_of(msg)[:cut], msg.sequence)


@st.composite
def bad_field_identifier(draw, msg):
    body = body_of(msg)
    fixed_end = 2 + sum(n for _, n in LAYOUTS[msg.code])
    ids = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=2, max_size=2)
    bad_id = draw(ids.filter(lambda i: "|" not in i and not i.isalnum()))
    return sealed(body[:fixed_end] + bad_id.encode() + b"x|" + body[fixed_end:], msg.sequence)


DECODE_CORRUPTIONS = {  # a valid message with one part corrupted, and what decode must say
    "no AY/AZ error-detection tail": tail_cut_off, "does not match": body_byte_changed,
    "is not valid utf-8": invalid_utf8, "unknown message code": unknown_code,
    "too short for fixed field": fixed_part_cut_short, "bad variable field": bad_field_identifier,
}


@pytest.mark.parametrize("check", DECODE_CORRUPTIONS)
@settings(max_examples=80, deadline=None)
@given(data=st.data(), msg=messages())
def test_a_valid_message_with_one_part_corrupted_stops_at_its_own_check(check, data, msg):
    wire = data.draw(DECODE_CORRUPTIONS[check](msg))
    with pytest.raises(Sip2Error, match=check):
        decode(wire, require_checksum=True)


@given(messages(), st.integers(min_value=0), st.integers(1, 255))
def test_any_corrupted_byte_is_caught_or_parsed_cleanly(msg, position, delta):
    data = bytearray(encode(msg)[:-1])
    index = position % len(data)
    data[index] = (data[index] + delta) % 256
    try:
        decode(bytes(data), require_checksum=True)
    except Sip2Error:
        return
    assert index >= len(data) - 4  # only a hex digit's case may change unnoticed


def test_utc_is_accepted():
    assert parse_date("20260101   Z000000", SEOUL) == datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["99991231   Z235959", "99991231    235959",
                                  "00010101    000000", "9999-12-31 23:59:59", "99991231"])
def test_a_date_at_the_end_of_the_calendar_is_a_sip2_error(text):
    """Found by the fuzz campaign: Seoul's time of 9999-12-31 23:59:59 UTC is past year 9999,
    and the connector's astimezone() raised OverflowError."""
    with pytest.raises(Sip2Error, match="out of range"):
        parse_acs_date(text, SEOUL)
    with pytest.raises(Sip2Error, match="out of range"):
        parse_acs_day(text, SEOUL)
    assert parse_acs_date("99991230    235959", SEOUL).year == 9999
