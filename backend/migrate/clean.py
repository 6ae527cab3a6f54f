"""Imported words through posting's rule: the characters `backend.domain.text` refuses in a
reader's text, and the API's limits on author, email and website (`backend.api.schemas`).

A reader's post is refused when a field breaks the rule; an import cleans instead, field by
field, and counts what it changed in the summary: a refused character becomes a space, an
author is cut to 80 characters (nothing visible left: "Anonymous"), an email or website that
the API would refuse is dropped. The text keeps its length (imports are exempt from the length
limit, not from the character rule); a thread's title is cleaned and cut like a posted one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from urllib.parse import urlsplit

from backend.domain.text import inert, problem, visible
from backend.migrate.records import SourceComment

AUTHOR_CHARS = 80  # the API's limits (backend/api/schemas.py: Author, Email, Website, Title)
EMAIL_CHARS = 254
WEBSITE_CHARS = 200
TITLE_CHARS = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")  # the API's pattern

AUTHOR_CLEANED = "authors with characters a reader may not type, cleaned"
AUTHOR_CUT = f"authors over {AUTHOR_CHARS} characters, cut"
EMAIL_DROPPED = "emails a reader could not give, dropped"
WEBSITE_DROPPED = (
    f"websites that are not an http(s) address of at most {WEBSITE_CHARS} characters, dropped"
)
TEXT_CLEANED = "texts with characters a reader may not type, cleaned"


def author(value: str, notes: Counter[str]) -> str:
    cleaned = inert(value)
    if cleaned != value:
        notes[AUTHOR_CLEANED] += 1
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > AUTHOR_CHARS:
        notes[AUTHOR_CUT] += 1
        cleaned = cleaned[:AUTHOR_CHARS].rstrip()
    return cleaned if visible(cleaned) else ""


def email(value: str, notes: Counter[str]) -> str:
    value = value.strip()
    if value and (len(value) > EMAIL_CHARS or problem(value) or not _EMAIL.match(value)):
        notes[EMAIL_DROPPED] += 1
        return ""
    return value


def website(value: str | None, notes: Counter[str]) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or len(value) > WEBSITE_CHARS
        or any(c.isspace() for c in value)
        or problem(value)
    ):
        notes[WEBSITE_DROPPED] += 1
        return None
    return value


def text(value: str, notes: Counter[str]) -> str:
    """Refused characters become spaces (counted); line endings become "\n", as posted."""
    if problem(value, multiline=True) is not None:
        notes[TEXT_CLEANED] += 1
    return inert(value, multiline=True)


def title(value: str) -> str:
    return " ".join(inert(value).split())[:TITLE_CHARS]


def comment(source: SourceComment, notes: Counter[str]) -> SourceComment:
    """The comment with every field a reader types held to posting's rule."""
    return replace(
        source,
        author=author(source.author, notes),
        email=email(source.email, notes),
        website=website(source.website, notes),
        body=text(source.body, notes),
        html=None if source.html is None else inert(source.html, multiline=True),
    )
