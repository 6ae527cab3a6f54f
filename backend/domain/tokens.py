"""Signed values: edit tokens, read cursors and one-click moderation links.

Each kind has its own salt, so a value signed for one purpose never verifies as another. Keys
rotate through PARLEY_SECRET_KEYS: the first signs, all verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from backend.domain.errors import InvalidCursor, Unauthorized


class Signer:
    def __init__(self, keys: Sequence[str]) -> None:
        # itsdangerous signs with the *last* key of the list and verifies with all of them.
        ordered = list(reversed(keys))
        self._edit = URLSafeSerializer(ordered, salt="parley.edit")
        self._cursor = URLSafeSerializer(ordered, salt="parley.cursor")
        self._moderate = URLSafeSerializer(ordered, salt="parley.moderate")
        self._subscription = URLSafeSerializer(ordered, salt="parley.subscription")
        self._search = URLSafeSerializer(ordered, salt="parley.search")
        self._hash_keys = [hashlib.sha256(b"parley.hash\0" + k.encode()).digest() for k in keys]
        self._hash_key = self._hash_keys[0]

    # -- edit tokens: bound to site, thread and comment ------------------------------------------

    def edit_token(self, site: str, uri: str, comment_id: str) -> str:
        return self._edit.dumps([site, uri, comment_id])

    def check_edit_token(self, token: str, site: str, uri: str, comment_id: str) -> None:
        try:
            value = self._edit.loads(token)
        except BadSignature:
            raise Unauthorized("The edit token is invalid.") from None
        if value != [site, uri, comment_id]:
            raise Unauthorized("The edit token is for another comment.")

    # -- cursors: the last id read and how many visible comments came before ---------------------

    def cursor(self, site: str, uri: str, after: str, offset: int) -> str:
        return self._cursor.dumps([site, uri, after, offset])

    def read_cursor(self, cursor: str, site: str, uri: str) -> tuple[str, int]:
        try:
            value: Any = self._cursor.loads(cursor)
        except BadSignature:
            raise InvalidCursor() from None
        if (
            not isinstance(value, list)
            or len(value) != 4
            or value[:2] != [site, uri]
            or not isinstance(value[2], str)
            or not isinstance(value[3], int)
        ):
            raise InvalidCursor()
        return value[2], value[3]

    # -- search cursors: where a search stopped, bound to the site and the query ----------------

    def search_cursor(self, site: str, query: str, position: str) -> str:
        return self._search.dumps([site, query, position])

    def read_search_cursor(self, cursor: str, site: str, query: str) -> str:
        try:
            value: Any = self._search.loads(cursor)
        except BadSignature:
            raise InvalidCursor() from None
        if not isinstance(value, list) or len(value) != 3 or value[:2] != [site, query]:
            raise InvalidCursor()
        if not isinstance(value[2], str):
            raise InvalidCursor()
        return value[2]

    # -- moderation links: bound to one comment in one state, one action, expiring --------------

    def moderation_link(
        self, site: str, uri: str, comment_id: str, action: str, *, state: str, expires: int
    ) -> str:
        """`state` names the comment as it was when the link was made (its status and last
        edit), so a link acts on what the moderator was shown or not at all. `expires` (epoch
        seconds) travels inside the signed value, so the service's clock decides expiry rather
        than the wall clock of whoever verifies."""
        return self._moderate.dumps([site, uri, comment_id, action, state, expires])

    def read_moderation_link(self, signed: str, now: float) -> tuple[str, str, str, str, str]:
        """(site, uri, comment id, action, state) of a valid, unexpired link."""
        try:
            value: Any = self._moderate.loads(signed)
        except BadSignature:
            raise Unauthorized("This moderation link is invalid.") from None
        if (
            not isinstance(value, list)
            or len(value) != 6
            or not all(isinstance(v, str) for v in value[:5])
            or not isinstance(value[5], int)
        ):
            raise Unauthorized("This moderation link is invalid.")
        if now >= value[5]:
            raise Unauthorized("This moderation link has expired.")
        site, uri, comment_id, action, state, _ = value
        return site, uri, comment_id, action, state

    # -- subscription links: confirm or unsubscribe, bound to one comment or one address ---------

    def subscription_link(self, action: str, site: str, ref: list[str], *, expires: int) -> str:
        """`ref` is [uri, comment id] (confirm, unsubscribe) or [email hash] (unsubscribe from
        the whole site): an address itself never travels in a URL."""
        return self._subscription.dumps([action, site, ref, expires])

    def read_subscription_link(self, signed: str, now: float) -> tuple[str, str, list[str]]:
        try:
            value: Any = self._subscription.loads(signed)
        except BadSignature:
            raise Unauthorized("This link is invalid: it may have been cut short.") from None
        if (
            not isinstance(value, list)
            or len(value) != 4
            or not all(isinstance(v, str) for v in value[:2])
            or not isinstance(value[2], list)
            or not all(isinstance(v, str) for v in value[2])
            or not isinstance(value[3], int)
        ):
            raise Unauthorized("This link is invalid.")
        if now >= value[3]:
            raise Unauthorized("This link has expired.")
        return value[0], value[1], value[2]

    # -- keyed hashes: never store or show the raw value -----------------------------------------

    def keyed_hashes(self, purpose: str, value: str, size: int = 16) -> list[str]:
        """The value's keyed hash under every key, the current one first: what was stored
        under an older key is still found after a rotation."""
        return [self._hash(key, purpose, value, size) for key in self._hash_keys]

    @staticmethod
    def _hash(key: bytes, purpose: str, value: str, size: int) -> str:
        mac = hmac.new(key, f"{purpose}\0{value}".encode(), hashlib.blake2b)
        return mac.hexdigest()[: size * 2]

    def keyed_hash(self, purpose: str, value: str, size: int = 16) -> str:
        mac = hmac.new(self._hash_key, f"{purpose}\0{value}".encode(), hashlib.blake2b)
        return mac.hexdigest()[: size * 2]
