"""Reader endpoints for comments: read a thread, post, edit, delete, like."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from backend.api.cache import Cached, KnownQuery
from backend.api.context import context, run_in_threadpool
from backend.api.http import (
    NO_STORE,
    bearer,
    client_ip,
    etag_matches,
    model_response,
    read_json,
    read_params,
    require_origin,
)
from backend.api.schemas import (
    CommentEnvelope,
    CommentOut,
    EditIn,
    LikesOut,
    PostIn,
    PostOut,
    ReadParams,
    ThreadOut,
    ThreadPageOut,
    ThreadRef,
)
from backend.domain.errors import BadRequest
from backend.domain.ids import is_ulid
from backend.domain.models import Status
from backend.domain.service import Draft

# Browsers revalidate every time; a CDN in front may serve a read for a few seconds.
READ_CACHE_CONTROL = "public, max-age=0, s-maxage=10, must-revalidate"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cached_response(request: Request, entry: Cached) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": READ_CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, 200, headers, "application/json")


def _comment_id(request: Request) -> str:
    comment_id: str = request.path_params["comment_id"]
    if not is_ulid(comment_id):
        raise BadRequest("The comment id is malformed.", fields={"id": "not a comment id"})
    return comment_id


# GET /api/v1/comments
async def read_thread(request: Request) -> Response:
    ctx = context(request)
    raw_query: bytes = request.scope["query_string"]
    if ctx.store.cheap_stamps:
        # Fast path for a query string read before: skip parsing and validating it again
        # (most of Parley's own CPU on a cached read, bench/RESULTS.md); the stamp is still
        # looked up, so a changed thread is never served from the cache.
        known = ctx.cache.known(raw_query)
        if known is not None:
            entry = ctx.cache.get(known.key, ctx.store.thread_stamp(known.site, known.uri))
            if entry is not None:
                return cached_response(request, entry)
    params = read_params(request, ReadParams)
    ctx.comments.site(params.site)
    key = (params.site, params.uri, params.after or "", str(params.limit), params.sort)
    if ctx.store.cheap_stamps:
        ctx.cache.remember(raw_query, KnownQuery(params.site, params.uri, key))
        # A primary-key lookup on a local file; in WAL mode it never waits for a writer, so it
        # runs on the event loop rather than paying for a hop to a worker thread.
        entry = ctx.cache.get(key, ctx.store.thread_stamp(params.site, params.uri))
        if entry is not None:
            return cached_response(request, entry)
    page = await run_in_threadpool(
        ctx.comments.read, params.site, params.uri, params.after, params.limit, params.sort
    )
    out = ThreadPageOut(
        thread=ThreadOut.of(params.uri, page.thread),
        comments=[CommentOut.of(c, number) for number, c in page.comments],
        next=page.next_cursor,
    )
    body = out.__pydantic_serializer__.to_json(out)
    entry = Cached(page.thread.stamp if page.thread else None, etag_of(body), body)
    if ctx.store.cheap_stamps:
        ctx.cache.put(key, entry)
    return cached_response(request, entry)


# POST /api/v1/comments
async def post_comment(request: Request) -> Response:
    ctx = context(request)
    body = await read_json(request, PostIn, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    draft = Draft(
        uri=body.uri, title=body.title, parent=body.parent, author=body.author,
        email=body.email, website=body.website, text=body.text, key=body.key, honeypot=body.hp,
        notify=body.notify,
    )  # fmt: skip
    posted, new = await run_in_threadpool(
        ctx.comments.post, body.site, draft, client_ip(request, ctx.settings)
    )
    out = PostOut(
        comment=CommentOut.of(posted.comment),
        token=posted.token,
        editable_until=posted.editable_until,
    )
    status = 201 if posted.comment.status is Status.APPROVED else 202
    if new:
        # Mails and webhooks were written to the outbox with the comment; the worker (not
        # this request) delivers them. On Lambda, Mangum waits for background tasks, so
        # nothing may run after the answer either.
        ctx.wake()
    return model_response(out, status, headers={"Cache-Control": NO_STORE})


# PATCH /api/v1/comments/{id}
async def edit_comment(request: Request) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    body = await read_json(request, EditIn, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    comment = await run_in_threadpool(
        ctx.comments.edit, body.site, body.uri, comment_id, bearer(request), body.text
    )
    if comment.status is Status.PENDING:
        ctx.wake()  # an edit held for moderation was written to the outbox: deliver it
    return model_response(
        CommentEnvelope(comment=CommentOut.of(comment)), headers={"Cache-Control": NO_STORE}
    )


# DELETE /api/v1/comments/{id}?site=&uri=
async def delete_comment(request: Request) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    params = read_params(request, ThreadRef)
    require_origin(request, ctx.comments.site(params.site))
    await run_in_threadpool(
        ctx.comments.delete, params.site, params.uri, comment_id, bearer(request)
    )
    return Response(status_code=204)


# POST /api/v1/comments/{id}/likes
async def like_comment(request: Request) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    body = await read_json(request, ThreadRef, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    likes = await run_in_threadpool(
        ctx.comments.like, body.site, body.uri, comment_id, client_ip(request, ctx.settings)
    )
    return model_response(LikesOut(likes=likes), headers={"Cache-Control": NO_STORE})


# DELETE /api/v1/comments/{id}/likes
async def unlike_comment(request: Request) -> Response:
    ctx = context(request)
    comment_id = _comment_id(request)
    body = await read_json(request, ThreadRef, ctx.settings.max_body_bytes)
    require_origin(request, ctx.comments.site(body.site))
    likes = await run_in_threadpool(
        ctx.comments.unlike, body.site, body.uri, comment_id, client_ip(request, ctx.settings)
    )
    return model_response(LikesOut(likes=likes), headers={"Cache-Control": NO_STORE})
