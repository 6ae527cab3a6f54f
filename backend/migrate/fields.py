"""Field conversions every format shares: URLs to uris, dates, websites, bodies to HTML."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from backend.domain.render import render, sanitize
from backend.migrate.records import Markup

_BLOCK = re.compile(r"<(p|div|ul|ol|blockquote|pre|table|h[1-6])[\s>]", re.IGNORECASE)


def uri_of(url: str) -> str:
    """A thread's uri: the path (and query, if any) of the page's URL (`?p=4` links too)."""
    parts = urlsplit(url.strip())
    uri = parts.path or "/"
    if not uri.startswith("/"):
        uri = "/" + uri
    return f"{uri}?{parts.query}" if parts.query else uri


@dataclass
class UriMap:
    """`--map OLD=NEW`: uris starting with OLD start with NEW instead (longest OLD wins)."""

    rules: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, specs: list[str]) -> UriMap:
        rules = []
        for spec in specs:
            # Both sides are paths, and a query may hold "=": split where "=" meets a "/".
            at = spec.find("=/")
            if not spec.startswith("/") or at < 0 or spec.find("=/", at + 1) >= 0:
                raise ValueError(f"--map {spec!r}: write OLD=NEW with both starting with /")
            rules.append((spec[:at], spec[at + 1 :]))
        return cls(sorted(rules, key=lambda rule: -len(rule[0])))

    def __call__(self, uri: str) -> str:
        for old, new in self.rules:
            if uri.startswith(old):
                return new + uri[len(old) :]
        return uri


def utc(value: str, *formats: str) -> datetime | None:
    """A date string in one of `formats` (or ISO 8601), as UTC; None when it is not one."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:  # the common case, in C: "2012-03-01 10:00:00", "2013-04-01T08:00:00Z"
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        if parsed.year < 1971:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year < 1971:  # Go's zero time and the like: no date at all
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_html(body: str, markup: Markup) -> str:
    """The body as Parley shows it: sanitized like any comment, whatever its length."""
    if markup is Markup.MARKDOWN:
        return render(body)
    if markup is Markup.PLAIN_HTML and not _BLOCK.search(body):
        body = paragraphs(body)
    return sanitize(body)


def paragraphs(body: str) -> str:
    """WordPress keeps comments as typed and adds paragraphs when showing them: do the same
    (blank lines part paragraphs, single line breaks stay breaks)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in parts)


def plain(text: str) -> str:
    """Text from a title that may hold entities or tags (RSS titles often do)."""
    return html.unescape(re.sub(r"<[^>]*>", "", text)).strip()


def likes(value: object, limit: int) -> int:
    """A like count as a source writes it: a whole number (negative scores count as none);
    anything else (text, a fraction, 1e30) raises ValueError naming it."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"likes {value!r} is not a number")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"likes {value!r} is not a whole number")
    if value > limit:
        raise ValueError(f"likes {value!r} is over {limit:,}")
    return max(0, int(value))


def parse_fields(specs: list[str], names: tuple[str, ...]) -> dict[str, str]:
    """`--field NAME=SOURCE` options as {NAME: SOURCE}; ValueError naming a bad one."""
    out: dict[str, str] = {}
    for spec in specs:
        name, sep, source = spec.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not source or name not in names:
            raise ValueError(
                f"--field {spec!r}: give NAME=SOURCE with NAME one of {', '.join(names)}"
            )
        out[name] = source
    return out
