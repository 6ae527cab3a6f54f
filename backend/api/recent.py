"""A site's latest approved comments anywhere: `GET /api/v1/recent` for the widget's
`data-parley-recent` box (a sidebar, a footer) and `GET /api/v1/recent.html` for a site
generator to include at build time.

One store read each (on DynamoDB a bounded Query of the approved index and one BatchGetItem:
docs/dynamodb.md), cached by browsers and CDNs for a minute, so most page views that show the
box never reach the API. Public parts only: the excerpt is plain text taken from the comment's
sanitized HTML, never its Markdown source.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from starlette.requests import Request
from starlette.responses import Response

from backend.api.comments import etag_of
from backend.api.context import context
from backend.api.feed import _page_base
from backend.api.http import dumps, etag_matches, read_params
from backend.api.meta import widget_headers
from backend.api.recent_schemas import RecentParams
from backend.api.views import View, instant
from backend.domain.models import OWNER, Comment

RECENT_CACHE_CONTROL = "public, max-age=60"
EXCERPT_CHARS = 140
_BREAKS = {"p", "br", "li", "ul", "ol", "blockquote", "pre", "div", "h1", "h2", "h3", "h4"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _BREAKS:  # "<p>a</p><p>b</p>" reads "a b", "wo<em>rd</em>" still "word"
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.handle_starttag(tag, None)


def excerpt(html: str, chars: int = EXCERPT_CHARS) -> str:
    """The words of sanitized HTML, whitespace folded, cut at `chars` with an ellipsis."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def recent_view(comment: Comment, base: str) -> View:
    return {
        "id": comment.id,
        "uri": comment.uri,
        "url": f"{base}{comment.uri}#comment-{comment.id}",
        "author": comment.author,
        "author_role": "owner" if comment.role == OWNER else None,
        "excerpt": excerpt(comment.html),
        "created": instant(comment.created),
    }


async def _recent(request: Request) -> list[View]:
    ctx = context(request)
    params = read_params(request, RecentParams)
    site = ctx.comments.site(params.site)
    found = await ctx.blocking(ctx.comments.recent, params.site, None, params.limit)
    base = _page_base(site.origins, ctx.settings.public_url)
    return [recent_view(c, base) for c in found]


def _answer(request: Request, body: bytes, media_type: str) -> Response:
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": RECENT_CACHE_CONTROL, **widget_headers()}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers, media_type)


# GET /api/v1/recent?site=&limit=
async def recent(request: Request) -> Response:
    return _answer(request, dumps({"comments": await _recent(request)}), "application/json")


def render_recent(items: list[View]) -> str:
    """The box as the widget draws it: a list of "Author: words" links with their dates."""
    if not items:
        return '<ul class="parley-recent"></ul>'
    rows = []
    for c in items:
        badge = ' <span class="parley-badge">Author</span>' if c["author_role"] else ""
        rows.append(
            f'<li><a href="{escape(c["url"])}">{escape(c["author"])}</a>{badge}: '
            f"{escape(c['excerpt'])} "
            f'<time datetime="{escape(c["created"])}">{escape(c["created"][:10])}</time></li>'
        )
    return '<ul class="parley-recent">' + "".join(rows) + "</ul>"


# GET /api/v1/recent.html?site=&limit=
async def recent_html(request: Request) -> Response:
    body = render_recent(await _recent(request)).encode()
    return _answer(request, body, "text/html; charset=utf-8")
