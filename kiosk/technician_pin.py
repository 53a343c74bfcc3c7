"""The technician PIN's stored form: scrypt (standard library) with a random salt, in one string.

`scrypt$N$r$p$SALT$HASH` (SALT and HASH in base64): the parameters travel with the hash, so
stronger ones can be chosen later without breaking stored PINs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # about 16 MiB and a few tens of milliseconds per check
SALT_BYTES = 16
HASH_BYTES = 32
MAX_MEMORY = 256 * 1024 * 1024  # the most a stored string may ask scrypt for
PIN_LENGTH = (6, 128)


class PinHashError(ValueError):
    """A stored string that is not a PIN hash this code can check."""


class PinRefused(ValueError):
    """A PIN that may not be chosen (too short, too long, not printable)."""


@dataclass(frozen=True)
class PinHash:
    """A parsed stored PIN hash."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def __str__(self) -> str:
        return "$".join((SCHEME, str(self.n), str(self.r), str(self.p),
                         _b64(self.salt), _b64(self.digest)))

    def matches(self, pin: str) -> bool:
        """True if `pin` is the PIN this hash was made from (constant-time comparison)."""
        derived = _derive(pin, self.salt, self.n, self.r, self.p, len(self.digest))
        return hmac.compare_digest(derived, self.digest)


def check_pin_choice(pin: str) -> str:
    """The PIN as it will be hashed, or PinRefused saying why it may not be chosen."""
    low, high = PIN_LENGTH
    if not low <= len(pin) <= high:
        raise PinRefused(f"a technician PIN is {low}..{high} characters, not {len(pin)}")
    if not pin.isprintable() or pin != pin.strip():
        raise PinRefused("a technician PIN is printable characters without spaces at its ends")
    return pin


def hash_pin(pin: str) -> str:
    """The stored form of a new PIN, with a fresh random salt."""
    salt = os.urandom(SALT_BYTES)
    return str(PinHash(N, R, P, salt, _derive(check_pin_choice(pin), salt, N, R, P)))


def parse(stored: str) -> PinHash:
    """Read a stored string; PinHashError names what is wrong with it."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise PinHashError(f"not of the form {SCHEME}$N$r$p$SALT$HASH (made by `kiosk pin-hash`)")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        raise PinHashError("its parameters are not whole numbers or its salt and hash not "
                           "base64 (made by `kiosk pin-hash`)") from None
    _check_parameters(n, r, p, salt, digest)
    return PinHash(n, r, p, salt, digest)


def _check_parameters(n: int, r: int, p: int, salt: bytes, digest: bytes) -> None:
    if n < 2**10 or n & (n - 1):
        raise PinHashError(f"N = {n} is not a power of two of at least 1024")
    if not (1 <= r <= 32 and 1 <= p <= 16):
        raise PinHashError(f"r = {r} must be 1..32 and p = {p} 1..16")
    if 128 * n * r > MAX_MEMORY:
        raise PinHashError(f"N = {n}, r = {r} would need more than {MAX_MEMORY >> 20} MiB")
    if len(salt) < SALT_BYTES or len(digest) < HASH_BYTES:
        raise PinHashError(f"the salt must be at least {SALT_BYTES} bytes and the hash "
                           f"at least {HASH_BYTES}")


def _derive(pin: str, salt: bytes, n: int, r: int, p: int, length: int = HASH_BYTES) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * n * r + 1024 * 1024, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
