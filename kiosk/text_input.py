"""What a valid text input is (item id, member, PIN, query, ...): checked at the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class InvalidText(ValueError):
    """A text input that the kiosk refuses before it reaches the journal or the library."""


@dataclass(frozen=True)
class TextRule:
    """A kind of text input: its name, its length limits and whether it may be empty."""

    name: str
    max_length: int
    min_length: int = 1

    def check(self, value: object) -> str:
        """The value, if it is printable text within the limits; else InvalidText."""
        if not isinstance(value, str):
            raise InvalidText(f"{self.name} must be a string")
        if not self.min_length <= len(value) <= self.max_length:
            raise InvalidText(
                f"{self.name} must be {self.min_length}..{self.max_length} characters")
        check_printable(value, self.name)
        return value


# Item ids are the library's barcodes; members are card numbers or QR codes; PINs are digits,
# but the patron's typing errors are the PIN check's to refuse (409 bad_pin_format), not ours.
ITEM_ID = TextRule("item_id", 64)
MEMBER = TextRule("member", 64)
PIN = TextRule("pin", 16)
QUERY = TextRule("q", 100, min_length=0)
TITLE = TextRule("title", 500)
TECHNICIAN = TextRule("by", 64)
REQUEST_NAME = TextRule("request", 32)
MAX_TEXT = 1000  # any other text field in a technician's request


def check_printable(value: str, name: str) -> None:
    """InvalidText unless every character is printable (no control characters, no surrogates)."""
    for char in value:
        if not char.isprintable() or "\ud800" <= char <= "\udfff":
            raise InvalidText(f"{name} contains a character that is not printable text "
                              f"(U+{ord(char):04X})")


def check_tree(value: Any, name: str = "args", depth: int = 0) -> None:
    """Every string (keys too) in decoded JSON is printable text of at most MAX_TEXT characters."""
    if depth > 8:
        raise InvalidText(f"{name} is nested too deeply")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InvalidText(f"{name} is longer than {MAX_TEXT} characters")
        check_printable(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_tree(key, name, depth + 1)
            check_tree(item, f"{name}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_tree(item, f"{name}[{index}]", depth + 1)
