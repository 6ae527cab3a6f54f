"""Binding a thread to its announcement post on Mastodon or Bluesky (the owner's, by admin
token): the worker then pulls the post's replies into the thread (backend/inbound/pull.py).
Imported on first use (backend/api/lazy.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import context
from backend.api.http import NO_STORE, bearer, json_response, read_json
from backend.api.schemas import AnnounceIn


# POST /api/v1/admin/threads/announce
async def announce(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, AnnounceIn, ctx.settings.max_body_bytes)
    ctx.moderation.authorize(body.site, bearer(request))
    from backend.inbound.bind import bind, unbind

    if body.bound:
        done = await ctx.blocking(
            bind, ctx.store, body.site, body.uri, body.url, body.api, ctx.clock()
        )
        ctx.wake()
    else:
        done = await ctx.blocking(
            unbind, ctx.store, body.site, body.uri, body.url, body.api, ctx.clock()
        )
    post = done.post
    out = {"uri": body.uri, "network": post.kind.value, "url": post.url, "bound": done.bound}
    return json_response(out, headers={"Cache-Control": NO_STORE})
