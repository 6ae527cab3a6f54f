"""What the filter looks at in a comment: its words and word pairs, the first letters of its
long words, the hosts it links to and the words of those links' paths, the author's website,
its script and its shape. Generic features only: nothing here names any spam.

The text is read as a reader sees it: entities decoded, invisible characters dropped, and
compatibility forms folded (NFKC: fullwidth letters are the letters, a ligature its letters),
so a disguise costs the sender the evidence it hides. Each token counts once per comment (a word
repeated forty times is one piece of evidence).
"""

from __future__ import annotations

import html
import itertools
import math
import re
import unicodedata
from urllib.parse import urlsplit

MAX_TOKENS_PER_COMMENT = 400
STEM = 5  # a longer word also counts by its first STEM letters: subscribe, subscribers, ...
PATH_WORDS = 8  # words read from one link's path and query

_TAG = re.compile(r"<[^>]{0,500}>")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_BARE_HOST = re.compile(r"\b[a-z0-9-]{2,63}\.(?:com|net|org|ru|info|biz|xyz|io|co|me|ly)\b")
_WORD = re.compile(r"[^\W_]{2,24}", re.UNICODE)
_PATH_SPLIT = re.compile(r"[/\-_.=&?]+")
_QUERY_KEY = re.compile(r"(?:^|&)([a-z_]{1,12})=")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)


def _host(url: str) -> str:
    if not url.lower().startswith(("http://", "https://")):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _link_path(url: str) -> set[str]:
    """The words of a link's path and query (`/free-gift/claim?ref=` says more than its
    host), the names of its query's keys and how deep it goes; codes and ids are no words."""
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
    except ValueError:
        return set()
    out: set[str] = set()
    pieces = [p for p in _PATH_SPLIT.split(f"{parts.path}?{parts.query}".lower()) if p]
    out.update("path:" + p for p in pieces[:PATH_WORDS] if p.isalpha() and 2 <= len(p) <= 20)
    if parts.query:
        out.add("url:query")
        out.update("url:key:" + k for k in _QUERY_KEY.findall(parts.query.lower()))
    depth = sum(1 for p in parts.path.split("/") if p)
    out.add(f"url:depth:{min(depth, 3)}")
    return out


def _script(text: str) -> str:
    """The script most letters are written in (a cheap stand-in for the language)."""
    counts: dict[str, int] = {}
    for ch in text[:2000]:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            script = name.split(" ", 1)[0] if name else "OTHER"
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__).lower() if counts else "none"


def _bucket(n: float) -> int:
    return int(math.log2(n + 1))


def tokens(text: str, website: str | None = None) -> set[str]:
    """The comment's tokens, at most MAX_TOKENS_PER_COMMENT of them."""
    raw = unicodedata.normalize("NFKC", html.unescape(text.translate(_INVISIBLE)))
    plain = _TAG.sub(" ", raw)
    out: set[str] = set()
    urls = _URL.findall(raw)
    for url in urls:
        out |= _link_path(url)
    links = [_host(u) for u in urls]
    links += [h for h in _BARE_HOST.findall(plain.lower()) if h not in links]
    for host in links:
        if host:
            out.add("link:" + host)
            parts = host.split(".")
            if len(parts) > 2:
                out.add("link:" + ".".join(parts[-2:]))
    without_links = _URL.sub(" ", plain)
    words = _WORD.findall(without_links.lower())
    out.update("w:" + w for w in words)
    out.update(f"w:{a} {b}" for a, b in itertools.pairwise(words))
    out.update("pre:" + w[:STEM] for w in words if len(w) > STEM)
    # Shape: how long, how many links, how loud, which script.
    letters = [c for c in plain if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    out.add(f"shape:words:{_bucket(len(words))}")
    out.add(f"shape:links:{min(len(links), 3)}")
    if letters and len(letters) >= 12 and upper / len(letters) > 0.5:
        out.add("shape:shouting")
    if plain.count("!") >= 3:
        out.add("shape:exclaims")
    if _TAG.search(raw):
        out.add("shape:markup")
    if re.search(r"\d{6,}", plain):
        out.add("shape:long-number")
    out.add("script:" + _script(plain))
    if website:
        host = _host(website)
        out.add("site:" + host if host else "site:odd")
    else:
        out.add("site:none")
    if len(out) > MAX_TOKENS_PER_COMMENT:
        out = set(sorted(out)[:MAX_TOKENS_PER_COMMENT])
    return out
