"""Dispatch: each event kind's reducer, and applying its changes to the derived tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlite_utils.db import NotFoundError

from kiosk.journal import reduce_moves as moves
from kiosk.journal import reduce_stock as stock
from kiosk.journal.events import EventKind, Payload
from kiosk.journal.rules import Change, Context, Drop, Patch, Put

Reducer = Callable[[Any, Context], list[Change]]

REDUCERS: dict[EventKind, Reducer] = {
    EventKind.ITEM_STOCKED: stock.item_stocked,
    EventKind.ITEM_UNSTOCKED: stock.item_unstocked,
    EventKind.ITEM_LOCATED: stock.item_located,
    EventKind.ITEM_LOADED: stock.item_loaded,
    EventKind.VEND_STARTED: moves.vend_started,
    EventKind.VEND_FETCHED: moves.vend_fetched,
    EventKind.VEND_PRESENTED: moves.vend_presented,
    EventKind.VEND_TAKEN: moves.vend_taken,
    EventKind.VEND_FAILED: moves.vend_failed,
    EventKind.RETRACT_STARTED: moves.retract_started,
    EventKind.VEND_RETRACTED: moves.vend_retracted,
    EventKind.RETRACT_FAILED: moves.retract_failed,
    EventKind.RETURN_STARTED: moves.return_started,
    EventKind.RETURN_IDENTIFIED: moves.return_identified,
    EventKind.RETURN_REJECTED: moves.return_rejected,
    EventKind.STORE_STARTED: moves.store_started,
    EventKind.RETURN_SHELVED: moves.return_shelved,
    EventKind.RETURN_DIVERTED: moves.return_diverted,
    EventKind.STORE_FAILED: moves.store_failed,
    EventKind.TRANSFER_STARTED: moves.transfer_started,
    EventKind.TRANSFERRED: moves.transferred,
    EventKind.TRANSFER_FAILED: moves.transfer_failed,
    EventKind.AUDIT_FLAGGED: stock.audit_flagged,
    EventKind.AUDIT_CLEARED: stock.audit_cleared,
    EventKind.CONFLICT_RESOLVED: stock.conflict_resolved,
    EventKind.FAULT_RECORDED: lambda payload, ctx: [],  # the record is the event itself
    EventKind.RENEWED: stock.renewed,
    EventKind.HOLD_PLACED: stock.hold_placed,
    EventKind.HOLD_CANCELLED: stock.hold_cancelled,
    EventKind.HOLD_REPORTED: stock.hold_reported,
    EventKind.HOLD_RELEASED: stock.hold_released,
    EventKind.PATRON_VERIFIED: stock.patron_verified,
    EventKind.WITHDRAW_STARTED: moves.withdraw_started,
    EventKind.WITHDRAW_FETCHED: moves.withdraw_fetched,
    EventKind.WITHDRAW_PRESENTED: moves.withdraw_presented,
    EventKind.WITHDRAW_FAILED: moves.withdraw_failed,
}

PRIMARY_KEYS = {
    "items": "item_id",
    "slots": "slot",
    "intents": "intent_id",
    "loans": "loan_id",
    "audit_flags": "flag_id",
    "holds": "hold_id",
    "patrons": "patron_id",
    "conflict_resolutions": "event_id",
}


def reduce(payload: Payload, ctx: Context) -> list[Change]:
    """The changes an event makes to the derived tables; JournalRefused if it invents state."""
    return REDUCERS[payload.kind](payload, ctx)


def apply_changes(conn: sqlite3.Connection, changes: Iterable[Change]) -> None:
    """Write the changes, in order, inside the caller's transaction (plain SQL, one statement
    text per shape so sqlite3 reuses the prepared statement: sqlite-utils' upsert reads the
    table's columns on every call, which made stocking a drum take a second)."""
    for change in changes:
        pk = PRIMARY_KEYS[change.table]
        if isinstance(change, Put):
            row = change.row
            conn.execute(_upsert_sql(change.table, pk, tuple(row)),
                         [v if type(v) in _PLAIN else _sql_value(v) for v in row.values()])
        elif isinstance(change, Patch):
            sql = _update_sql(change.table, pk, tuple(change.values))
            params = [v if type(v) in _PLAIN else _sql_value(v) for v in change.values.values()]
            params.append(change.key)
            _checked(conn.execute(sql, params), change.table, change.key)
        elif isinstance(change, Drop):
            _checked(conn.execute(f"DELETE FROM {change.table} WHERE {pk} = ?", [change.key]),
                     change.table, change.key)


@cache
def _upsert_sql(table: str, pk: str, columns: tuple[str, ...]) -> str:
    """Insert the row, or update the columns it names in the row with its key."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != pk)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join('?' for _ in columns)}) ON CONFLICT({pk}) {conflict}")


@cache
def _update_sql(table: str, pk: str, columns: tuple[str, ...]) -> str:
    """Update some columns of the row with this key (which must exist)."""
    return f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE {pk} = ?"


def _checked(cursor: Any, table: str, key: Any) -> None:
    if cursor.rowcount == 0:
        raise NotFoundError(f"no row {key!r} in {table}")


_PLAIN = frozenset({str, int, float, bool, type(None)})  # stored as they are


def _sql_value(value: Any) -> Any:
    """A value as sqlite-utils stores it: dates as ISO text, lists and dicts as JSON."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return value
