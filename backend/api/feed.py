"""Atom feed of a site's (or one thread's) newest approved comments."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import context
from backend.api.http import read_params
from backend.api.schemas import FeedParams
from backend.domain.models import Comment
from backend.settings import Settings

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def _page_base(origins: tuple[str, ...], fallback: str) -> str:
    """Where the site's pages live: its first concrete origin (not a wildcard pattern)."""
    for origin in origins:
        if not origin.endswith(":*"):
            return origin
    return fallback


def self_url(settings: Settings, params: FeedParams) -> str:
    """The feed's own address: PARLEY_PUBLIC_URL's, never the request's Host header (which
    any client sets, and a shared cache would keep), with the query in one canonical form."""
    query = {"site": params.site, **({"uri": params.uri} if params.uri else {})}
    return f"{settings.public_url}/api/v1/feed.atom?{urlencode(query)}"


def render_feed(
    site: str, uri: str | None, comments: list[Comment], base: str, self_url: str
) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    child(feed, "id", f"tag:parley,2024:{site}:{uri or '*'}")
    child(feed, "title", f"Comments on {uri}" if uri else f"Comments on {site}")
    # The feed changed when its last entry did: an edit of an older comment counts (readers
    # that look at the feed's date alone would otherwise miss it).
    changed = [comment.edited or comment.created for comment in comments]
    child(feed, "updated", max(changed, default=datetime(2024, 1, 1, tzinfo=UTC)).isoformat())
    child(feed, "link", rel="self", href=self_url)
    for comment in comments:
        entry = child(feed, "entry")
        child(entry, "id", f"tag:parley,2024:{site}:{comment.id}")
        child(entry, "title", f"{comment.author} on {comment.uri}")
        author = child(entry, "author")
        child(author, "name", comment.author)
        child(entry, "updated", (comment.edited or comment.created).isoformat())
        child(entry, "published", comment.created.isoformat())
        child(entry, "link", rel="alternate", href=f"{base}{comment.uri}#comment-{comment.id}")
        child(entry, "content", comment.html, type="html")  # escaped by ElementTree
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


# GET /api/v1/feed.atom?site=&uri=
async def feed(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, FeedParams)
    site = ctx.comments.site(params.site)
    comments = await ctx.blocking(ctx.comments.recent, params.site, params.uri, FEED_SIZE)
    base = _page_base(site.origins, ctx.settings.public_url)
    body = render_feed(params.site, params.uri, comments, base, self_url(ctx.settings, params))
    headers = {"Cache-Control": "public, max-age=300"}
    return Response(body, 200, headers, "application/atom+xml; charset=utf-8")
