"""Cheap spam rules that hold a comment for moderation instead of publishing it."""

from __future__ import annotations

import html as html_lib
import re

MAX_LINKS = 3

_HREF = re.compile(r"<a\s[^>]*\bhref=", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\s.*?</a>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_URL_TEXT = re.compile(r"(?:https?:)?//[^\s/]+\.[^\s]|www\.", re.IGNORECASE)


def link_count(html: str) -> int:
    """The links a rendered, sanitized comment shows: every `href` (whatever its form in the
    source: `[x](//host/p)`, `https&#58;//`, `mailto:`, a bare URL), plus what reads as an
    address in its text outside the links (`www.host`, a URL the renderer left unlinked)."""
    hrefs = len(_HREF.findall(html))
    text = html_lib.unescape(_TAG.sub(" ", _ANCHOR.sub(" ", html)))
    return hrefs + len(_URL_TEXT.findall(text))


def looks_like_spam(html: str) -> bool:
    """Many links in one comment is the commonest shape of comment spam. Counted on the HTML
    readers get (`render`'s), not the source: encodings of a link in the source are many."""
    return link_count(html) > MAX_LINKS
