"""Sizes DynamoDB enforces, checked before any storage call so that a reader who sends too much
gets a 422 naming the field, never a 503 (and an ERROR in the logs) from a refused request.

DynamoDB counts bytes, not characters: a key attribute is UTF-8 encoded, a partition key holds
at most 2,048 bytes and a sort key 1,024; an item holds at most 400 KB, counting the names and
the values of all its attributes. SQLite has no such limits; the API applies them whatever the
store, so a thread that works on one works on the other.
"""

from __future__ import annotations

from backend.domain import errors

PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024
ITEM_BYTES = 400 * 1024

SITE_CHARS = 64  # site names: ASCII letters, digits and _.- (settings), so 64 bytes
# The longest prefix a uri gets in a key: "T#{site}#" (the thread's partition).
URI_BYTES = PARTITION_KEY_BYTES - len("T#") - SITE_CHARS - len("#")

# Everything in a comment item besides its text and html, with room to spare: keys, the GSI
# key, id, parent, status, dates, counters, hashes and every attribute name (~0.5 KB), author
# (80 characters), email (254), website (200), all at 4 bytes a character at worst (~2.2 KB).
COMMENT_OVERHEAD_BYTES = 4096


def utf8_bytes(value: str) -> int:
    return len(value.encode("utf-8", errors="surrogatepass"))


def check_uri(uri: str) -> str:
    """A page path that fits a DynamoDB partition key with the longest site name."""
    if utf8_bytes(uri) > URI_BYTES:
        raise ValueError(f"must be at most {URI_BYTES} bytes in UTF-8")
    return uri


def check_comment_size(text: str, html: str) -> None:
    """A comment whose text and rendered html fit one DynamoDB item (400 KB)."""
    if utf8_bytes(text) + utf8_bytes(html) + COMMENT_OVERHEAD_BYTES > ITEM_BYTES:
        limit = ITEM_BYTES - COMMENT_OVERHEAD_BYTES
        raise errors.ValidationFailed(
            fields={"text": f"too long: text and its rendering must fit in {limit} bytes"}
        )
