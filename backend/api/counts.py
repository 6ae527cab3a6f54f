"""Comment counts for many pages at once (index pages, "7 Comments" links)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.comments import READ_CACHE_CONTROL, etag_of
from backend.api.context import context
from backend.api.http import dumps, etag_matches
from backend.api.meta import widget_headers
from backend.api.query import CountsQuery


# GET /api/v1/counts?site=&uri=&uri=
async def counts(request: Request) -> Response:
    ctx = context(request)
    params = CountsQuery.parse(request.query_params.multi_items())
    found = await ctx.blocking(ctx.comments.counts, params.site, params.uris)
    body = dumps({"counts": found})
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": READ_CACHE_CONTROL, **widget_headers()}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers, "application/json")
