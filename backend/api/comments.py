"""Reading a thread: the page view, and so the request Lambda most often starts a sandbox on.

This module and what it imports stay off pydantic (bench/RESULTS.md, "Cold start"): the query
is checked by `backend.api.query`, the answer built by `backend.api.views`. The reader's writes
live in `backend.api.writes`, imported on first use.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from backend.api.cache import Cached, KnownQuery
from backend.api.context import context
from backend.api.http import dumps, etag_matches
from backend.api.meta import widget_headers
from backend.api.query import ReadQuery
from backend.api.views import page_view

# Browsers revalidate every time; a CDN in front may serve a read for a few seconds.
READ_CACHE_CONTROL = "public, max-age=0, s-maxage=10, must-revalidate"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cached_response(request: Request, entry: Cached) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": READ_CACHE_CONTROL, **widget_headers()}
    if etag_matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, 200, headers, "application/json")


async def kept(request: Request, known: KnownQuery) -> Cached | None:
    """The answer kept for this query, if the thread's stamp says it still stands."""
    ctx = context(request)
    if ctx.store.cheap_stamps:
        # A primary-key lookup on a local file; in WAL mode it never waits for a writer, so it
        # runs on the event loop rather than paying for a hop to a worker thread.
        return ctx.cache.get(known.key, ctx.store.thread_stamp(known.site, known.uri))
    if not ctx.cache.holds(known.key):
        return None  # nothing kept to check: the Query alone, not a GetItem before it
    # DynamoDB: one GetItem of the thread item's versions (0.5 read unit) instead of the
    # Query (1.5 for a first page of 10), no page built, and a 304 when the browser has it.
    stamp = await ctx.blocking(ctx.store.thread_stamp, known.site, known.uri)
    return ctx.cache.get(known.key, stamp)


# GET /api/v1/comments
async def read_thread(request: Request) -> Response:
    ctx = context(request)
    raw_query: bytes = request.scope["query_string"]
    # Fast path for a query string read before: skip parsing and validating it again (most
    # of Parley's own CPU on a cached read, bench/RESULTS.md); the stamp is still looked up,
    # so a changed thread is never served from the cache.
    known = ctx.cache.known(raw_query)
    if known is not None:
        entry = await kept(request, known)
        if entry is not None:
            return cached_response(request, entry)
    params = ReadQuery.parse(request.query_params.multi_items())
    ctx.comments.site(params.site)
    key = (params.site, params.uri, params.after or "", str(params.limit), params.sort)
    if known is None:
        known = KnownQuery(params.site, params.uri, key)
        ctx.cache.remember(raw_query, known)
        entry = await kept(request, known)
        if entry is not None:
            return cached_response(request, entry)
    page = await ctx.blocking(
        ctx.comments.read, params.site, params.uri, params.after, params.limit, params.sort
    )
    body = dumps(
        page_view(
            params.uri, page.thread, page.comments, page.next_cursor, page.pinned, page.parents
        )
    )
    stamp = page.thread.stamp if page.thread else None
    entry = Cached(stamp, etag_of(body), body)
    # On DynamoDB a page is kept only when its stamp vouches for it: the store gives one only
    # when a single Query read the thread item with the comments (a later page, or one read
    # in several requests, has none; a missing thread has none to move), and a pinned comment
    # not on the page is one more read.
    pinned_apart = page.pinned is not None and all(
        c.id != page.pinned[1].id for _, c in page.comments
    )
    if ctx.store.cheap_stamps or (stamp and not pinned_apart):
        ctx.cache.put(key, entry)
    return cached_response(request, entry)
