"""ULIDs: 48 bits of milliseconds and 80 random bits, Crockford base32, 26 characters.

Sorting ids sorts comments by creation time, which thread order and `number` rely on. Within
one millisecond a process increments the random part instead of drawing a new one (the ULID
spec's monotonic mode), so two comments posted in the same millisecond keep their order.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = 0  # the last value handed out


def new_ulid(now: float | None = None) -> str:
    global _last
    millis = int((time.time() if now is None else now) * 1000)
    with _lock:
        same_millisecond = millis == _last >> 80
        value = _last + 1 if same_millisecond else (millis << 80) | secrets.randbits(80)
        _last = value
    return encode(value)


def encode(value: int) -> str:
    """A 128-bit value (milliseconds << 80 | 80 other bits) as a ULID's 26 characters."""
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(value: str) -> bool:
    return len(value) == 26 and all(c in _ALPHABET for c in value) and value[0] in "01234567"


def ulid_time(value: str) -> float:
    """The creation time (epoch seconds) a ULID carries."""
    millis = 0
    for char in value[:10]:
        millis = millis * 32 + _ALPHABET.index(char)
    return millis / 1000
