"""The Webmention endpoint (W3C Webmention): another site tells us one of its pages links to
one of ours. Imported on first use (backend/api/lazy.py).

Exempt from the reader's JSON-only and Origin rules, as the recommendation requires: senders
are servers posting a form, not browsers on the site. Nothing is fetched here: the request is
checked, bounded and queued (backend/inbound/receive.py); the worker verifies it later.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import context
from backend.api.http import NO_STORE, client_ip, json_response
from backend.domain import errors

MAX_BODY = 8 * 1024
FORM = "application/x-www-form-urlencoded"


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise errors.UnsupportedMediaType(f"Send the Webmention as {FORM}.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise errors.BodyTooLarge(f"The request body may be at most {MAX_BODY} bytes.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise errors.BadRequest("The body is not a form in UTF-8.") from None
    return {name: values[-1] for name, values in fields.items()}


# POST /webmention  (form: source, target; optional ?site= in the advertised endpoint)
async def receive(request: Request) -> Response:
    ctx = context(request)
    form = await _form(request)
    from backend.inbound.receive import WebmentionReceiver

    receiver = WebmentionReceiver(ctx.settings, ctx.store, ctx.signer, ctx.clock)
    queued = await ctx.blocking(
        receiver.receive,
        form.get("source", ""),
        form.get("target", ""),
        client_ip(request, ctx.settings),
        request.query_params.get("site"),
    )
    if queued.new:
        ctx.wake()
    return json_response(
        {"status": "queued", "site": queued.site, "uri": queued.uri},
        202,
        headers={"Cache-Control": NO_STORE},
    )
