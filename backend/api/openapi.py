"""openapi.json, generated from the same pydantic models the handlers validate and serialize
with, so the document cannot drift from the code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from backend.api import desk_schemas as d
from backend.api import inbound_schemas as w
from backend.api import recent_schemas as r
from backend.api import schemas as s

REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class Document:
    """openapi.json built once a process (backend/api/meta.py), as served: plain, gzipped,
    and its ETag."""

    plain: bytes
    gzipped: bytes
    tag: str


# Status codes each kind of endpoint can answer with besides success.
READ_ERRORS = (400, 404, 503)
WRITE_ERRORS = (400, 403, 404, 413, 415, 422, 429, 503)
TOKEN_ERRORS = (*WRITE_ERRORS, 401)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(codes: tuple[int, ...]) -> dict[str, Any]:
    return {str(code): _json(s.ErrorOut, "Error") for code in codes}


def _query(model: type[BaseModel], lists: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        if name in lists:
            prop = {"type": "array", "items": prop.get("items", {"type": "string"})}
        params.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "schema": prop,
                **({"style": "form", "explode": True} if name in lists else {}),
            }
        )
    return params


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


ID_PARAM = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"},
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


@cache
def openapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        s.PostIn, s.EditIn, s.ThreadRef, s.ThreadPageOut, s.PostOut, s.CommentEnvelope,
        s.LikesOut, s.CountsOut, s.HealthOut, s.ErrorOut,
        s.LockIn, s.EmailIn, s.QueueOut, s.AdminCommentEnvelope, s.ThreadEnvelope, s.ExportOut,
        s.ErasedOut, s.StatusCountsOut, w.WebmentionIn, w.WebmentionOut, w.AnnounceIn,
        w.AnnounceOut, w.SuggestIn, w.SuggestOut,
        d.OwnerReplyIn, d.OwnerReplyOut, d.PinIn, d.BlockIn, d.BlockEnvelope, d.BlocksOut,
        s.ChallengeOut, r.RecentOut,
    ]  # fmt: skip
    _, defs = models_json_schema(
        [(m, "validation" if m.__name__.endswith(("In", "Ref")) else "serialization")
         for m in models],
        ref_template=REF,
    )  # fmt: skip
    paths: dict[str, Any] = {
        "/api/v1/comments": {
            "get": {
                "summary": "Read a thread (oldest first unless sorted)",
                "operationId": "readThread",
                "parameters": _query(s.ReadParams),
                "responses": {
                    "200": _json(s.ThreadPageOut, "One page of the thread"),
                    "204": {"description": "The thread built into the page is current (built)"},
                    "304": {"description": "Not modified (If-None-Match)"},
                    **_errors(READ_ERRORS),
                },
            },
            "post": {
                "summary": "Post a comment",
                "operationId": "postComment",
                "requestBody": _body(s.PostIn),
                "responses": {
                    "201": _json(s.PostOut, "Published"),
                    "202": _json(s.PostOut, "Held for moderation"),
                    **_errors((*WRITE_ERRORS, 409)),
                },
            },
        },
        "/api/v1/comments/{id}": {
            "patch": {
                "summary": "Edit one's own comment within the edit window",
                "operationId": "editComment",
                "security": BEARER,
                "parameters": [ID_PARAM],
                "requestBody": _body(s.EditIn),
                "responses": {"200": _json(s.CommentEnvelope, "Edited"), **_errors(TOKEN_ERRORS)},
            },
            "delete": {
                "summary": "Delete one's own comment within the edit window",
                "operationId": "deleteComment",
                "security": BEARER,
                "parameters": [ID_PARAM, *_query(s.ThreadRef)],
                "responses": {"204": {"description": "Deleted"}, **_errors(TOKEN_ERRORS)},
            },
        },
        "/api/v1/comments/{id}/likes": {
            "post": {
                "summary": "Like a comment (once per reader)",
                "operationId": "likeComment",
                "parameters": [ID_PARAM],
                "requestBody": _body(s.ThreadRef),
                "responses": {"200": _json(s.LikesOut, "The like count"), **_errors(WRITE_ERRORS)},
            },
            "delete": {
                "summary": "Take this reader's like back (twice changes nothing)",
                "operationId": "unlikeComment",
                "parameters": [ID_PARAM],
                "requestBody": _body(s.ThreadRef),
                "responses": {"200": _json(s.LikesOut, "The like count"), **_errors(WRITE_ERRORS)},
            },
        },
        "/api/v1/comments.html": {
            "get": {
                "summary": "The approved thread as an HTML fragment without script",
                "operationId": "threadHtml",
                "parameters": _query(s.HtmlParams),
                "responses": {
                    "200": {
                        "description": "HTML fragment with schema.org Comment microdata",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Not modified (If-None-Match)"},
                    **_errors(READ_ERRORS),
                },
            }
        },
        "/api/v1/counts": {
            "get": {
                "summary": "Approved comment counts for up to 100 pages",
                "operationId": "counts",
                "parameters": _query(s.CountsParams, lists=("uri",)),
                "responses": {"200": _json(s.CountsOut, "Counts by uri"), **_errors(READ_ERRORS)},
            }
        },
        "/api/v1/challenge": {
            "get": {
                "summary": "A proof-of-work challenge (ALTCHA v2, PBKDF2/SHA-256) for a post",
                "operationId": "challenge",
                "parameters": _query(s.SiteParams),
                "responses": {
                    "200": _json(s.ChallengeOut, "The challenge, as the altcha library makes it"),
                    **_errors(READ_ERRORS),
                },
            }
        },
        "/api/v1/feed.atom": {
            "get": {
                "summary": "Atom feed of the newest approved comments",
                "operationId": "feed",
                "parameters": _query(s.FeedParams),
                "responses": {
                    "200": {
                        "description": "Atom feed",
                        "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                    },
                    **_errors(READ_ERRORS),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "operationId": "healthz",
                "responses": {"200": _json(s.HealthOut, "Alive")},
            }
        },
    }
    paths["/webmention"] = {
        "post": {
            "summary": "Receive a Webmention (W3C); verified later by the worker",
            "operationId": "webmention",
            "requestBody": {
                "required": True,
                "content": {"application/x-www-form-urlencoded": {"schema": _ref(w.WebmentionIn)}},
            },
            "responses": {
                "202": _json(w.WebmentionOut, "Queued for verification"),
                **_errors((400, 404, 413, 415, 429, 503)),
            },
        }
    }
    paths["/api/v1/announce"] = {
        "post": {
            "summary": "A page suggesting its announcement post; the worker binds the thread "
            "only if the post is by one of the site's announce_accounts and links to the page",
            "operationId": "suggestAnnouncement",
            "requestBody": _body(w.SuggestIn),
            "responses": {
                "202": _json(
                    w.SuggestOut,
                    "Queued for a check; or none queued: one was made lately, or no "
                    "announce_accounts could have written the post",
                ),
                **_errors(WRITE_ERRORS),
            },
        }
    }
    from backend.api.openapi_desk import recent_paths  # it builds on this module

    paths.update(recent_paths())
    paths.update(_admin_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "Parley", "version": "1", "description": "Comments for static sites."},
        "paths": paths,
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


ADMIN_ERRORS = (400, 401, 403, 404, 415, 422, 503)


def _admin_post(
    summary: str, op: str, body: type[BaseModel], out: type[BaseModel], extra: tuple[int, ...] = ()
) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "operationId": op,
            "security": BEARER,
            "requestBody": _body(body),
            "responses": {"200": _json(out, "Done"), **_errors((*ADMIN_ERRORS, *extra))},
        }
    }


def _admin_paths() -> dict[str, Any]:
    """The admin endpoints (Authorization: Bearer <the site's admin token>)."""
    action = {"name": "action", "in": "path", "required": True,
              "schema": {"type": "string", "enum": ["approve", "reject", "spam", "delete",
                                                    "restore"]}}  # fmt: skip
    act = _admin_post(
        "Moderate a comment", "moderateComment", s.ThreadRef, s.AdminCommentEnvelope, (409,)
    )
    act["post"]["parameters"] = [ID_PARAM, action]
    from backend.api.openapi_desk import desk_paths

    return {
        "/api/v1/admin/comments": {
            "get": {
                "summary": "The moderation queue of one status, newest first, with emails",
                "operationId": "adminQueue",
                "security": BEARER,
                "parameters": _query(s.QueueParams),
                "responses": {"200": _json(s.QueueOut, "One page"), **_errors(ADMIN_ERRORS)},
            }
        },
        "/api/v1/admin/counts": {
            "get": {
                "summary": "How many comments each queue holds (up to 1000 each)",
                "operationId": "adminCounts",
                "security": BEARER,
                "parameters": _query(s.SiteParams),
                "responses": {
                    "200": _json(s.StatusCountsOut, "Counts by status"),
                    **_errors(ADMIN_ERRORS),
                },
            }
        },
        "/api/v1/admin/comments/{id}/{action}": act,
        "/api/v1/admin/threads/lock": _admin_post(
            "Lock or unlock a thread", "lockThread", s.LockIn, s.ThreadEnvelope
        ),
        "/api/v1/admin/threads/announce": _admin_post(
            "Bind a thread to its announcement post (Mastodon, Bluesky), or unbind it",
            "announceThread",
            w.AnnounceIn,
            w.AnnounceOut,
            (409,),
        ),
        "/api/v1/admin/export": _admin_post(
            "Every comment of an email address on the site",
            "exportEmail",
            s.EmailIn,
            s.ExportOut,
        ),
        "/api/v1/admin/erase": _admin_post(
            "Erase every comment of an email address on the site",
            "eraseEmail",
            s.EmailIn,
            s.ErasedOut,
        ),
        **desk_paths(),
    }
