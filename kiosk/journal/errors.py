"""Errors of the journal: a bad payload, a refused event, a failed migration."""

from __future__ import annotations

from kiosk.journal.enums import Refusal


class JournalError(Exception):
    """Base of every error the journal raises."""


class PayloadError(JournalError, ValueError):
    """An event payload is malformed: wrong field, type or range. Nothing was written."""


class JournalRefused(JournalError):
    """The event would invent state the journal cannot prove. Nothing was written."""

    def __init__(self, code: Refusal, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail


class MigrationError(JournalError):
    """The schema cannot be brought to this code's version; the file is left as it was."""
