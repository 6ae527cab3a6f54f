"""What a mentioning page says, read with mf2py (microformats2, the format the Webmention
recommendation's implementations share): the h-entry that refers to our page, its author,
content, publication time and what kind of response it is.

The page is someone else's: every value is bounded and the HTML sanitized (by the caller,
as any comment's). The h-entry may be the page's top item, nested in an h-feed, or absent (a
page that links to us without microformats is a plain mention, named by its <title>).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urljoin

from backend.inbound import urls

Kind = Literal["reply", "mention", "like", "repost"]
LINK_ATTRIBUTES = frozenset({"href", "src", "cite", "data", "poster"})


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    author: str
    author_url: str | None
    html: str  # as the page has it: the caller sanitizes
    text: str
    published: datetime | None
    url: str  # the entry's own permalink (u-url), else the page's URL


class _Links(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urljoin(self.base, href)
        for name, value in attrs:
            if name in LINK_ATTRIBUTES and value:
                self.found.append(urljoin(self.base, value.strip()))
        self._in_title = tag == "title" and not self.title

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def links_in(html: str, page_url: str) -> list[str]:
    """Every href/src of the HTML, resolved against the page."""
    parser = _Links(page_url)
    parser.feed(html)
    parser.close()
    return parser.found


def links_to(html: str, page_url: str, target: str) -> tuple[bool, str]:
    """Whether the HTML links to `target` (any href/src, resolved against the page), and the
    page's title."""
    parser = _Links(page_url)
    parser.feed(html)
    parser.close()
    return any(urls.same(found, target) for found in parser.found), parser.title.strip()


def json_links_to(data: object, target: str) -> bool:
    """Whether a JSON document names `target` as any string value (the recommendation's rule
    for JSON sources)."""
    if isinstance(data, str):
        return urls.same(data, target)
    if isinstance(data, dict):
        return any(json_links_to(v, target) for v in data.values())
    if isinstance(data, list):
        return any(json_links_to(v, target) for v in data)
    return False


def _entries(items: list[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        if not isinstance(item, dict):
            continue
        if "h-entry" in item.get("type", []):
            yield item
        yield from _entries(item.get("children", []))


def _urls_of(values: list[Any]) -> list[str]:
    out = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            out += [v for v in value.get("properties", {}).get("url", []) if isinstance(v, str)]
            if isinstance(value.get("value"), str):
                out.append(value["value"])
    return out


def _first_text(values: list[Any]) -> str:
    for value in values:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            return str(value["value"])
    return ""


def _published(values: list[Any], now: datetime) -> datetime | None:
    text = _first_text(values).strip()
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text).replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(when.astimezone(UTC), now)  # a date in the future is read as now


def _author(props: dict[str, Any], fallback: str) -> tuple[str, str | None]:
    for value in props.get("author", []):
        if isinstance(value, str):
            return (value, None) if not value.startswith("http") else (fallback, value)
        if isinstance(value, dict):
            p = value.get("properties", {})
            name = _first_text(p.get("name", [])) or _first_text([value]) or fallback
            link = next(iter(_urls_of(p.get("url", []))), None)
            return name, link
    return fallback, None


def read_entry(html: str, page_url: str, target: str, now: datetime) -> Entry | None:
    """The h-entry on the page that refers to `target` (else the first one), or None."""
    import mf2py  # the worker's only: a cold start of the app never loads it

    parsed = mf2py.parse(doc=html, url=page_url, metaformats=False)
    entries = list(_entries(parsed.get("items", [])))
    if not entries:
        return None
    chosen = entries[0]
    kind: Kind = "mention"
    for entry in entries:
        props = entry.get("properties", {})
        for name, kind_of in (("in-reply-to", "reply"), ("like-of", "like"),
                              ("repost-of", "repost")):  # fmt: skip
            if any(urls.same(u, target) for u in _urls_of(props.get(name, []))):
                chosen, kind = entry, kind_of  # type: ignore[assignment]
                break
        else:
            continue
        break
    props = chosen.get("properties", {})
    content = next(iter(props.get("content", [])), None)
    if isinstance(content, dict):
        body_html, body_text = str(content.get("html", "")), str(content.get("value", ""))
    else:
        body_text = content if isinstance(content, str) else ""
        body_html = ""
    if not body_text.strip():
        body_text = _first_text(props.get("summary", [])) or _first_text(props.get("name", []))
    own = next(iter(_urls_of(props.get("url", []))), page_url)
    author, author_url = _author(props, urls.origin(page_url).split("://", 1)[1])
    return Entry(
        kind=kind,
        author=author,
        author_url=author_url,
        html=body_html,
        text=body_text,
        published=_published(props.get("published", []), now),
        url=own,
    )
