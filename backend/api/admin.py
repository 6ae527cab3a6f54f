"""Admin endpoints: the moderation queue, actions, thread locks and privacy requests.

Every handler authorises with the site's admin bearer token before touching anything; the
token is not a cookie, so a cross-site page cannot make a browser send it (no CSRF), and these
answers are never cached.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import Context, context
from backend.api.http import NO_STORE, bearer, model_response, read_json, read_params
from backend.api.schemas import (
    AdminCommentEnvelope,
    AdminCommentOut,
    EmailIn,
    ErasedOut,
    ExportOut,
    LockIn,
    QueueOut,
    QueueParams,
    SiteParams,
    StatusCountsOut,
    ThreadEnvelope,
    ThreadOut,
    ThreadRef,
)
from backend.domain.errors import BadRequest, CommentNotFound
from backend.domain.ids import is_ulid
from backend.domain.models import Status
from backend.domain.moderation import ACTIONS

_PRIVATE = {"Cache-Control": NO_STORE}


def _authorize(request: Request, ctx: Context, site: str) -> str | None:
    """Check the token; returns the site's page origin (its first origin without a wildcard)."""
    config = ctx.moderation.authorize(site, bearer(request))
    return next((o for o in config.origins if not o.endswith(":*")), None)


# GET /api/v1/admin/comments?site=&status=&after=&limit=
async def queue(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, QueueParams)
    origin = _authorize(request, ctx, params.site)
    page = await ctx.blocking(
        ctx.moderation.queue, params.site, Status(params.status), params.after, params.limit
    )
    comments = [AdminCommentOut.of(c, origin) for c in page.comments]
    out = QueueOut(comments=comments, next=page.next_after)
    return model_response(out, headers=_PRIVATE)


# GET /api/v1/admin/counts?site=
async def status_counts(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, SiteParams)
    _authorize(request, ctx, params.site)
    counts = await ctx.blocking(ctx.moderation.status_counts, params.site)
    return model_response(StatusCountsOut(counts=counts), headers=_PRIVATE)


# POST /api/v1/admin/comments/{id}/{action}
async def act(request: Request) -> Response:
    ctx = context(request)
    comment_id: str = request.path_params["comment_id"]
    action: str = request.path_params["action"]
    if action not in ACTIONS:
        raise CommentNotFound("No such action.")
    if not is_ulid(comment_id):
        raise BadRequest("The comment id is malformed.", fields={"id": "not a comment id"})
    body = await read_json(request, ThreadRef, ctx.settings.max_body_bytes)
    _authorize(request, ctx, body.site)
    comment = await ctx.blocking(ctx.moderation.act, body.site, body.uri, comment_id, action)
    out = AdminCommentEnvelope(comment=AdminCommentOut.of(comment))
    return model_response(out, headers=_PRIVATE)


# POST /api/v1/admin/threads/lock
async def lock(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, LockIn, ctx.settings.max_body_bytes)
    _authorize(request, ctx, body.site)
    thread = await ctx.blocking(ctx.moderation.lock, body.site, body.uri, body.locked)
    return model_response(ThreadEnvelope(thread=ThreadOut.of(body.uri, thread)), headers=_PRIVATE)


# POST /api/v1/admin/export {site, email} — a POST, so the address stays out of access logs
async def export(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, EmailIn, ctx.settings.max_body_bytes)
    _authorize(request, ctx, body.site)
    comments = await ctx.blocking(ctx.moderation.comments_of, body.site, body.email)
    out = ExportOut(email=body.email, comments=[AdminCommentOut.of(c) for c in comments])
    return model_response(out, headers=_PRIVATE)


# POST /api/v1/admin/erase {site, email}
async def erase(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, EmailIn, ctx.settings.max_body_bytes)
    _authorize(request, ctx, body.site)
    erased = await ctx.blocking(ctx.moderation.erase_email, body.site, body.email)
    return model_response(ErasedOut(erased=erased), headers=_PRIVATE)
