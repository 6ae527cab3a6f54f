"""The server-rendered thread: `GET /api/v1/comments.html`, for build-time inclusion by static
site generators and for readers and crawlers without JavaScript.

The fragment has the widget's structure and words ("1.", "Name says:", "@Parent:"), schema.org
`Comment` microdata, and no script. The widget takes it over when it finds it in `#parley`:
the root's `data-parley` carries the thread, each comment's `data-c` its public shape without
the body, which is read back from the comment's `itemprop="text"` element (a reply's "@Parent:"
link, `a.re`, opens it, and the widget swaps it for its own).
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from backend.api.cache import Cached, KnownQuery
from backend.api.comments import READ_CACHE_CONTROL, etag_of, fragment_tag, kept, stamp_of
from backend.api.context import Context, context
from backend.api.http import read_params
from backend.api.schemas import CommentOut, HtmlParams, ThreadOut
from backend.domain import errors
from backend.domain.models import Comment, Status, Thread

SCHEMA = "https://schema.org/"
HTML_PAGE = 100  # comments a page at most; PAGE_CHARS (domain/models.py) bounds its bytes


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _time(when: datetime, iso: str, attrs: str = "") -> str:
    """The date as a reader writes it ("December 2, 2026"): the reader's time zone is unknown
    when the page is built, so the hour goes only in the tooltip, marked UTC."""
    day = f"{when:%B} {when.day}, {when.year}"
    return f'<time{attrs} datetime="{_attr(iso)}" title="{when:%Y-%m-%d %H:%M} UTC">{day}</time>'


def _count(n: int) -> str:
    return "No comments yet" if n == 0 else f"{n} Comment" if n == 1 else f"{n} Comments"


VIA = {"mastodon": "Mastodon", "bluesky": "Bluesky"}  # a page's host otherwise


def render_comment(
    number: int | None,
    comment: Comment,
    parents: dict[str, tuple[str, int | None]],
    pinned: bool = False,
    away: str = "",
) -> str:
    """One comment. `parents` names each reply's parent (author, number), wherever the parent
    stands in the thread: a reply on a later page still says whom it answers (its link goes
    to `away` + "#comment-ID", the post's page, when set). The owner's
    replies carry the "Author" badge (from the role the admin token gave, never a name), the
    pinned comment a "Pinned" label, as the widget's desk module draws them (class "o")."""
    out = CommentOut.of(comment, number)
    data = out.model_dump(mode="json", exclude={"html"})
    cid = _attr(out.id)
    parts = [
        f'<li id="comment-{cid}" itemprop="comment" itemscope itemtype="{SCHEMA}Comment"'
        f" data-c='{_attr(json.dumps(data, separators=(',', ':')))}'><article><header>"
    ]
    if out.deleted:
        when = _time(out.created, data["created"])
        parts.append(f'<a class="d" href="#comment-{cid}">{when}</a></header>')
        parts.append('<p class="x">This comment was deleted.</p><div itemprop="text"></div>')
        return "".join(parts) + "</article></li>"
    if number is not None:
        parts.append(f'<span class="n">{number}.</span> ')
    name = f'<span itemprop="name">{escape(out.author)}</span>'
    if out.website:
        href = _attr(out.website)
        name = f'<a itemprop="url" href="{href}" rel="nofollow ugc noopener">{name}</a>'
    when = _time(out.created, data["created"], ' itemprop="dateCreated"')
    parts.append(
        f'<span itemprop="author" itemscope itemtype="{SCHEMA}Person" class="a">{name}</span>'
        f' says: <a class="d" href="#comment-{cid}">{when}</a>'
    )
    if out.author_role == "owner":
        parts.append(' <span class="o">Author</span>')
    if pinned:
        parts.append(' <span class="o">Pinned</span>')
    if out.edited:
        parts.append(' <span class="x">(edited)</span>')
    if out.origin is not None:  # written elsewhere: "via Mastodon", linked to the original
        where = VIA.get(out.origin.kind) or urlsplit(out.origin.url).netloc
        title = f' title="{_attr(out.origin.handle)}"' if out.origin.handle else ""
        parts.append(
            f' <a class="via" href="{_attr(out.origin.url)}" rel="nofollow ugc noopener"'
            f"{title}>via {escape(where)}</a>"
        )
    parts.append("</header>")
    text = out.html  # sanitized when stored
    if out.parent:
        parent = _attr(out.parent)
        by, at = parents.get(out.parent, ("", None))
        who = escape(by or ("#" + str(at) if at else "…"))
        parts.append(f'<link itemprop="parentItem" href="#comment-{parent}">')
        # The seed's "@JKB: Agreed…", as the widget draws it: the link opens the text's first
        # paragraph. Its class marks it as the fragment's, for the widget taking the fragment
        # over to put its own in its place (a sanitized body never carries a class).
        at_parent = f'<a class="re" href="{_attr(away)}#comment-{parent}">@{who}:</a> '
        text = "<p>" + at_parent + text[3:] if text.startswith("<p>") else at_parent + text
    parts.append(f'<div class="b" itemprop="text">{text}</div>')
    # The widget's unpressed heart, only where someone liked the comment (a filled one reads
    # as "liked by you", and "♥ 0" as something to press on a page that cannot).
    likes = out.likes
    noun = "like" if likes == 1 else "likes"
    said = f'<span aria-label="{likes} {noun}">♡ {likes}</span>'
    parts.append(
        f'<footer><meta itemprop="upvoteCount" content="{likes}">{said if likes else ""}</footer>'
    )
    return "".join(parts) + "</article></li>"


def render_thread(
    uri: str,
    thread: Thread | None,
    comments: list[tuple[int | None, Comment]],
    sort: str,
    next_url: str | None = None,
    next_cursor: str | None = None,
    parents: dict[str, tuple[str, int | None]] | None = None,
    pinned: tuple[int | None, Comment] | None = None,
    post: str = "",
) -> str:
    """One page of the thread. `next_cursor` (the JSON read's cursor: the widget taking the
    fragment over reads on from it) and `next_url` (this fragment's next page, for readers
    and crawlers without JavaScript) are set when more comments follow. `pinned` (first pages
    only) is shown first, with its own number, even when it lives on a later page. `post` (the
    post's URL, on a later page) is where a reply's link finds a parent not on this page."""
    out = ThreadOut.of(uri, thread)
    state = {"thread": out.model_dump(mode="json"), "next": next_cursor, "sort": sort}
    known = {c.id: ("" if c.status is Status.DELETED else c.author, n) for n, c in comments}
    parents = {**known, **(parents or {})}
    head = [
        f'<section class="parley-thread" itemscope itemtype="{SCHEMA}CreativeWork"'
        f" data-parley='{_attr(json.dumps(state, separators=(',', ':')))}'>",
        f'<meta itemprop="commentCount" content="{out.count}">',
    ]
    if out.title:
        head.append(f'<meta itemprop="name" content="{_attr(out.title)}">')
    # The comments carry their own numbers ("1. Ann says:"), as in the widget: the list's
    # markers would double them on a page without the widget's style.
    head.append(f'<h2>{_count(out.count)}</h2><ol style="list-style:none;padding-left:0">')
    if pinned is not None:
        comments = [pinned, *(nc for nc in comments if nc[1].id != pinned[1].id)]
    pin = "" if pinned is None else pinned[1].id
    here = {c.id for _, c in comments}
    body = [
        render_comment(n, c, parents, c.id == pin, "" if c.parent in here else post)
        for n, c in comments
    ]
    tail = "</ol>"
    if next_url is not None:
        tail += f'<p class="next"><a rel="next" href="{_attr(next_url)}">More comments</a></p>'
    if out.locked:
        tail += "<p>Comments are closed.</p>"
    return "".join(head + body) + tail + "</section>\n"


def later_page(fragment: str, title: str, post: str) -> str:
    """A later page as a document of its own: a title naming the post, and a way back to it
    (the site's first origin + uri) above and below the comments."""
    name = escape(title or post or "the post")
    back = f'<p><a href="{_attr(post)}#parley">← Back to {name}</a></p>' if post else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Comments: {name}</title></head>"
        '<body style="max-width:42rem;margin:1rem auto;padding:0 1rem;'
        'font:1rem/1.5 system-ui,sans-serif">'
        f"{back}{fragment}{back}</body></html>\n"
    )


async def _suggest(ctx: Context, site: str, uri: str, url: str) -> None:
    """A build naming the page's announcement post: one check queued for the worker (at most
    one per thread and network a day); a URL that names no post is a 400 naming `announce`."""
    from backend.inbound.suggest import suggest

    config = ctx.comments.site(site)
    try:
        queued = await ctx.blocking(suggest, ctx.store, site, config, uri, url, int(ctx.clock()))
    except ValueError as exc:
        raise errors.BadRequest(
            "The announcement post's URL is not one Parley can read replies from.",
            fields={"announce": str(exc)},
        ) from None
    if queued:
        ctx.wake()


# GET /api/v1/comments.html
async def thread_html(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, HtmlParams)
    if params.announce is not None:
        await _suggest(ctx, params.site, params.uri, params.announce)
    key = (params.site, params.uri, params.after or "", "html", params.sort)
    if request.method == "HEAD" and params.after is None:
        # An older loader's question whether the fragment built into the page still stands: its
        # ETag is the thread's stamp's (below), so the answer is the stamp alone, one GetItem
        # on DynamoDB, whatever the sandbox kept, and no body.
        stamp = await stamp_of(ctx, params.site, params.uri)
        if stamp:
            tag = fragment_tag(ctx, params.site, params.uri, params.sort, stamp)
            return _fragment(request, Cached(stamp, tag, b""))
    # Kept as the JSON's first pages are (backend/api/comments.py). ("html" where the JSON's
    # key holds its limit.)
    entry = await kept(request, KnownQuery(params.site, params.uri, key))
    if entry is not None:
        return _fragment(request, entry)
    # Paged as the JSON is (its cursor, its bound of PAGE_CHARS of comment HTML a page), so an
    # answer stays small however long the thread: a link leads to the next page.
    page = await ctx.blocking(
        ctx.comments.read, params.site, params.uri, params.after, HTML_PAGE, params.sort
    )
    next_url = None
    if page.next_cursor is not None:
        query = {"site": params.site, "uri": params.uri, "sort": params.sort}
        next_url = f"{ctx.settings.public_url}/api/v1/comments.html?" + urlencode(
            {**query, "after": page.next_cursor}
        )
    # A later page is reached by a reader without JavaScript (the widget reads on with the JSON
    # API): its replies' links to parents elsewhere, and its way back, go to the post.
    origin = ctx.comments.site(params.site).page_origin if params.after is not None else None
    post = origin + params.uri if origin else ""
    fragment = render_thread(
        params.uri,
        page.thread,
        page.comments,
        params.sort,
        next_url,
        page.next_cursor,
        page.parents,
        page.pinned,
        post,
    )
    if params.after is not None:  # reached by "More comments": a page of its own
        thread = page.thread.title if page.thread else ""
        fragment = later_page(fragment, thread, post)
    body = fragment.encode()
    # The fragment carries its own ETag (data-etag), so the widget taking a build-time copy
    # over can ask whether it is still current. A first page's under a stamp is the stamp's
    # (every write a reader can see moves it), so that question never needs the Query;
    # without a thread (no comment yet), and for later pages, it is the fragment's hash.
    stamp = page.thread.stamp if page.thread else None
    etag = etag_of(body)
    if stamp and params.after is None:
        etag = fragment_tag(ctx, params.site, params.uri, params.sort, stamp)
    body = body.replace(b"<section ", f'<section data-etag="{_attr(etag)}" '.encode(), 1)
    entry = Cached(stamp, etag, body)
    # On DynamoDB only under a stamp the read vouches for (one Query: backend/api/comments.py).
    if ctx.store.cheap_stamps or stamp:
        ctx.cache.put(key, entry)
    return _fragment(request, entry)


def _fragment(request: Request, entry: Cached) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": READ_CACHE_CONTROL}
    if entry.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        # Headers alone: Starlette's Response and Mangum would carry the body out of Lambda.
        # No Content-Length: an answer from the stamp does not know the fragment's.
        response = Response(None, 200, headers, "text/html; charset=utf-8")
        del response.headers["content-length"]
        return response
    return Response(entry.body, 200, headers, "text/html; charset=utf-8")
