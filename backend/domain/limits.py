"""Sizes DynamoDB enforces, checked before any storage call so that a reader who sends too much
gets a 422 naming the field, never a 503 (and an ERROR in the logs) from a refused request.

DynamoDB counts bytes, not characters: a key attribute is UTF-8 encoded, a partition key holds
at most 2,048 bytes and a sort key 1,024; an item holds at most 400 KB, counting the names and
the values of all its attributes. SQLite has no such limits; the API applies them whatever the
store, so a thread that works on one works on the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.domain import errors

PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024
ITEM_BYTES = 400 * 1024

SITE_CHARS = 64  # site names: ASCII letters, digits and _.- (settings), so 64 bytes
# The longest prefix a uri gets in a key: "T#{site}#" (the thread's partition).
URI_BYTES = PARTITION_KEY_BYTES - len("T#") - SITE_CHARS - len("#")

# A comment is two DynamoDB items (docs/dynamodb.md): the public part (html) and the private
# part (the source text), each at most ITEM_BYTES. Besides html, the public part holds keys,
# the GSI keys, id, parent, status, dates, counters, markers, the avatar hash and every
# attribute name (~0.6 KB), author (80 characters) and website (200), at 4 bytes a character
# at worst (~1.7 KB); besides the text, the private part holds its keys (up to 2 KB of uri),
# email (254 characters, ~1 KB) and the IP hash. 4 KB each leaves room to spare.
PUBLIC_OVERHEAD_BYTES = 4096
PRIVATE_OVERHEAD_BYTES = 4096
HTML_BYTES = ITEM_BYTES - PUBLIC_OVERHEAD_BYTES
TEXT_BYTES = ITEM_BYTES - PRIVATE_OVERHEAD_BYTES


def utf8_bytes(value: str) -> int:
    return len(value.encode("utf-8", errors="surrogatepass"))


def check_uri(uri: str) -> str:
    """A page path that fits a DynamoDB partition key with the longest site name."""
    if utf8_bytes(uri) > URI_BYTES:
        raise ValueError(f"must be at most {URI_BYTES} bytes in UTF-8")
    return uri


def fits(text: str, html: str, *, public: Sequence[str] = (), private: Sequence[str] = ()) -> bool:
    """Whether the source text (with `private`'s other fields) fits the private part and its
    rendering (with `public`'s) the public part. The API's author, email and website are
    bounded, so the overheads hold them; an import passes its own."""
    return (
        sum(map(utf8_bytes, (text, *private))) <= TEXT_BYTES
        and sum(map(utf8_bytes, (html, *public))) <= HTML_BYTES
    )


def check_comment_size(text: str, html: str) -> None:
    """A comment whose text fits one DynamoDB item (the private part, 400 KB) and whose
    rendered html fits another (the public part)."""
    if not fits(text, html):
        raise errors.ValidationFailed(
            fields={
                "text": f"too long: the text must fit in {TEXT_BYTES} bytes "
                f"and its rendering in {HTML_BYTES}"
            }
        )
