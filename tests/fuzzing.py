"""The fuzz campaign's frame: every parser gets hypothesis inputs, in batches, derandomized.

A case feeds `inputs` values of a strategy to a check that returns True when the parser
accepted the input (a typed value) and False when it refused it with its own documented error;
any other exception fails the case (hypothesis shrinks it to a small input first).

Hypothesis spends about a millisecond on each example whatever its size, so an example carries
BATCH inputs: 100,000 inputs are 10,000 examples, and a parser's full run stays within a
minute or two (the campaign's bound: docs/RELIABILITY.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

FULL = 100_000  # inputs per parser in `make campaigns`
FAST = 300  # inputs per parser in `make test`
BATCH = 10  # inputs per hypothesis example
ABOUT = ("Every parser of outside input (RFID frames and reader messages, ISO 28560 tag blocks, "
         "barcode lines, card responses, PLC registers, SIP2 messages, the library's SIP2 and "
         "HTTP/JSON answers, config files, patron API bodies, control-socket requests) gets "
         "hypothesis inputs, derandomized (the same every run), in examples of 10: near-valid "
         "ones (valid input with bytes flipped, cut, extended; fields of the wrong type, out of "
         "range, unknown) and random ones. Each must come back as a typed value or the "
         "parser's own documented error, nothing else; the patron API and the control socket "
         "also take a few thousand garbage requests each on a real server (127.0.0.1, a Unix "
         "socket) and answer every one with a structured error or a result. Bounded: "
         "100,000 inputs per parser (the SIP2 connector and config files: fewer, stated "
         "in their facts), about ten minutes on one core.")


def sizes(full: int = FULL, fast: int = FAST) -> list[Any]:
    """The fast case (`make test`) and the full one (`make campaigns`) of a parser."""
    return [pytest.param(fast, id="fast", marks=pytest.mark.campaign(name="fuzz", fast=True)),
            pytest.param(full, id="full", marks=pytest.mark.campaign(name="fuzz", fast=False))]


@dataclass
class Tally:
    """What a parser did with its inputs."""

    accepted: int = 0
    rejected: int = 0

    @property
    def cases(self) -> int:
        """Inputs parsed."""
        return self.accepted + self.rejected

    def count(self, accepted: bool) -> None:
        """One input parsed."""
        if accepted:
            self.accepted += 1
        else:
            self.rejected += 1

    def facts(self, parser: str, **more: Any) -> dict[str, Any]:
        """The campaign facts of this parser's case."""
        return {"parser": parser, "cases": self.cases, "rejected": self.rejected,
                "accepted": self.accepted, **more, "about": ABOUT}


def fuzz(strategy: st.SearchStrategy, check: Callable[[Any], bool], inputs: int,
         batch: int = BATCH, shrink: bool = True) -> Tally:
    """Feed `inputs` values of `strategy` to `check`, `batch` per hypothesis example; `shrink`
    off where a failure's inputs take minutes to shrink (they are reported as they were)."""
    tally = Tally()
    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)

    @settings(max_examples=math.ceil(inputs / batch), derandomize=True, deadline=None,
              database=None, phases=phases, suppress_health_check=list(HealthCheck))
    @given(st.lists(strategy, min_size=batch, max_size=batch))
    def run(values: list[Any]) -> None:
        for value in values:
            tally.count(check(value))

    run()
    assert tally.cases >= inputs, f"hypothesis gave {tally.cases} inputs, not {inputs}"
    return tally


EDIT_KINDS = ("flip", "cut", "extend", "insert", "delete", "repeat")
EDIT = st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 2**16),
                 st.binary(min_size=1, max_size=8))


def edited(data: bytes, changes: list[tuple[str, int, bytes]]) -> bytes:
    """`data` with each edit done: a byte flipped, the rest cut, bytes added at the end or
    inserted, some deleted, a piece repeated (`where` is taken modulo the length)."""
    out = bytearray(data)
    for kind, where, extra in changes:
        at = where % (len(out) + 1)
        if kind == "flip" and at < len(out):
            out[at] ^= extra[0] or 0xFF
        elif kind == "cut":
            del out[at:]
        elif kind == "extend":
            out += extra
        elif kind == "insert":
            out[at:at] = extra[:4]
        elif kind == "delete":
            del out[at:at + len(extra) % 4 + 1]
        elif kind == "repeat":
            out[at:at] = out[at:at + len(extra)]
    return bytes(out)


def mutated(base: st.SearchStrategy[bytes], most: int = 3) -> st.SearchStrategy[bytes]:
    """`base`'s bytes with up to `most` edits (see `edited`); build it once (module level):
    hypothesis is slow to draw from strategies made afresh."""
    return st.builds(edited, base, st.lists(EDIT, max_size=most))


def spiked(pool: list[str], odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values from `pool`, some with one character replaced by an `odd` one: three draws where
    a text would take one per character (hypothesis's cost is per draw)."""
    return st.one_of(st.sampled_from(pool), st.builds(_spike, st.sampled_from(pool), odd,
                                                      st.integers(0, 99)))


def _spike(value: str, char: str, at: int) -> str:
    at %= max(1, len(value))
    return value[:at] + char + value[at + 1:]


def chunks(data: bytes, size: int) -> list[bytes]:
    """`data` in pieces of `size` bytes: bytes as they arrive from a serial line."""
    return [data[at:at + size] for at in range(0, len(data), size)]


# Text as outside input writes it: ASCII, Hangul, digits of other scripts ('²', '٣'),
# controls, separators, a lone surrogate now and then (mostly pooled: see `spiked`).
ODD_WORDS = ["", "P0001", "EM0001", "kiosk-1", "채식주의자", "한강", "²", "٣٣", "-1", "1.5", "0",
             "\x00", "\x7f", "\t", "\r\n", "|", "$", "\"", "\\", "\u2028", "\u200b", "\ufeff",
             "\ud800", "\U0001f600", "x" * 70, "Y", "N", " ", "null", "true", "1e999"]
texts = st.one_of(spiked(ODD_WORDS, st.characters()), st.text(max_size=6))


# Any JSON document as decoded (Python's json takes NaN and Infinity too).
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12)


@st.composite
def edited_json(draw: st.DrawFn, value_of: st.SearchStrategy) -> Any:
    """A JSON value with one object or list in it changed: a key dropped, a value replaced by
    any JSON, a key added, an item of a list replaced, or one added to an empty list."""
    value = draw(value_of)
    containers = list(_containers(value))
    if not containers:
        return draw(json_values)
    target = containers[draw(st.integers(0, len(containers) - 1))]
    if isinstance(target, dict):
        keys = sorted(target)
        key = keys[draw(st.integers(0, len(keys) - 1))] if keys else "x"
        kind = draw(st.sampled_from(("drop", "replace", "add")))
        if kind == "drop":
            target.pop(key, None)
        else:
            target[key if kind == "replace" else draw(texts)] = draw(json_values)
    elif target:
        target[draw(st.integers(0, len(target) - 1))] = draw(json_values)
    else:
        target.append(draw(json_values))
    return value


def _containers(value: Any) -> Iterator[Any]:
    """Every object and list in a JSON value, the value itself first."""
    if isinstance(value, dict | list):
        yield value
        for inner in value.values() if isinstance(value, dict) else value:
            yield from _containers(inner)
