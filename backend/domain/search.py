"""The owner's search: a site's comments by words of their text, author, email and page.

What matches, the same on both stores:

- **text**: every word of the query is a word of the comment's source text (words are runs of
  letters and digits, case-folded, of two characters or more; a comment's first
  `INDEXED_WORDS` distinct words count). Whole words, not substrings: "cat" finds "Cat" and
  "cat," but not "cats".
- **author**: the name, case-folded with runs of spaces made one, equal to the comment's.
- **email**: exact, case-folded (as a privacy request matches it); never a substring, so a
  search cannot list the site's addresses letter by letter.
- **uri**: the page's path, exact.

The criteria combine with AND; `status` narrows to one queue. A search reads a bounded number
of candidates per request (`CANDIDATES`) from one *probe* (the most selective criterion:
email, then page, then author, then the longest word), checks every criterion on each
candidate, and hands back a signed cursor where it stopped: a page may hold fewer than
`limit` comments and still have a `next`. On DynamoDB the probe is a Query of the posting
items this module's `index_keys` names (docs/dynamodb.md, "Search"), never a Scan.

Index keys are hashes (`KEY_HEX` hex characters of SHA-256): whatever a word's or a uri's
length, a key fits DynamoDB's limits, and no email nor word stands in a key (keys show up in
logs and metrics). They keep nothing secret from someone who can read the table.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from backend.domain import errors
from backend.domain.models import Comment, QueuePage, Status

if TYPE_CHECKING:
    from backend.domain.tokens import Signer
    from backend.store.base import Store

INDEXED_WORDS: Final = 200  # distinct words of a comment that search sees (index items a post)
QUERY_WORDS: Final = 8
MIN_WORD: Final = 2
CANDIDATES: Final = 100  # comments read per request at most, matching or not
KEY_HEX: Final = 32  # 128 bits of SHA-256
_WORD = re.compile(r"\w+")

EMAIL, URI, AUTHOR, WORD = "e", "u", "a", "w"  # index key kinds, one character each


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def words(text: str) -> list[str]:
    """The distinct words of a text that search matches, in order of first use, at most
    `INDEXED_WORDS` of them."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(_fold(text)):
        if len(word) >= MIN_WORD and word not in seen:
            seen[word] = None
            if len(seen) == INDEXED_WORDS:
                break
    return list(seen)


def author_name(value: str) -> str:
    return " ".join(_fold(value).split())


def email_address(value: str) -> str:
    return value.strip().lower()


def index_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{kind}\0{value}".encode("utf-8", "surrogatepass")).hexdigest()
    return kind + digest[:KEY_HEX]


def index_keys(comment: Comment, *, text: bool = True) -> list[str]:
    """The index keys under which a comment is found: its email's, author's, page's and each of
    its words' (without the words when `text` is False: a scrubbed comment keeps no words)."""
    keys = [index_key(URI, comment.uri)]
    if comment.email:
        keys.append(index_key(EMAIL, email_address(comment.email)))
    if author_name(comment.author):
        keys.append(index_key(AUTHOR, author_name(comment.author)))
    if text:
        keys += [index_key(WORD, w) for w in words(comment.text)]
    return keys


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str = ""
    author: str = ""
    email: str = ""
    uri: str = ""
    status: Status | None = None

    def __post_init__(self) -> None:
        if not (self.text.strip() or self.author.strip() or self.email.strip() or self.uri):
            raise errors.ValidationFailed(
                "Say what to search for.", fields={"text": "give text, author, email or uri"}
            )
        if self.text.strip() and not self.words:
            raise errors.ValidationFailed(
                "The text has no word to search for.",
                fields={"text": f"words of {MIN_WORD} or more letters or digits"},
            )
        if len(self.words) > QUERY_WORDS:
            raise errors.ValidationFailed(
                "Too many words.", fields={"text": f"at most {QUERY_WORDS} words"}
            )

    @property
    def words(self) -> list[str]:
        return [w for w in _WORD.findall(_fold(self.text)) if len(w) >= MIN_WORD]

    def probe(self) -> str:
        """The index key whose comments are read: the most selective criterion given."""
        if self.email.strip():
            return index_key(EMAIL, email_address(self.email))
        if self.uri:
            return index_key(URI, self.uri)
        if author_name(self.author):
            return index_key(AUTHOR, author_name(self.author))
        longest = max(self.words, key=len)  # a long word is a rare word, mostly
        return index_key(WORD, longest)

    def matches(self, c: Comment) -> bool:
        if self.status is not None and c.status is not self.status:
            return False
        if self.email.strip() and email_address(c.email) != email_address(self.email):
            return False
        if self.uri and c.uri != self.uri:
            return False
        if author_name(self.author) and author_name(c.author) != author_name(self.author):
            return False
        if self.words:
            have = set(words(c.text))
            return all(w in have for w in self.words)
        return True

    def fingerprint(self) -> str:
        """What a cursor is bound to: a cursor of one search never continues another."""
        body = json.dumps(
            [self.text, self.author, self.email, self.uri, self.status and self.status.value]
        )
        return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def search(
    store: Store, signer: Signer, site: str, query: SearchQuery, cursor: str | None, limit: int
) -> tuple[list[Comment], str | None]:
    """One page of a search, newest first, and the signed cursor of the next (None at the end).
    At most `CANDIDATES` comments are read."""
    after = None if cursor is None else signer.read_search_cursor(cursor, site, query.fingerprint())
    page = store.search(site, query, after=after, limit=limit)
    following = (
        None
        if page.next_after is None
        else signer.search_cursor(site, query.fingerprint(), page.next_after)
    )
    return page.comments, following


def take(
    query: SearchQuery, candidates: Sequence[tuple[str, Comment | None]], more: bool, limit: int
) -> QueuePage:
    """The page a store hands back from the candidates it read, in order, each with its
    position (None: a candidate whose comment is gone). Stops after `limit` matches; the next
    position is the last candidate looked at, or None when nothing more was there to read."""
    found: list[Comment] = []
    for n, (position, comment) in enumerate(candidates):
        if comment is not None and query.matches(comment):
            found.append(comment)
            if len(found) == limit:
                rest = more or n + 1 < len(candidates)
                return QueuePage(found, position if rest else None)
    last = candidates[-1][0] if candidates else None
    return QueuePage(found, last if more else None)
