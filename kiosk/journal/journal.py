"""The journal: one SQLite file, append-only events and the tables derived from them."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid as uuidlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path

from sqlite_utils import Database

from kiosk.journal.anonymise import Pseudonym, anonymise
from kiosk.journal.codec import encode
from kiosk.journal.enums import Refusal, TechnicianOutcome
from kiosk.journal.errors import JournalRefused, PayloadError
from kiosk.journal.events import PAYLOADS, Payload
from kiosk.journal.reads import JournalReader
from kiosk.journal.records import Event, TechnicianCommand
from kiosk.journal.reducers import apply_changes, reduce
from kiosk.journal.rules import Context
from kiosk.journal.schema import migrate, schema_version
from kiosk.private_files import private_file, restrict

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(timezone.utc)


class Journal(JournalReader):
    """The only writer of loan state; owned by the controller's event loop (one thread)."""

    def __init__(self, db: Database, slot_count: int, clock: Clock = utc_now) -> None:
        super().__init__(db, slot_count)
        self._clock = clock
        self.path: Path | None = None  # the file, once opened from one
        self.on_append: list[Callable[[Event], None]] = []  # told of each event once stored

    @classmethod
    def open(
        cls, path: str | PathLike[str], *, slot_count: int, clock: Clock = utc_now
    ) -> Journal:
        """Open (or create) the journal file: WAL, synchronous=FULL, migrated to the latest."""
        if slot_count < 1:
            raise ValueError(f"slot_count must be positive, not {slot_count}")
        on_disk = str(path) not in ("", ":memory:")
        if on_disk:  # 0600 before SQLite opens it: its -wal and -shm files take the same mode
            private_file(path)
        db = Database(sqlite3.connect(str(path)))
        try:
            db.enable_wal()
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA secure_delete=ON")  # a pseudonymised patron id leaves no trace
            migrate(db)
        except BaseException:
            db.close()
            raise
        for suffix in ("-wal", "-shm") if on_disk else ():
            restrict(f"{path}{suffix}")  # files an older version left readable
        journal = cls(db, slot_count, clock)
        journal.path = Path(path) if on_disk else None
        return journal

    def close(self) -> None:
        """Close the file."""
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The number of migrations applied."""
        return schema_version(self.db)

    def append(self, payload: Payload) -> Event:
        """Store one event and its effects durably, or raise and store nothing."""
        return self.append_many([payload])[0]

    def append_many(self, payloads: Sequence[Payload]) -> list[Event]:
        """Store several events in one transaction: all of them or none."""
        for payload in payloads:
            _check_payload(payload)
        with self.db.atomic():
            events = [self._append_one(payload) for payload in payloads]
        self._told(events)
        return events

    def append_acknowledged(self, payload: Payload, event_id: str) -> Event:
        """Store an outbox event the library already recorded (online, under `event_id` as its
        transaction id): it is delivered, never sent again. Refused while an earlier event of
        its item is still owed to the library."""
        _check_payload(payload)
        with self.db.atomic():
            event = self._append_one(payload, event_id)
            row = self._outbox_row(event_id)
            self._require_in_order(row)
            now = self._now().isoformat()
            self.db["outbox"].update(event_id, {"delivered_at": now, "first_sent_at": now})
        self._told([event])
        return event

    def _told(self, events: Sequence[Event]) -> None:
        """Tell the observers (metrics) of stored events; an observer's error is only logged."""
        for observer in self.on_append:
            for event in events:
                try:
                    observer(event)
                except Exception:
                    log.exception("journal observer failed on %s", event.kind.value)

    def owes_library(self, item_id: str) -> bool:
        """Whether an event of this item still waits to be delivered."""
        return self.db.execute("SELECT 1 FROM outbox WHERE item_id = ? AND delivered_at IS NULL"
                               " LIMIT 1", (item_id,)).fetchone() is not None

    def restore(self, events: Iterable[Event]) -> None:
        """Append stored events again, same uuid and time (rebuilds derived tables; all or none)."""
        with self.db.atomic():
            for event in events:
                _check_payload(event.payload)
                self._append_one(event.payload, event.uuid, event.at)

    def _append_one(
        self, payload: Payload, event_id: str | None = None, at: datetime | None = None
    ) -> Event:
        event_id, at = event_id or str(uuidlib.uuid4()), at or self._now()
        changes = reduce(payload, Context(self, event_id, at))
        conn = self.db.conn  # plain sqlite3 inside the caller's transaction (prepared, cached)
        seq = conn.execute(_INSERT_EVENT, (event_id, payload.kind.value,
                                           _JSON.encode(encode(payload)), at.isoformat())).lastrowid
        apply_changes(conn, changes)
        if payload.outbox:
            conn.execute(_INSERT_OUTBOX,
                         (event_id, seq, getattr(payload, "item_id"), payload.kind.value))
        return Event(seq, event_id, payload.kind, at, payload)

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the journal's clock must return an aware datetime")
        return now.astimezone(timezone.utc)

    def note_library_policy(self, key: str, value: str) -> None:
        """Keep what the library last said it allows (e.g. offline_lending = yes/no)."""
        with self.db.atomic():
            self.db.execute(
                """INSERT INTO library_policy (key, value, noted_at) VALUES (?, ?, ?)
                   ON CONFLICT(key) DO UPDATE SET value = excluded.value,
                   noted_at = excluded.noted_at""", (key, value, self._now().isoformat()))

    def log_technician_command(self, command: TechnicianCommand,
                               outcome: TechnicianOutcome | None = None,
                               detail: str | None = None) -> int:
        """Write a changing command to the technician log (outcome None: it runs now); its id."""
        now = self._now().isoformat()
        with self.db.atomic():
            cursor = self.db.execute(
                """INSERT INTO technician_log (at, uid, user, request, args, outcome, detail,
                   ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (now, command.uid, command.user, command.request,
                 json.dumps(command.args, sort_keys=True, ensure_ascii=False, default=str),
                 outcome.value if outcome else None, detail, now if outcome else None))
        return cursor.lastrowid

    def settle_technician_command(self, entry_id: int, outcome: TechnicianOutcome,
                                  detail: str | None = None) -> None:
        """Write how a logged command ended (once; the table refuses a second time)."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE technician_log SET outcome = ?, detail = ?, ended_at = ? "
                "WHERE entry_id = ?", (outcome.value, detail, self._now().isoformat(), entry_id))
            if cursor.rowcount != 1:
                raise ValueError(f"technician log entry {entry_id} does not exist")

    def mark_sending(self, uuids: Iterable[str]) -> set[str]:
        """Note that these events go to the library now; return those that went before."""
        ids = _id_list(uuids)
        with self.db.atomic():
            sent = dict(self.db.execute(
                "SELECT uuid, first_sent_at FROM outbox WHERE uuid IN (SELECT value FROM "
                "json_each(?))", (ids,)).fetchall())
            _require_known(ids, sent)
            self.db.execute(
                "UPDATE outbox SET first_sent_at = ? WHERE uuid IN (SELECT value FROM "
                "json_each(?)) AND first_sent_at IS NULL", (self._now().isoformat(), ids))
        return {event_id for event_id, first_sent in sent.items() if first_sent is not None}

    def mark_delivered(self, uuids: Iterable[str], conflict: str | None = None,
                       refused: bool = False) -> int:
        """Record the library's answer: conflict is its objection's code; refused: not recorded.

        One UPDATE for the whole batch, after one check that every event is in the outbox and
        that no earlier event of its item outside the batch is still pending (per-item order).
        """
        ids = _id_list(uuids)
        with self.db.atomic():
            self._require_deliverable(ids)
            cursor = self.db.execute(
                """UPDATE outbox SET delivered_at = ?, conflict = ?, refused = ?
                   WHERE uuid IN (SELECT value FROM json_each(?)) AND delivered_at IS NULL""",
                (self._now().isoformat(), conflict, int(refused), ids))
        return cursor.rowcount

    def _require_deliverable(self, ids: str) -> None:
        """JournalRefused for an id not in the outbox, or one pending behind an earlier event."""
        for event_id, item_id, blocker in self.db.execute(_UNDELIVERABLE, (ids, ids)).fetchall():
            if item_id is None:
                raise JournalRefused(Refusal.UNKNOWN_EVENT, f"{event_id!r} is not in the outbox")
            raise JournalRefused(
                Refusal.OUT_OF_ORDER, f"{blocker!r} of {item_id!r} is not delivered yet")

    def anonymise(self, pseudonym: Pseudonym, verified_before: datetime | None = None,
                  pairs_limit: int = -1) -> int:
        """Member numbers of closed, delivered circulation become `pseudonym(member)`, for at
        most `pairs_limit` (patron, item) pairs (-1: all); rows changed (0: none was left).

        With secure_delete on and the WAL checkpointed and truncated after a change, the old
        member numbers are gone from the files too, not only from the tables.
        """
        changed = anonymise(self.db, pseudonym, verified_before, pairs_limit)
        if changed:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return changed

    def mark_failed(self, uuids: Iterable[str], error: str) -> None:
        """A delivery attempt failed; count it and keep the error code for status."""
        ids = _id_list(uuids)
        with self.db.atomic():
            known = dict(self.db.execute(
                "SELECT uuid, 1 FROM outbox WHERE uuid IN (SELECT value FROM json_each(?))",
                (ids,)).fetchall())
            _require_known(ids, known)
            self.db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE uuid IN "
                "(SELECT value FROM json_each(?))", (error, ids))

    def _outbox_row(self, event_id: str) -> dict:
        rows = list(self.db.query("SELECT * FROM outbox WHERE uuid = ?", (event_id,)))
        if not rows:
            raise JournalRefused(Refusal.UNKNOWN_EVENT, f"{event_id!r} is not in the outbox")
        return rows[0]

    def _require_in_order(self, row: dict) -> None:
        earlier = self.db.execute(
            """SELECT uuid FROM outbox WHERE item_id = ? AND seq < ?
               AND delivered_at IS NULL LIMIT 1""",
            (row["item_id"], row["seq"]),
        ).fetchone()
        if earlier is not None:
            raise JournalRefused(
                Refusal.OUT_OF_ORDER, f"{earlier[0]!r} of {row['item_id']!r} is not delivered yet"
            )


_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # json.dumps builds one per call
_INSERT_EVENT = "INSERT INTO events (uuid, kind, payload, at) VALUES (?, ?, ?, ?)"
_INSERT_OUTBOX = "INSERT INTO outbox (uuid, seq, item_id, kind) VALUES (?, ?, ?, ?)"

# Ids of a batch that cannot be marked delivered: unknown (no outbox row), or pending while an
# earlier event of their item outside the batch is pending too.
_UNDELIVERABLE = """
    SELECT batch.value, outbox.item_id, (
        SELECT earlier.uuid FROM outbox AS earlier
        WHERE earlier.item_id = outbox.item_id AND earlier.seq < outbox.seq
        AND earlier.delivered_at IS NULL
        AND earlier.uuid NOT IN (SELECT value FROM json_each(?)) LIMIT 1) AS blocker
    FROM json_each(?) AS batch LEFT JOIN outbox ON outbox.uuid = batch.value
    WHERE outbox.uuid IS NULL OR (outbox.delivered_at IS NULL AND blocker IS NOT NULL)
    LIMIT 1"""


def _id_list(uuids: Iterable[str]) -> str:
    """Event ids as a JSON array, each once (for json_each)."""
    return json.dumps(sorted(set(uuids)))


def _require_known(ids: str, found: dict[str, object]) -> None:
    """JournalRefused for the first id of `ids` (a JSON array) not among `found`."""
    for event_id in json.loads(ids):
        if event_id not in found:
            raise JournalRefused(Refusal.UNKNOWN_EVENT, f"{event_id!r} is not in the outbox")


def _check_payload(payload: object) -> None:
    """Refuse anything that is not a registered, valid payload."""
    if not isinstance(payload, Payload) or PAYLOADS.get(payload.kind) is not type(payload):
        raise PayloadError(f"not a journal payload: {payload!r}")
    payload.validate()  # again: a frozen dataclass can still be tampered with
