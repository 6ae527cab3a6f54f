"""The page view's query strings (`GET /api/v1/comments`, `GET /api/v1/counts`), checked by hand.

A page view is most of Parley's traffic, and on Lambda many of them are a sandbox's first
request: parsing these two queries without pydantic keeps pydantic out of the cold start
(bench/RESULTS.md, "Cold start"). The rules are the ones `backend.api.schemas` documents in
OpenAPI (`ReadParams`, `CountsParams`), and `site_name` and `page_uri` are shared with it;
tests/test_api_query.py checks that both accept and refuse the same queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

from backend.domain import errors
from backend.domain import text as text_rules
from backend.domain.limits import check_uri

Sort = Literal["oldest", "newest", "top"]
SORTS: tuple[Sort, ...] = ("oldest", "newest", "top")
SITE_PATTERN = r"^[A-Za-z0-9_.-]+$"
SITE_CHARS = 64
URI_CHARS = 512
CURSOR_CHARS = 512
MAX_LIMIT = 100
MAX_URIS = 100

_SITE = re.compile(SITE_PATTERN)
T = TypeVar("T")


def site_name(value: str) -> str:
    if not 1 <= len(value) <= SITE_CHARS or not _SITE.match(value):
        raise ValueError(f"must be 1 to {SITE_CHARS} letters, digits, '.', '_' or '-'")
    return value


def page_uri(value: str) -> str:
    """A page's path as readers' queries and bodies give it (the thread's key)."""
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise ValueError("must be a page path starting with / and without spaces")
    return check_uri(text_rules.clean(value))  # bytes, as DynamoDB counts a key


def _uri(value: str) -> str:
    if len(value) > URI_CHARS:
        raise ValueError(f"must be at most {URI_CHARS} characters")
    return page_uri(value)


def _limit(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _cursor(value: str) -> str:
    if len(value) > CURSOR_CHARS:
        raise ValueError(f"must be at most {CURSOR_CHARS} characters")
    return value


def _etag(value: str) -> str:
    if len(value) > 64:
        raise ValueError("must be at most 64 characters (the fragment's data-etag)")
    return value


def _sort(value: str) -> Sort:
    if value not in SORTS:
        raise ValueError("must be oldest, newest or top")
    return value  # narrowed to Sort by the membership test


@dataclass(frozen=True, slots=True)
class ReadQuery:
    """`GET /api/v1/comments?site=&uri=[&limit=50][&after=][&sort=oldest][&built=ETAG]`

    `built`: the ETag of the thread built into the page (the fragment's `data-etag`); when the
    thread is still that one the answer is a 204 without a body."""

    site: str
    uri: str
    limit: int = 50
    after: str | None = None
    sort: Sort = "oldest"
    built: str | None = None

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> ReadQuery:
        query = _Query(items, known=("site", "uri", "limit", "after", "sort", "built"))
        site = query.required("site", site_name)
        uri = query.required("uri", _uri)
        limit = query.optional("limit", _limit)
        after = query.optional("after", _cursor)
        sort = query.optional("sort", _sort)
        built = query.optional("built", _etag)
        query.done()  # raises, naming every bad parameter
        assert site is not None and uri is not None
        return cls(site, uri, 50 if limit is None else limit, after, sort or "oldest", built)


@dataclass(frozen=True, slots=True)
class CountsQuery:
    """`GET /api/v1/counts?site=&uri=&uri=...` (1 to 100 uris)"""

    site: str
    uris: list[str]

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> CountsQuery:
        query = _Query(items, known=("site", "uri"))
        site = query.required("site", site_name)
        uris = query.many("uri", _uri, most=MAX_URIS)
        query.done()  # raises, naming every bad parameter
        assert site is not None
        return cls(site, uris)


class _Query:
    """Collects every bad parameter, then refuses them together: a 400 naming each one."""

    def __init__(self, items: Iterable[tuple[str, str]], known: tuple[str, ...]) -> None:
        self.values: dict[str, list[str]] = {}
        self.problems: dict[str, str] = {}
        for name, value in items:
            if name in known:
                self.values.setdefault(name, []).append(value)
            else:
                self.problems.setdefault(name, "unknown parameter")

    def optional(self, name: str, check: Callable[[str], T]) -> T | None:
        """The parameter's value, checked. Given twice, it is refused: a proxy, the CORS check
        and the handler could each read another of the values (the first, the last)."""
        values = self.values.get(name)
        if values and len(values) > 1:
            self.problems.setdefault(name, "give it once")
            return None
        return self._check(name, check, values[0]) if values else None

    def required(self, name: str, check: Callable[[str], T]) -> T | None:
        if name not in self.values:
            self.problems[name] = "required"
        return self.optional(name, check)

    def many(self, name: str, check: Callable[[str], T], most: int) -> list[T]:
        values = self.values.get(name, [])
        if not 1 <= len(values) <= most:
            self.problems[name] = f"give 1 to {most}"
            return []
        checked = [self._check(name, check, value) for value in values]
        return [value for value in checked if value is not None]

    def _check(self, name: str, check: Callable[[str], T], value: str) -> T | None:
        try:
            return check(value)
        except ValueError as exc:
            self.problems.setdefault(name, str(exc))
            return None

    def done(self) -> None:
        if self.problems:
            raise errors.BadRequest("Some parameters are missing or invalid.", fields=self.problems)
