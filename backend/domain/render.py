"""Comment bodies: a Markdown subset rendered once at write time, then sanitized.

The subset is paragraphs, emphasis, code, quotes, lists, links and autolinked bare URLs. No
headings, no images (shown as links), no raw HTML (escaped by the parser, and anything that
slipped through is removed by nh3). The renderer and sanitizer are imported on first use: they
are only needed to write, and reads must not pay for them at cold start.
"""

from __future__ import annotations

import html as html_lib
import re
from functools import cache
from typing import Any

from backend.domain.errors import ValidationFailed
from backend.domain.text import visible

_TAG = re.compile(r"<[^>]*>")

ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
}
LINK_REL = "nofollow ugc noopener"


@cache
def _markdown() -> Any:
    import mistune

    class Renderer(mistune.HTMLRenderer):
        def image(self, text: str, url: str, title: str | None = None) -> str:
            return self.link(text or url, url, title)

    markdown = mistune.create_markdown(
        escape=True, renderer=Renderer(escape=True), plugins=["url", "strikethrough"]
    )
    for rule in ("atx_heading", "setex_heading", "raw_html"):
        markdown.block.rules.remove(rule)
    markdown.inline.rules.remove("inline_html")
    return markdown


def render(text: str) -> str:
    return sanitize(str(_markdown()(text)))


def sanitize(html: str) -> str:
    """Keep only the tags and attributes a comment may carry (also for imported HTML)."""
    import nh3

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def render_visible(text: str) -> str:
    """`render`, refusing text that renders as nothing a reader could see (`**`, `[](x)`, an
    empty list item): it would publish an empty comment."""
    html = render(text)
    if not visible(html_lib.unescape(_TAG.sub("", html))):
        raise ValidationFailed(fields={"text": "must contain something visible once formatted"})
    return html
