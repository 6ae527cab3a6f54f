"""Links from readers' mail: `/subscriptions/{signed}` confirms a subscription, unsubscribes
from one comment's replies, or stops all of a site's mail.

GET only shows a page with a button (mail scanners fetch every link; a GET changes nothing).
The button is a plain form POST back to the same URL, and the POST acts; so does a mail
client's RFC 8058 one-click unsubscribe, a POST with `List-Unsubscribe=One-Click`. The
signature alone authorises. A link that is expired, tampered with or already used gets a page
that says so, never a 500.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import Response

from backend.api.context import Context, context
from backend.api.moderate import MAX_FORM_BYTES, error_page, page, post_link
from backend.domain import errors
from backend.notify.subscriptions import CONFIRM, UNSUBSCRIBE, LinkTarget

ASK = {
    CONFIRM: ("Email me replies?", "Confirm"),
    UNSUBSCRIBE: ("Stop mail about replies?", "Unsubscribe"),
}
ASK_ALL = ("Stop all mail from {site}?", "Stop all mail")
DONE = {
    CONFIRM: ("Subscribed", "You will get an email when someone replies to this comment."),
    UNSUBSCRIBE: ("Unsubscribed", "You will get no more mail about replies to this comment."),
}
DONE_ALL = ("Unsubscribed", "You will get no more mail from {site}.")
AGAIN = {
    CONFIRM: ("Already subscribed", "This link was already used: you are subscribed."),
    UNSUBSCRIBE: ("Already unsubscribed", "This link was already used: you are unsubscribed."),
}
AGAIN_ALL = ("Already unsubscribed", "This address already gets no mail from {site}.")


def _words(
    target: LinkTarget, table: dict[str, tuple[str, str]], all_: tuple[str, str]
) -> tuple[str, str]:
    title, text = table.get(target.action, all_)
    return title.format(site=target.site), text.format(site=target.site)


async def _about(ctx: Context, target: LinkTarget) -> str:
    if target.comment is None:
        return ""
    c = target.comment
    return (
        f'<p class="meta">Your comment on {await post_link(ctx, c)}:</p>'
        f"<blockquote>{escape(c.text)}</blockquote>"
    )


# GET /subscriptions/{signed} — shows, never acts
async def confirm(request: Request) -> Response:
    ctx = context(request)
    try:
        target = await ctx.blocking(ctx.subscriptions.open_link, request.path_params["signed"])
    except errors.ParleyError as exc:
        return error_page(exc)
    if target.done:
        title, text = _words(target, AGAIN, AGAIN_ALL)
        return page(title, f"<p>{escape(text)}</p>" + await _about(ctx, target))
    title, button = _words(target, ASK, ASK_ALL)
    body = await _about(ctx, target) + (
        '<form method="post"><input type="hidden" name="action" value="yes">'
        f'<button type="submit" autofocus>{escape(button)}</button></form>'
    )
    return page(title, body)


# POST /subscriptions/{signed} — the page's button, or a mail client's one-click unsubscribe
async def act(request: Request) -> Response:
    ctx = context(request)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            return error_page(errors.BodyTooLarge())
    try:
        target = await ctx.blocking(ctx.subscriptions.follow_link, request.path_params["signed"])
    except errors.ParleyError as exc:
        return error_page(exc)
    title, text = _words(
        target, AGAIN if target.done else DONE, AGAIN_ALL if target.done else DONE_ALL
    )
    return page(title, f"<p>{escape(text)}</p>" + await _about(ctx, target))
