"""A post as the API hands it to the service, and what the service hands back.

Apart from `backend.domain.service` so that a page view never builds them: each dataclass costs
a millisecond or more of every Lambda cold start (tests/test_coldstart_imports.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.domain.models import Comment


@dataclass(frozen=True)
class Draft:
    """A validated post, as the API hands it over."""

    uri: str
    title: str
    parent: str | None
    author: str
    email: str
    website: str | None
    text: str
    key: str
    honeypot: str
    notify: bool = False  # email me replies (double opt-in: a confirmation mail first)
    proof: str = ""  # the ALTCHA payload (backend/spam/proof.py)
    captcha: str = ""  # a Turnstile or hCaptcha token (backend/spam/outside.py)


@dataclass(frozen=True)
class Posted:
    """A comment just written, with its author's token and how long it stays editable."""

    comment: Comment
    token: str
    editable_until: datetime
