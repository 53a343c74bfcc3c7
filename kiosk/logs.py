"""`kiosk run`'s logs: one line per record (logfmt or JSON), card UIDs and member numbers masked.

Under systemd (JOURNAL_STREAM set) each line starts with its syslog priority (`<3>`), which
journald takes as the record's level (SyslogLevelPrefix=yes, its default).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime, timezone

from kiosk.config import LogConfig

# A card UID: 4, 7 or 10 bytes of hex (ISO 14443), alone; book tags (8 bytes, E0...) are not
# patron data and stay readable. A member number: 9 to 16 digits alone (the library's patron
# id; item barcodes and pseudonyms `h:...` carry letters).
CARD_UID = re.compile(r"(?<![0-9A-Za-z_:\-])(?:[0-9A-Fa-f]{20}|[0-9A-Fa-f]{14}|[0-9A-Fa-f]{8})"
                      r"(?![0-9A-Za-z_\-])")  # not a piece of a UUID
MEMBER = re.compile(r"(?<![0-9A-Za-z_:.\-])\d{9,16}(?![0-9A-Za-z_.])")
KEEP = 2  # characters of an id left visible, to tell two apart in one incident
PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
              logging.CRITICAL: 2}


def mask(text: str) -> str:
    """`text` with every card UID and member number masked ("******C3")."""
    hidden = lambda m: "*" * (len(m[0]) - KEEP) + m[0][-KEEP:]  # noqa: E731
    return MEMBER.sub(hidden, CARD_UID.sub(hidden, text))


class MaskIds(logging.Filter):
    """Masks ids in a record's message and arguments (the record keeps no unmasked copy)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with its arguments merged and masked."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask(message), None
        return True


class LineFormatter(logging.Formatter):
    """One line per record: logfmt (`key=value`) or one JSON object."""

    def __init__(self, style: str = "logfmt", priority_prefix: bool = False) -> None:
        super().__init__()
        self.style = style
        self.priority_prefix = priority_prefix

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line (a traceback escaped into its `exc` field)."""
        fields = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                      timespec="milliseconds"),
                  "level": record.levelname.lower(), "logger": record.name,
                  "msg": mask(record.getMessage())}
        if record.exc_info:
            fields["exc"] = mask(self.formatException(record.exc_info))
        line = json.dumps(fields, ensure_ascii=False) if self.style == "json" else \
            " ".join(f"{key}={_logfmt(value)}" for key, value in fields.items())
        if self.priority_prefix:
            line = f"<{PRIORITIES.get(record.levelno, 6)}>{line}"
        return line


def _logfmt(value: str) -> str:
    """A logfmt value: bare when it can be, else quoted with escapes (newlines as \\n)."""
    if value and not any(c in value for c in ' ="\\\n\t') and value.isprintable():
        return value
    return json.dumps(value, ensure_ascii=False)


def configure(config: LogConfig, stream=None) -> logging.Handler:
    """Send every record of the process to one masked, one-line handler (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(MaskIds())
    handler.setFormatter(LineFormatter(config.format,
                                       priority_prefix="JOURNAL_STREAM" in os.environ))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.level)
    return handler
