"""The per-machine secret key and the keyed hashes (HMAC-SHA256) made with it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from kiosk.private_files import create_private, private_dir, restrict

KEY_FILE = "privacy.key"  # in the state directory, beside the journal
KEY_BYTES = 32
PSEUDONYM_PREFIX = "h:"  # a patron id that is a keyed hash, not a member number


class KeyFileError(Exception):
    """The key file exists but is not a key (the controller refuses to start)."""


def load_or_create(path: Path) -> bytes:
    """The key in `path`, created (random, mode 0600) on first use."""
    private_dir(path.parent)
    create_private(path, secrets.token_bytes(KEY_BYTES))
    restrict(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key")
    return key


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` for one purpose (so the hashes of two purposes never match), hex."""
    message = f"{purpose}\0{value}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def patron_pseudonym(key: bytes, patron_id: str) -> str:
    """'h:<hmac>' for a member number; a pseudonym stays as it is."""
    if patron_id.startswith(PSEUDONYM_PREFIX):
        return patron_id
    return PSEUDONYM_PREFIX + keyed_hash(key, "patron", patron_id)


class MachineKey:
    """The key of one state directory, read (or created) on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        """The key bytes."""
        if self._key is None:
            self._key = load_or_create(self.path)
        return self._key

    def credential_hash(self, credential: str) -> str:
        """The keyed hash a card UID or member number is remembered by."""
        return keyed_hash(self.key, "credential", credential)

    def patron(self, patron_id: str) -> str:
        """The pseudonym of a patron id (for the journal's closed history)."""
        return patron_pseudonym(self.key, patron_id)
