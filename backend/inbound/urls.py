"""URLs that others give us (a Webmention's source and target, a post's address): checked,
compared, and turned into keys that fit DynamoDB at any length."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

MAX_URL = 2048


def checked(url: str, name: str) -> str:
    """An absolute http(s) URL without credentials or fragment; ValueError(why) otherwise."""
    if not url:
        raise ValueError(f"{name} is required")
    if len(url) > MAX_URL:
        raise ValueError(f"{name} may be at most {MAX_URL} characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise ValueError(f"{name} must be a URL without spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError(f"{name} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{name} must not carry credentials")
    return urlunsplit(parts._replace(fragment=""))


def same(a: str, b: str) -> bool:
    """The same resource: scheme and host compared without case, default ports and the
    fragment ignored, an empty path read as '/'."""
    return normal(a) == normal(b)


def normal(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port in (None, default) else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def origin(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{parts.scheme.lower()}://{host}" + (f":{parts.port}" if parts.port else "")


def page_uri(url: str) -> str:
    """A thread's uri from its page's URL: the path, and the query if any."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def key(prefix: str, *parts: str) -> str:
    """A short key for storage from URLs of any length: `prefix` + a hash. The ':' keeps it
    apart from readers' idempotency keys, which are letters, digits, '_' and '-' only."""
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:{digest[:40]}"
