"""Binding a thread to its announcement post on Mastodon or Bluesky (the owner's, by admin
token): the worker then pulls the post's replies into the thread (backend/inbound/pull.py).
Imported on first use (backend/api/lazy.py)."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import context
from backend.api.http import (
    NO_STORE,
    bearer,
    client_ip,
    json_response,
    read_json,
    require_origin,
)
from backend.api.inbound_schemas import AnnounceIn, SuggestIn
from backend.domain import errors


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


# POST /api/v1/announce {site, uri, url}: a page's widget suggesting the page's announcement
# post (data-announce), only while the thread's `suggest_after` has passed. A suggestion binds
# nothing: the worker checks that the post links to the page (backend/inbound/suggest.py).
async def suggest(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, SuggestIn, ctx.settings.max_body_bytes)
    site = ctx.comments.site(body.site)
    require_origin(request, site)
    from backend.domain import rate
    from backend.domain.identity import client_hash
    from backend.inbound.suggest import suggest

    now = ctx.clock()
    client = client_hash(ctx.signer, body.site, client_ip(request, ctx.settings))
    await ctx.blocking(
        rate.check, ctx.store, body.site, client + ":announce", site.rate_limit_per_minute, 60, now
    )
    try:
        queued = await ctx.blocking(
            partial(suggest, mark=True), ctx.store, body.site, site, body.uri, body.url, int(now)
        )
    except ValueError as exc:
        raise errors.ValidationFailed(fields={"url": str(exc)}) from None
    if queued:
        ctx.wake()
    out = {"status": "queued" if queued else "checked lately"}
    return json_response(out, status=202, headers={"Cache-Control": NO_STORE})
