"""ULIDs: 48 bits of milliseconds and 80 random bits, Crockford base32, 26 characters.

Sorting ids sorts comments by creation time, which is what thread order and `number` rely on.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(now: float | None = None) -> str:
    millis = int((time.time() if now is None else now) * 1000)
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(value: str) -> bool:
    return len(value) == 26 and all(c in _ALPHABET for c in value) and value[0] in "01234567"
