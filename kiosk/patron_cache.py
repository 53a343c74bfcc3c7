"""Recent patrons for offline lending: keyed hashes of credentials, member numbers, no names."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kiosk.machine_key import KEY_FILE, MachineKey
from kiosk.private_files import private_dir, write_private

log = logging.getLogger(__name__)

FORMAT = 2  # 1 (unversioned): credential -> {"member", "name", "pin"} in plain text
MAX_AGE = timedelta(days=366)  # longer than [policy] offline_recent_hours may be


class PatronCache:
    """HMAC(credential) -> member number and whether a PIN is needed; file and key mode 0600.

    The file is {"format": 2, "entries": {hash: {"member", "pin", "seen"}}}. A card UID (or
    member number) is never written, only its keyed hash, and names are not kept: an offline
    session shows no name. A plain-text file of the old format is migrated when found.
    """

    def __init__(self, path: Path, key: MachineKey | None = None) -> None:
        self.path = path
        self.key = key or MachineKey(path.parent / KEY_FILE)
        self._entries: dict[str, dict[str, Any]] = self._load()

    def remember(self, credential: str, member: str, name: str, pin_required: bool) -> None:
        """Note who holds a credential (the name is not kept); written at once, atomically."""
        entry = {"member": member, "pin": bool(pin_required), "seen": date.today().isoformat()}
        self._entries[self.key.credential_hash(credential)] = entry
        self._save()

    def lookup(self, credential: str) -> tuple[str, str, bool] | None:
        """(member, name, PIN required) of a credential seen before, or None; the name is ''."""
        if not self._entries:
            return None
        entry = self._entries.get(self.key.credential_hash(credential))
        if entry is None:
            return None
        return entry["member"], "", bool(entry.get("pin", True))

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("patron cache %s unreadable, starting empty: %s", self.path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        if data.get("format") == FORMAT:
            return _fresh(data.get("entries"))
        return self._migrate(data)

    def _migrate(self, plain: dict) -> dict[str, dict[str, Any]]:
        """The old plain-text file: re-keyed by keyed hash, names dropped, rewritten at once."""
        today = date.today().isoformat()
        entries = {self.key.credential_hash(str(credential)): {
            "member": str(old["member"]), "pin": bool(old.get("pin", True)), "seen": today}
            for credential, old in plain.items() if isinstance(old, dict) and "member" in old}
        self._entries = entries
        self._save()
        log.info("patron cache migrated to keyed hashes: %d entries, names dropped", len(entries))
        return entries

    def _save(self) -> None:
        private_dir(self.path.parent)
        write_private(self.path, json.dumps({"format": FORMAT, "entries": self._entries}))


def _fresh(entries: object) -> dict[str, dict[str, Any]]:
    """Well-formed entries seen within MAX_AGE."""
    if not isinstance(entries, dict):
        return {}
    oldest = (date.today() - MAX_AGE).isoformat()
    return {key: entry for key, entry in entries.items()
            if isinstance(entry, dict) and isinstance(entry.get("member"), str)
            and str(entry.get("seen", "")) >= oldest}
