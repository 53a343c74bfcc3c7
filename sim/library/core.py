"""The library system's state: database, clock, machines, transactions, idempotency."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from sim.library.clock import LibraryClock
from sim.library.db import from_db, to_db
from sim.library.rules import Refused

Result = dict[str, Any]


class Library:
    """One library federation's system: the database and the clock it decides by."""

    def __init__(self, conn: sqlite3.Connection, clock: LibraryClock, home_isil: str) -> None:
        self.conn = conn
        self.clock = clock
        self.home_isil = home_isil
        self._depth = 0
        self._unrecorded: set[str] = set()  # ids a batch found no transaction of (once, below)
        self._batch_machines: dict[str, str] | None = None  # machine -> ISIL, during a batch
        self._batch_stamp: str | None = None  # when the batch's transactions are recorded

    @property
    def tz(self):
        """The library's timezone."""
        return self.clock.tz

    def now(self) -> datetime:
        """The library's current time."""
        return self.clock.now()

    def iso(self, when: datetime | str | None) -> str | None:
        """A time as ISO 8601 with the library's UTC offset (None stays None)."""
        if when is None:
            return None
        if isinstance(when, str):
            when = from_db(when)
        return when.astimezone(self.tz).isoformat(timespec="seconds")

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        """All rows of a query."""
        return self.conn.execute(sql, args).fetchall()

    def run(self, sql: str, *args: Any) -> sqlite3.Cursor:
        """Execute one statement."""
        return self.conn.execute(sql, args)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction (a savepoint when nested) rolled back on any exception."""
        name = f"sp{self._depth}"
        self.conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            raise
        finally:
            self._depth -= 1
            self.conn.execute(f"RELEASE {name}")

    def restore_clock(self) -> None:
        """Set the clock's offset to the one saved (the library's time does not jump back)."""
        row = self.one("SELECT value FROM settings WHERE name = 'clock_offset_seconds'")
        if row is not None:
            self.clock.offset = timedelta(seconds=float(row["value"]))

    def save_clock(self) -> None:
        """Keep the clock's offset for the next start."""
        self.run("INSERT INTO settings VALUES ('clock_offset_seconds', ?) ON CONFLICT (name) "
                 "DO UPDATE SET value = excluded.value", str(self.clock.offset.total_seconds()))

    def machine_library(self, machine_id: str) -> str:
        """ISIL of the library a machine belongs to; Refused for an unknown machine."""
        known = self._batch_machines
        if known is not None and machine_id in known:
            return known[machine_id]
        row = self.one("SELECT isil FROM machines WHERE machine_id = ?", machine_id)
        if row is None:
            raise Refused("unknown_machine", machine_id)
        if known is not None:
            known[machine_id] = row["isil"]
        return row["isil"]

    def library_name(self, isil: str) -> str:
        """The display name of a library."""
        row = self.one("SELECT name FROM libraries WHERE isil = ?", isil)
        return row["name"] if row else isil

    def once(self, transaction_id: str | None, key: tuple[str, str | None, str | None],
             machine_id: str, action: Callable[[], Result]) -> Result:
        """Run `action` once per transaction id; a replay returns the first answer again.

        `key` is (kind, item_id, member_number). Refusals are remembered as well, so
        that a replay always gets the same verdict (flagged as duplicate).
        """
        if transaction_id is None:
            return {**action(), "duplicate": False}
        # Inside a transaction already (a batch of events), that one keeps the replay check,
        # the action and its record together; its own savepoint would only cost statements.
        with self.atomic() if not self._depth else nullcontext():
            stored = None if self._first_time(transaction_id) else self.one(
                "SELECT * FROM transactions WHERE transaction_id = ?", transaction_id)
            if stored is not None:
                return self._replay(stored, key)
            try:
                with self.atomic():
                    result = action()
            except Refused as refusal:
                self._remember(transaction_id, key, machine_id, "refused", refusal.reason, {})
                refused = refusal
            else:
                status = "conflict" if result.get("conflict") else "applied"
                self._remember(transaction_id, key, machine_id, status, result.get("conflict"),
                               result)
                return {**result, "duplicate": False}
        raise refused

    @contextmanager
    def batch(self, transaction_ids: list[str]) -> Iterator[None]:
        """A transaction for a batch of events whose ids are looked up in one query, not one
        each: `once` skips its lookup for an id found unrecorded here, the first time only."""
        with self.atomic():
            rows = self.conn.execute(
                "SELECT value FROM json_each(?) WHERE value NOT IN "
                "(SELECT transaction_id FROM transactions)", (json.dumps(transaction_ids),))
            self._unrecorded = {row[0] for row in rows}
            # One transaction: one time of record, and machines do not move during it.
            self._batch_machines, self._batch_stamp = {}, to_db(self.now())
            try:
                yield
            finally:
                self._unrecorded, self._batch_machines, self._batch_stamp = set(), None, None

    def _first_time(self, transaction_id: str) -> bool:
        """Whether the batch found this id unrecorded and it is not seen again since."""
        if transaction_id not in self._unrecorded:
            return False
        self._unrecorded.discard(transaction_id)  # a second time in one batch is a replay
        return True

    def _replay(self, stored: sqlite3.Row, key: tuple[str, str | None, str | None]) -> Result:
        if (stored["kind"], stored["item_id"]) != key[:2]:
            raise Refused("transaction_reused", stored["transaction_id"])
        if stored["status"] == "refused":
            raise Refused(stored["reason"], "replayed transaction", duplicate=True)
        return {**json.loads(stored["result"]), "duplicate": True}

    def _remember(self, transaction_id: str, key: tuple[str, str | None, str | None],
                  machine_id: str, status: str, reason: str | None, result: Result) -> None:
        self.run(
            "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            transaction_id, *key, machine_id, status, reason, json.dumps(result),
            self._batch_stamp or to_db(self.now()),
        )
