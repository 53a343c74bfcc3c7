"""Checks on request bodies: a malformed request is a BadRequest (HTTP 400), never a crash."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

MAX_TEXT = 64


class BadRequest(Exception):
    """The request body or a parameter does not follow the API."""


def json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object."""
    try:
        value = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body is not JSON") from None
    if not isinstance(value, dict):
        raise BadRequest("body must be a JSON object")
    return value


def only(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse fields other than `allowed`."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")


def text(body: dict[str, Any], name: str, *, required: bool = True,
         max_len: int = MAX_TEXT) -> str | None:
    """A non-empty string field of at most `max_len` characters."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise BadRequest(f"{name} must be a string of 1..{max_len} characters")
    return value


def uuid_text(body: dict[str, Any], name: str) -> str:
    """A UUID field, in canonical form."""
    value = body.get(name)
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        raise BadRequest(f"{name} must be a UUID") from None


def moment(body: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    """An ISO 8601 date-time field with a UTC offset."""
    value = body.get(name)
    if value is None and not required:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be an ISO 8601 date-time with offset") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"{name} must carry a UTC offset")
    return parsed


def day(body: dict[str, Any], name: str) -> date | None:
    """An optional ISO 8601 date field."""
    value = body.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be an ISO 8601 date") from None


def flag(body: dict[str, Any], name: str) -> bool:
    """An optional boolean field (false when absent)."""
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be a boolean")
    return value


def number(body: dict[str, Any], name: str, *, default: float, low: float,
           high: float) -> float:
    """An optional number field within low..high."""
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise BadRequest(f"{name} must be a number in {low}..{high}")
    return value


def path_text(value: str, name: str) -> str:
    """A path parameter: non-empty, printable, at most MAX_TEXT characters."""
    if not 0 < len(value) <= MAX_TEXT or not value.isprintable():
        raise BadRequest(f"{name} must be 1..{MAX_TEXT} printable characters")
    return value
