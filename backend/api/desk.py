"""The owner's desk over HTTP: reply as the author, pin, block (backend/domain/desk.py), search
(backend/domain/search.py). Each handler authorises with the site's admin token first; answers
are never cached."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.admin import _authorize
from backend.api.context import context
from backend.api.desk_schemas import (
    BlockEnvelope,
    BlockIn,
    BlockKeyParams,
    BlockOut,
    BlocksOut,
    OwnerReplyIn,
    OwnerReplyOut,
    PinIn,
    SearchIn,
    SearchOut,
)
from backend.api.http import NO_STORE, model_response, read_json, read_params
from backend.api.schemas import AdminCommentOut, SiteParams, ThreadEnvelope, ThreadOut
from backend.domain.models import Status
from backend.domain.search import SearchQuery
from backend.domain.search import search as run

_PRIVATE = {"Cache-Control": NO_STORE}


# POST /api/v1/admin/replies {site, uri, parent?, author?, text, key}
async def reply(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, OwnerReplyIn, ctx.settings.max_body_bytes)
    origin = _authorize(request, ctx, body.site)
    comment = await ctx.blocking(
        ctx.desk.reply, body.site, body.uri, body.parent, body.text, body.author, body.key
    )
    ctx.wake()  # a reply mails the reader who asked for replies
    out = OwnerReplyOut(comment=AdminCommentOut.of(comment, origin))
    return model_response(out, 201, headers=_PRIVATE)


# POST /api/v1/admin/threads/pin {site, uri, comment_id|null}
async def pin(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, PinIn, ctx.settings.max_body_bytes)
    _authorize(request, ctx, body.site)
    thread = await ctx.blocking(ctx.desk.pin, body.site, body.uri, body.comment_id)
    return model_response(ThreadEnvelope(thread=ThreadOut.of(body.uri, thread)), headers=_PRIVATE)


# GET /api/v1/admin/blocks?site=
async def blocks(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, SiteParams)
    _authorize(request, ctx, params.site)
    found = await ctx.blocking(ctx.desk.blocks, params.site)
    return model_response(BlocksOut(blocks=[BlockOut.of(b) for b in found]), headers=_PRIVATE)


# POST /api/v1/admin/blocks {site, uri, comment_id, by: network|email}
async def block(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, BlockIn, ctx.settings.max_body_bytes)
    _authorize(request, ctx, body.site)
    made = await ctx.blocking(ctx.desk.block, body.site, body.uri, body.comment_id, body.by)
    return model_response(BlockEnvelope(block=BlockOut.of(made)), 201, headers=_PRIVATE)


# DELETE /api/v1/admin/blocks?site=&key=
async def unblock(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, BlockKeyParams)
    _authorize(request, ctx, params.site)
    await ctx.blocking(ctx.desk.unblock, params.site, params.key)
    return Response(status_code=204, headers=_PRIVATE)


# POST /api/v1/admin/search {site, text?, author?, email?, uri?, status?, after?, limit?}
async def search(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, SearchIn, ctx.settings.max_body_bytes)
    origin = _authorize(request, ctx, body.site)
    status = None if body.status is None else Status(body.status)
    query = SearchQuery(body.text, body.author, body.email, body.uri or "", status)
    found, following = await ctx.blocking(
        run, ctx.store, ctx.signer, body.site, query, body.after, body.limit
    )
    out = SearchOut(comments=[AdminCommentOut.of(c, origin) for c in found], next=following)
    return model_response(out, headers=_PRIVATE)
