"""Comment counts for many pages at once (index pages, "7 Comments" links)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.comments import READ_CACHE_CONTROL, etag_of
from backend.api.context import context, run_in_threadpool
from backend.api.http import etag_matches, read_params
from backend.api.schemas import CountsOut, CountsParams


# GET /api/v1/counts?site=&uri=&uri=
async def counts(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, CountsParams, lists=("uri",))
    found = await run_in_threadpool(ctx.comments.counts, params.site, params.uri)
    out = CountsOut(counts=found)
    body = out.__pydantic_serializer__.to_json(out)
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": READ_CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers, "application/json")
