"""GET /api/v1/challenge?site=: a proof-of-work challenge for the comment form
(backend/spam/proof.py). Never cached: each is good for one post."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import context
from backend.api.http import NO_STORE, json_response, read_params
from backend.api.schemas import SiteParams


async def challenge(request: Request) -> Response:
    ctx = context(request)
    params = read_params(request, SiteParams)
    site = ctx.comments.site(params.site)
    made = ctx.comments.spam.challenge(params.site, site)
    return json_response(made, headers={"Cache-Control": NO_STORE})
