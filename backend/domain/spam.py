"""Cheap spam rules that hold a comment for moderation instead of publishing it."""

from __future__ import annotations

import re

_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
MAX_LINKS = 3


def looks_like_spam(text: str) -> bool:
    """Many links in one comment is the commonest shape of comment spam."""
    return len(_LINK.findall(text)) > MAX_LINKS
