"""The import's index of the comments placed so far: each one's id and page, by its source key,
so a reply finds its parent wherever the file lists it. The one part of an import that grows
with the file, so it is kept small: about 130 bytes a comment (a dict of the key's string to a
tuple of the id's and the uri's strings took about 230).

A source key is kept as a 96-bit keyed hash (a random key per import, so no file can make two
of its keys collide; by chance, two in 10 million collide with odds of about 1 in 10^15), the
id as the 128-bit number it spells, and the page as its number in a list of the import's
pages.
"""

from __future__ import annotations

import hashlib
import os

from backend.domain.ids import encode

_CROCKFORD = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "0123456789abcdefghijklmnopqrstuv")
_PAGE_BITS = 32


class Placed:
    def __init__(self) -> None:
        self._salt = os.urandom(16)
        self._ids: dict[int, int] = {}  # hashed source key -> id << _PAGE_BITS | page number
        self._pages: dict[str, int] = {}
        self._uris: list[str] = []

    def _key(self, key: str) -> int:
        digest = hashlib.blake2b(key.encode(), digest_size=12, key=self._salt).digest()
        return int.from_bytes(digest, "big")

    def add(self, key: str, comment_id: str, uri: str) -> None:
        page = self._pages.get(uri)
        if page is None:
            page = self._pages[uri] = len(self._uris)
            self._uris.append(uri)
        value = int(comment_id.translate(_CROCKFORD), 32)  # a ULID: 26 base-32 digits
        self._ids[self._key(key)] = value << _PAGE_BITS | page

    def get(self, key: str) -> tuple[str, str] | None:
        """The placed comment's id and uri, or None when none with this key was placed."""
        value = self._ids.get(self._key(key))
        if value is None:
            return None
        return encode(value >> _PAGE_BITS), self._uris[value & (1 << _PAGE_BITS) - 1]

    def __contains__(self, key: str) -> bool:
        return self._key(key) in self._ids
