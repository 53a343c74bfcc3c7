"""Barcode line parser: AIM identifiers, CR and CR LF, misreads, resync after over-long lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.barcode import LineParser, Misread, MisreadReason, Scanned, Symbology, parse_line

PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=60)


def feed_chunks(parser: LineParser, data: bytes, cuts: list[int]) -> list:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [e for a, b in zip(points, points[1:]) for e in parser.feed(data[a:b])]


@pytest.mark.parametrize("prefix, symbology", [
    ("]C0", Symbology.CODE128), ("]A0", Symbology.CODE39), ("]E0", Symbology.EAN13),
    ("]Q1", Symbology.QR), ("", None),
])
@pytest.mark.parametrize("end", [b"\r", b"\r\n"])
def test_every_symbology_with_cr_or_crlf(prefix, symbology, end):
    line = (prefix + "MEMBER-0042").encode() + end
    assert LineParser().feed(line) == [Scanned("MEMBER-0042", symbology)]


def test_crlf_lines_in_a_row_and_split_between_cr_and_lf():
    parser = LineParser()
    assert parser.feed(b"]E09788966260959\r") == [Scanned("9788966260959", Symbology.EAN13)]
    assert parser.feed(b"\n]C0EM00000001\r\n") == [Scanned("EM00000001", Symbology.CODE128)]


def test_a_partial_line_waits_for_its_cr():
    parser = LineParser()
    assert parser.feed(b"]Q1ABC") == []
    assert parser.feed(b"DEF\r") == [Scanned("ABCDEF", Symbology.QR)]


@pytest.mark.parametrize("line", [b"AB\x00CD", b"\x1b[A", "caf\u00e9".encode(), b"A\tB", b"AB\nCD"])
def test_non_printable_data_is_a_misread(line):
    assert LineParser().feed(line + b"\r") == [Misread(line, MisreadReason.NON_PRINTABLE)]


@pytest.mark.parametrize("line, reason", [
    (b"", MisreadReason.EMPTY), (b"]Q1", MisreadReason.EMPTY),
    (b"]d2ABC", MisreadReason.UNKNOWN_SYMBOLOGY), (b"]", MisreadReason.UNKNOWN_SYMBOLOGY),
])
def test_empty_lines_and_unknown_aim_identifiers_are_misreads(line, reason):
    assert parse_line(line) == Misread(line, reason)


def test_an_over_long_line_is_one_misread_then_the_next_line_is_read():
    parser = LineParser(max_length=10)
    events = parser.feed(b"]C0" + b"X" * 30 + b"\r]C0GOOD\r")
    assert events == [Misread(b"]C0XXXXXXX", MisreadReason.TOO_LONG), Scanned("GOOD", Symbology.CODE128)]


def test_an_over_long_line_is_reported_before_its_cr_arrives():
    parser = LineParser(max_length=8)
    assert parser.feed(b"0123456789") == [Misread(b"01234567", MisreadReason.TOO_LONG)]
    assert parser.feed(b"more junk") == []
    assert parser.feed(b"\rOK\r") == [Scanned("OK", None)]


def test_a_line_of_exactly_max_length_is_read():
    assert LineParser(max_length=8).feed(b"12345678\r") == [Scanned("12345678", None)]


def test_default_max_length_is_64():
    assert LineParser().feed(b"A" * 64 + b"\r") == [Scanned("A" * 64, None)]
    assert LineParser().feed(b"A" * 65 + b"\r")[0].reason is MisreadReason.TOO_LONG


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([None, *Symbology]), PRINTABLE, st.booleans(),
       st.lists(st.integers(0, 200), max_size=5))
def test_any_printable_scan_round_trips_through_any_chunking(symbology, data, crlf, cuts):
    if data.startswith("]") and symbology is None:
        data = "x" + data[1:]  # a bare leading "]" would read as an AIM identifier
    line = ((symbology or "") + data).encode() + (b"\r\n" if crlf else b"\r")
    assert feed_chunks(LineParser(), line, cuts) == [Scanned(data, symbology)]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 500), max_size=6))
def test_random_bytes_never_raise_and_a_good_line_after_them_is_read(garbage, cuts):
    events = feed_chunks(LineParser(), garbage + b"\r]Q1MEMBER-7\r", cuts)
    assert all(isinstance(e, (Scanned, Misread)) for e in events)
    assert events[-1] == Scanned("MEMBER-7", Symbology.QR)
