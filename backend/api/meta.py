"""Health, the OpenAPI document, and the static files: widget, demo page, admin page."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from backend.api.errors import error_response
from backend.api.http import json_response
from backend.api.openapi import openapi_document

STATIC = Path(__file__).resolve().parent.parent / "static"


# GET /healthz
async def healthz(request: Request) -> Response:
    return json_response({"ok": True}, headers={"Cache-Control": "no-store"})


# GET /api/v1/openapi.json
async def openapi(request: Request) -> Response:
    return json_response(openapi_document(), headers={"Cache-Control": "public, max-age=3600"})


def static_file(
    name: str, media_type: str, cache_control: str, missing: str, **extra: str
) -> object:
    path = STATIC / name
    headers = {"Cache-Control": cache_control, **extra}

    async def endpoint(request: Request) -> Response:
        if not path.is_file():
            return error_response(404, "not_found", missing)
        return FileResponse(path, media_type=media_type, headers=headers)

    return endpoint


# GET /embed.js — not content-hashed, so caches keep it only briefly.
embed_js = static_file(
    "embed.js",
    "text/javascript; charset=utf-8",
    "public, max-age=300",
    "The widget is not built yet: run `make dev` (or `node widget/build.mjs`).",
)

# GET /admin — never framed: a framing page could trick an admin into clicking (X-Frame-Options
# says the same for older browsers; see SecurityHeaders).
admin_page = static_file(
    "admin/index.html",
    "text/html; charset=utf-8",
    "no-cache",
    "The moderation page is missing.",
    **{"Content-Security-Policy": "frame-ancestors 'none'"},
)
