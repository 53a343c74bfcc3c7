"""Typed, validated driver config built from plain mappings (TOML sections)."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from drivers.errors import DriverConfigError

T = TypeVar("T")


def build_config(cls: type[T], values: Mapping[str, Any], section: str) -> T:
    """Build dataclass `cls` from `values`; unknown keys and wrong types are errors."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise DriverConfigError(f"[{section}] unknown key(s): {', '.join(unknown)}")
    hints = type_hints(cls)
    values = dict(values)
    for name, value in values.items():
        if dataclasses.is_dataclass(hints[name]) and isinstance(value, Mapping):
            values[name] = build_config(hints[name], value, f"{section}.{name}")  # a [a.b] table
            continue
        _check_type(section, name, value, hints[name])
    try:
        return cls(**values)
    except (TypeError, DriverConfigError) as exc:
        raise DriverConfigError(f"[{section}] {exc}") from None


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """`typing.get_type_hints(cls)`, once per class (it compiles every annotation anew: most of
    the time a config took to load)."""
    return typing.get_type_hints(cls)


def require_range(name: str, value: float, low: float, high: float) -> None:
    """Raise DriverConfigError unless low <= value <= high (call it in __post_init__)."""
    if isinstance(value, bool) or not isinstance(value, int | float):  # inside a table's values
        raise DriverConfigError(f"{name} = {value!r} is not a number")
    if not low <= value <= high:
        raise DriverConfigError(f"{name} = {value!r} is out of range {low}..{high}")


def _check_type(section: str, name: str, value: Any, hint: Any) -> None:
    allowed = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    allowed = tuple(typing.get_origin(a) or a for a in allowed)
    if float in allowed and isinstance(value, int) and not isinstance(value, bool):
        return
    if bool not in allowed and isinstance(value, bool):
        raise DriverConfigError(f"[{section}] {name} must be {_names(allowed)}, not a boolean")
    if not isinstance(value, allowed):
        raise DriverConfigError(
            f"[{section}] {name} must be {_names(allowed)}, not {_names((type(value),))}"
        )


def _names(types: tuple[type, ...]) -> str:
    return " or ".join("none" if t is type(None) else t.__name__ for t in types)


_UnionType = type(int | None)
