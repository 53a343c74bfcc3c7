"""The pure SIP2 codec: published checksums, layouts, dates, and a fuzzed parser."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.sip2 import (
    LAYOUTS, ChecksumError, Message, Sip2Error, build, checksum, decode, encode, format_date,
    parse_date, response_code,
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


@given(st.binary(max_size=200))
def test_parser_never_fails_other_than_with_a_sip2_error(data):
    try:
        msg = decode(data)
    except Sip2Error:
        return
    assert msg.code in LAYOUTS


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
