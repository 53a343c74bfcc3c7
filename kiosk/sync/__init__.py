"""Sync: the journal's outbox delivered to the library system, and offline-mode helpers."""

from kiosk.sync.model import (
    SyncConflict, SyncError, SyncStatus, backoff_delay, library_event, settle,
)
from kiosk.sync.worker import LibraryCaller, Sync

__all__ = [
    "LibraryCaller", "Sync", "SyncConflict", "SyncError", "SyncStatus", "backoff_delay",
    "library_event", "settle",
]
