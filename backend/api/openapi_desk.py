"""The OpenAPI paths of the owner's desk (replies as the author, pins, blocks, search) and of a
site's recent comments; backend/api/openapi.py puts them in the document."""

from __future__ import annotations

from typing import Any

from backend.api import desk_schemas as d
from backend.api import recent_schemas as r
from backend.api import schemas as s
from backend.api.openapi import (
    ADMIN_ERRORS,
    BEARER,
    READ_ERRORS,
    _admin_post,
    _errors,
    _json,
    _query,
)


def recent_paths() -> dict[str, Any]:
    """A site's latest approved comments, as JSON and as an HTML fragment."""
    return {
        "/api/v1/recent": {
            "get": {
                "summary": "The site's latest approved comments (cached for a minute)",
                "operationId": "recent",
                "parameters": _query(r.RecentParams),
                "responses": {
                    "200": _json(r.RecentOut, "Newest first"),
                    "304": {"description": "Not modified (If-None-Match)"},
                    **_errors(READ_ERRORS),
                },
            }
        },
        "/api/v1/recent.html": {
            "get": {
                "summary": "The site's latest approved comments as an HTML list, for build time",
                "operationId": "recentHtml",
                "parameters": _query(r.RecentParams),
                "responses": {
                    "200": {
                        "description": '<ul class="parley-recent">, one link a comment',
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Not modified (If-None-Match)"},
                    **_errors(READ_ERRORS),
                },
            }
        },
    }


def desk_paths() -> dict[str, Any]:
    """The owner's desk: replies as the author, pins, blocks (admin token)."""
    reply = _admin_post(
        "Reply as the site's author: published at once, with the author badge",
        "ownerReply", d.OwnerReplyIn, d.OwnerReplyOut, (409,),
    )  # fmt: skip
    reply["post"]["responses"]["201"] = reply["post"]["responses"].pop("200")
    add = _admin_post(
        "Block the network or the email address of a comment", "addBlock", d.BlockIn,
        d.BlockEnvelope,
    )  # fmt: skip
    add["post"]["responses"]["201"] = add["post"]["responses"].pop("200")
    blocks = {
        "get": {
            "summary": "The site's blocks, newest first",
            "operationId": "listBlocks",
            "security": BEARER,
            "parameters": _query(s.SiteParams),
            "responses": {"200": _json(d.BlocksOut, "The blocks"), **_errors(ADMIN_ERRORS)},
        },
        "delete": {
            "summary": "Lift a block",
            "operationId": "removeBlock",
            "security": BEARER,
            "parameters": _query(d.BlockKeyParams),
            "responses": {"204": {"description": "Lifted"}, **_errors(ADMIN_ERRORS)},
        },
        **add,
    }
    return {
        "/api/v1/admin/replies": reply,
        "/api/v1/admin/threads/pin": _admin_post(
            "Pin one comment first in its thread, or unpin",
            "pinComment",
            d.PinIn,
            s.ThreadEnvelope,
        ),
        "/api/v1/admin/blocks": blocks,
        "/api/v1/admin/search": _admin_post(
            "Search the site's comments by words, author, exact email and page, newest first",
            "searchComments",
            d.SearchIn,
            d.SearchOut,
        ),
    }
