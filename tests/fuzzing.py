"""The fuzz campaign's frame: every parser gets hypothesis inputs, in batches, derandomized.

A case feeds `inputs` values of a strategy to a check that returns True when the parser
accepted the input (a typed value) and False when it refused it with its own documented error;
any other exception fails the case (hypothesis shrinks it to a small input first).

Hypothesis's cost is per example and per draw, not per byte: an example carries BATCH inputs
(100,000 inputs are 10,000 examples), and an input is mostly one drawn number that picks a
whole near-valid value from pools (`pick`, `fill`, `spiked`) and one or two that edit it
(`edited`). A parser's 100,000 then take 30 to 90 s of one core (config files and SIP2
conversations about 4.5 min), the whole campaign about eighteen minutes (measured before
those two reached 100,000: 743 s of CPU for every full case, under load).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

FULL = 100_000  # inputs per parser in `make campaigns`
FAST = 300  # inputs per parser in `make test`
BATCH = 10  # inputs per hypothesis example
ABOUT = ("Every parser of outside input gets hypothesis inputs, derandomized (the same every "
         "run): RFID frames and reader messages, ISO 28560 tag blocks, barcode lines, card "
         "responses, PLC registers, SIP2 messages, the SIP2 connector (each call a conversation "
         "with an ACS whose every answer is drawn), the library's HTTP/JSON answers, config "
         "files, patron API bodies and control-socket requests get 100,000 each; the real "
         "patron API (127.0.0.1) and control socket (a Unix socket) "
         "3,000 garbage requests each. Inputs are near-valid (valid ones with bytes flipped, "
         "cut or added; fields of the wrong type, out of range, unknown or dropped; odd "
         "characters) or random. Each must come back as a typed value or the parser's own "
         "documented error, nothing else; a server must answer every request with a result "
         "or a structured error, and still answer after. Bounded: about eighteen minutes of "
         "one core (tests/fuzzing.py).")


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


# An edit of bytes is one number (one hypothesis draw): its kind, where, the byte, how many.
EDIT = st.integers(0, 2**32 - 1)
edits = st.lists(EDIT, min_size=1, max_size=2)


def edited(data: bytes, changes: list[int]) -> bytes:
    """`data` with each edit done: a byte flipped, the rest cut, bytes added at the end or
    inserted, some deleted, a piece repeated."""
    out = bytearray(data)
    for change in changes:
        kind, at = change % 6, (change >> 3) % (len(out) + 1)
        byte, count = (change >> 20) & 0xFF, (change >> 28) % 4 + 1
        if kind == 0 and at < len(out):
            out[at] ^= byte or 0xFF
        elif kind == 1:
            del out[at:]
        elif kind == 2:
            out += bytes((byte + i) & 0xFF for i in range(count))
        elif kind == 3:
            out[at:at] = bytes([byte]) * count
        elif kind == 4:
            del out[at:at + count]
        elif kind == 5:
            out[at:at] = out[at:at + 2 * count]
    return bytes(out)


def mutated(base: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """`base`'s bytes with one or two edits (see `edited`); build it once (module level):
    hypothesis is slow to draw from strategies made afresh."""
    return st.builds(edited, base, edits)


ODD_CHARS = "²٣\x00\x7f\t\r\n|$\"\\\u2028\u200b\ufeff\ud800\U0001f600채é "


def with_odd_characters(pool: list[str], odd: str = ODD_CHARS) -> list[str]:
    """The pool, then each value with one of its first three characters made odd."""
    return pool + [v[:at] + c + v[at + 1:] for v in pool if v for at in range(min(3, len(v)))
                   for c in odd]


def spiked(pool: list[str], odd: str = ODD_CHARS, places: int = 8) -> st.SearchStrategy[str]:
    """Values from `pool`, or one of them with a character (at one of its first `places`)
    replaced by one of `odd`: one draw each (hypothesis's cost is per draw, a text's too)."""
    spikes = len(pool) * len(odd) * places
    return st.integers(0, len(pool) + spikes - 1).map(
        lambda n: pool[n] if n < len(pool) else _spike(pool, odd, n - len(pool)))


def _spike(pool: list[str], odd: str, n: int) -> str:
    n, value = divmod(n, len(pool))
    at, char = divmod(n, len(odd))
    at %= max(1, len(pool[value]))
    return pool[value][:at] + odd[char] + pool[value][at + 1:]


def chunks(data: bytes, size: int) -> list[bytes]:
    """`data` in pieces of `size` bytes: bytes as they arrive from a serial line."""
    return [data[at:at + size] for at in range(0, len(data), size)]


# Text as outside input writes it: ASCII, Hangul, digits of other scripts ('²', '٣'),
# controls, separators, a lone surrogate now and then (mostly pooled: see `spiked`).
ODD_WORDS = ["", "P0001", "EM0001", "kiosk-1", "채식주의자", "한강", "²", "٣٣", "-1", "1.5", "0",
             "\x00", "\x7f", "\t", "\r\n", "|", "$", "\"", "\\", "\u2028", "\u200b", "\ufeff",
             "\ud800", "\U0001f600", "x" * 70, "Y", "N", " ", "null", "true", "1e999"]
texts = st.one_of(spiked(ODD_WORDS), st.text(max_size=6))


# Any JSON document as decoded (Python's json takes NaN and Infinity too).
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12)


picks = st.integers(0, 2**96)  # a number that picks a whole value from pools (`pick`)


def pick(pool: Sequence[Any], n: int) -> tuple[Any, int]:
    """The value `n` picks from `pool`, and the rest of `n` for the next pick (a mixed-radix
    number: one hypothesis draw builds a whole value, small numbers the plainest)."""
    return pool[n % len(pool)], n // len(pool)


ABSENT = object()  # a key a template leaves out


@dataclass(frozen=True)
class Many:
    """A list of 0..most values of a template."""

    template: Any
    most: int


@dataclass(frozen=True)
class Just:
    """A value taken as it is (a list that is no pool)."""

    value: Any


def fill(template: Any, n: int) -> tuple[Any, int]:
    """The JSON value a template and a number make: a list is a pool to pick from, a dict an
    object (ABSENT keys left out), Many a list; anything else is itself."""
    if isinstance(template, list):
        chosen, n = pick(template, n)
        return fill(chosen, n)
    if isinstance(template, dict):
        value = {}
        for key, inner in template.items():
            value[key], n = fill(inner, n)
        return {k: v for k, v in value.items() if v is not ABSENT}, n
    if isinstance(template, Many):
        count, n = pick(range(template.most + 1), n)
        items = []
        for _ in range(count):
            item, n = fill(template.template, n)
            items.append(item)
        return items, n
    return (template.value if isinstance(template, Just) else template), n


ODD_JSON = [None, True, False, 0, -1, 1, 2**63, -2**70, 0.5, 1e308, float("nan"), float("inf"),
            "", "0", "true", "null", "²", "\ud800", "\x00", "x" * 5000, [], {}, [None], [[[]]],
            {"": None}, {"a": {"b": [1, "2"]}}, [1, "a", None, {}], {"\ud800": 1}]
odd_json = st.one_of(st.sampled_from(ODD_JSON).map(copy.deepcopy), json_values)


def edited_json(value: Any, changes: list[int]) -> Any:
    """A JSON value with objects or lists in it changed: a key dropped, a value replaced by an
    odd one, a key added, an item replaced or added."""
    value = copy.deepcopy(value)
    for change in changes:
        containers = list(_containers(value))
        if not containers:
            return copy.deepcopy(ODD_JSON[change % len(ODD_JSON)])
        target, change = pick(containers, change)
        kind, change = pick(("drop", "replace", "add"), change)
        odd, change = pick(ODD_JSON, change)
        odd = copy.deepcopy(odd)  # the pool's own lists must stay as they are
        if isinstance(target, dict):
            keys = sorted(target) or ["x"]
            key, change = pick(keys, change)
            if kind == "drop":
                target.pop(key, None)
            else:
                target[key if kind == "replace" else ODD_WORDS[change % len(ODD_WORDS)]] = odd
        elif target and kind != "add":
            target[change % len(target)] = odd
        else:
            target.append(odd)
    return value


def _containers(value: Any) -> Iterator[Any]:
    """Every object and list in a JSON value, the value itself first."""
    if isinstance(value, dict | list):
        yield value
        for inner in value.values() if isinstance(value, dict) else value:
            yield from _containers(inner)
