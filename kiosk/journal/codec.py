"""Plain-data codec for the journal's dataclasses: JSON payloads and table rows."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Annotated, Any

from kiosk.journal.errors import PayloadError


@dataclass(frozen=True)
class Bounds:
    """Inclusive range of an int field (Annotated metadata)."""

    low: int
    high: int | None = None


NonNegative = Annotated[int, Bounds(0)]
PlcSeq = Annotated[int, Bounds(1, 65535)]


@dataclass(frozen=True)
class FieldSpec:
    """What one dataclass field accepts."""

    base: type
    optional: bool
    bounds: Bounds | None
    # A value of exactly this type needs no other check (no range, not str or datetime).
    exact_is_enough: bool = False


@cache
def field_specs(cls: type) -> dict[str, FieldSpec]:
    """The spec of every field of dataclass `cls`, from its type hints."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: _spec(hints[f.name]) for f in dataclasses.fields(cls)}


def _spec(hint: Any) -> FieldSpec:
    args = typing.get_args(hint)
    optional = type(None) in args and typing.get_origin(hint) is not Annotated
    if optional:
        (hint,) = [a for a in args if a is not type(None)]
    bounds = None
    if typing.get_origin(hint) is Annotated:
        bounds = next((m for m in hint.__metadata__ if isinstance(m, Bounds)), None)
        hint = typing.get_args(hint)[0]
    return FieldSpec(hint, optional, bounds,
                     exact_is_enough=bounds is None and hint is not str and hint is not datetime)


def check_fields(obj: Any) -> None:
    """Raise PayloadError unless every field of `obj` has its declared type and range."""
    for name, spec in field_specs(type(obj)).items():
        value = getattr(obj, name)
        exact = type(value) is spec.base  # most values: decided without _problem's checks
        if exact and (spec.exact_is_enough or spec.base is str and spec.bounds is None
                      and value.strip()):
            continue
        problem = _problem(spec, value)
        if problem:
            raise PayloadError(f"{type(obj).__name__}.{name} {problem}")


def _problem(spec: FieldSpec, value: Any) -> str | None:
    if value is None:
        return None if spec.optional else "is required"
    if not _is_instance(value, spec.base):
        return f"must be {spec.base.__name__}, not {type(value).__name__} {value!r}"
    if spec.base is str and not value.strip():
        return "must not be empty"
    low, high = (spec.bounds.low, spec.bounds.high) if spec.bounds else (None, None)
    if low is not None and value < low or high is not None and value > high:
        return f"= {value!r} is out of range {low}..{high if high is not None else ''}"
    return None


def _is_instance(value: Any, base: type) -> bool:
    if base is int and isinstance(value, bool):
        return False
    if base is date and isinstance(value, datetime):
        return False
    if base is datetime and isinstance(value, datetime):
        return value.tzinfo is not None
    return isinstance(value, base)


def encode(obj: Any) -> dict[str, Any]:
    """Dataclass -> plain dict of JSON/SQLite-friendly values."""
    values = {name: getattr(obj, name) for name in _field_names(type(obj))}
    return {name: v if type(v) in _PLAIN else _encode_value(v) for name, v in values.items()}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_PLAIN = frozenset({str, int, float, bool, type(None)})  # encoded as they are


def _encode_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def decode(cls: type, data: Mapping[str, Any], *, strict: bool = True) -> Any:
    """Plain dict -> dataclass `cls`; strict refuses missing or unknown keys."""
    specs, required, plain = _decode_plan(cls)
    if strict and not (data.keys() <= specs.keys() and required <= data.keys()):
        unknown = sorted(set(data) - set(specs))
        missing = sorted(n for n in specs if n not in data and n in required)
        raise PayloadError(f"{cls.__name__}: unknown keys {unknown}, missing keys {missing}")
    values = {
        n: data[n] if n in plain else _decode_value(f"{cls.__name__}.{n}", spec, data[n], strict)
        for n, spec in specs.items()
        if n in data
    }
    try:
        return cls(**values)
    except TypeError as exc:
        raise PayloadError(f"{cls.__name__}: {exc}") from None


@cache
def _decode_plan(cls: type) -> tuple[dict[str, FieldSpec], frozenset[str], frozenset[str]]:
    """(field specs, required fields, fields whose values decode as they are): worked out once
    per class, not once per payload read (the sync worker reads thousands a second)."""
    specs = field_specs(cls)
    required = frozenset(n for n in specs if _required(cls, n))
    plain = frozenset(n for n, spec in specs.items()
                      if spec.base in _PLAIN and spec.base is not bool)
    return specs, required, plain


def _required(cls: type, name: str) -> bool:
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _decode_value(name: str, spec: FieldSpec, value: Any, strict: bool) -> Any:
    if value is None:
        return None
    try:
        if issubclass(spec.base, Enum):
            return spec.base(value)
        if spec.base is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if spec.base is date and isinstance(value, str):
            return date.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"{name}: {value!r} is not a valid {spec.base.__name__}") from None
    if spec.base is bool and not strict and isinstance(value, int):
        return bool(value)
    return value


@cache
def row_decoder(cls: type, columns: tuple[str, ...]) -> Callable[[Sequence[Any]], Any]:
    """A reader of table rows (values in `columns` order) as `cls`: what decode(strict=False)
    makes of the row as a dict, with the field lookups done once per query shape."""
    specs = field_specs(cls)
    picks = [(i, name, _converter(f"{cls.__name__}.{name}", specs[name]))
             for i, name in enumerate(columns) if name in specs]
    whole = {name for _, name, _ in picks} == set(specs) and _plain_record(cls)

    def read(row: Sequence[Any]) -> Any:
        values = {}
        for i, name, convert in picks:
            value = row[i]
            values[name] = value if value is None or convert is None else convert(value)
        if whole:  # what the frozen __init__ does, without one object.__setattr__ per field
            record = object.__new__(cls)
            record.__dict__.update(values)
            return record
        try:
            return cls(**values)
        except TypeError as exc:
            raise PayloadError(f"{cls.__name__}: {exc}") from None

    return read


def _plain_record(cls: type) -> bool:
    """A dataclass whose __init__ only stores its fields (no __post_init__, no slots)."""
    return (dataclasses.is_dataclass(cls) and not hasattr(cls, "__post_init__")
            and not hasattr(cls, "__slots__"))


def _converter(name: str, spec: FieldSpec) -> Callable[[Any], Any] | None:
    """What _decode_value(strict=False) does to a non-null column of this field (None: keep)."""
    base = spec.base
    if issubclass(base, Enum):
        members = {member.value: member for member in base}

        def member(value: Any) -> Any:
            try:
                return members[value]
            except (KeyError, TypeError):
                return _decode_value(name, spec, value, False)  # its error, or a valid alias
        return member
    if issubclass(base, date):  # datetime too

        def moment(value: Any) -> Any:
            try:
                return base.fromisoformat(value) if isinstance(value, str) else value
            except ValueError:
                return _decode_value(name, spec, value, False)  # raises its PayloadError
        return moment
    if base is bool:
        return lambda value: bool(value) if isinstance(value, int) else value
    return None
