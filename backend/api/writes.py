"""The reader's writes: post, edit, delete, like and un-like a comment.

Imported on first use (backend/api/lazy.py): a page view never writes, and these bodies are
checked by pydantic models (`backend.api.schemas`), which a cold start should not pay for.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import context
from backend.api.http import (
    NO_STORE,
    bearer,
    client_ip,
    json_response,
    read_json,
    read_params,
    require_origin,
)
from backend.api.schemas import EditIn, PostIn, ThreadRef
from backend.api.views import comment_view, instant
from backend.domain.drafts import Draft
from backend.domain.errors import BadRequest
from backend.domain.ids import is_ulid
from backend.domain.models import Status


def _comment_id(request: Request) -> str:
    comment_id: str = request.path_params["comment_id"]
    if not is_ulid(comment_id):
        raise BadRequest("The comment id is malformed.", fields={"id": "not a comment id"})
    return comment_id


# POST /api/v1/comments
async def post_comment(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, PostIn, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    draft = Draft(
        uri=body.uri, title=body.title, parent=body.parent, author=body.author,
        email=body.email, website=body.website, text=body.text, key=body.key, honeypot=body.hp,
        notify=body.notify, proof=body.proof, captcha=body.captcha,
    )  # fmt: skip
    posted, new = await ctx.blocking(
        ctx.comments.post, body.site, draft, client_ip(request, ctx.settings)
    )
    out = {
        "comment": comment_view(posted.comment),
        "token": posted.token,
        "editable_until": instant(posted.editable_until),
    }
    status = 201 if posted.comment.status is Status.APPROVED else 202
    if new:
        # Mails and webhooks were written to the outbox with the comment; the worker (not
        # this request) delivers them. On Lambda, Mangum waits for background tasks, so
        # nothing may run after the answer either.
        ctx.wake()
    return json_response(out, status, headers={"Cache-Control": NO_STORE})


# PATCH /api/v1/comments/{id}
async def edit_comment(request: Request) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    body = await read_json(request, EditIn, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    comment = await ctx.blocking(
        ctx.comments.edit, body.site, body.uri, comment_id, bearer(request), body.text
    )
    if comment.status is Status.PENDING:
        ctx.wake()  # an edit held for moderation was written to the outbox: deliver it
    return json_response({"comment": comment_view(comment)}, headers={"Cache-Control": NO_STORE})


# DELETE /api/v1/comments/{id}?site=&uri=
async def delete_comment(request: Request) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    params = read_params(request, ThreadRef)
    require_origin(request, ctx.comments.site(params.site))
    await ctx.blocking(ctx.comments.delete, params.site, params.uri, comment_id, bearer(request))
    return Response(status_code=204)


# POST /api/v1/comments/{id}/likes
async def like_comment(request: Request) -> Response:
    return await _vote(request, like=True)


# DELETE /api/v1/comments/{id}/likes
async def unlike_comment(request: Request) -> Response:
    return await _vote(request, like=False)


async def _vote(request: Request, *, like: bool) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    body = await read_json(request, ThreadRef, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    move = ctx.comments.like if like else ctx.comments.unlike
    likes = await ctx.blocking(
        move, body.site, body.uri, comment_id, client_ip(request, ctx.settings)
    )
    return json_response({"likes": likes}, headers={"Cache-Control": NO_STORE})
