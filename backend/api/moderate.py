"""One-click moderation links from notifications: `/moderate/{signed}`.

GET only shows a confirm page: mail and chat apps fetch links to preview or scan them, so a GET
must change nothing. The page's button is a plain form POST back to the same URL, and that POST
acts. The signature alone authorises (no token, no Origin): it is bound to one comment and one
action and expires. Every value from a commenter is HTML-escaped; the page runs no script.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from backend.api.context import Context, context
from backend.api.errors import STATUS_TABLE
from backend.domain import errors
from backend.domain.models import Comment

MAX_FORM_BYTES = 1024
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Robots-Tag": "noindex",
}
VERBS = {"approve": "Approve", "spam": "Mark as spam", "delete": "Delete"}
QUESTIONS = {
    "approve": "Approve this comment?",
    "spam": "Mark this comment as spam?",
    "delete": "Delete this comment?",
}
DONE = {"approve": "approved", "spam": "marked as spam", "delete": "deleted"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · Parley</title>
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;background:#fff}}
blockquote{{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #bbb;background:#f6f6f6;
white-space:pre-wrap;overflow-wrap:anywhere}}
button{{font:inherit;padding:.5rem 1.25rem;border-radius:4px;border:1px solid #333;
background:#1b1b1b;color:#fff;cursor:pointer}}
button:focus-visible{{outline:3px solid #2a6ef5;outline-offset:2px}}
.meta{{color:#555}}
</style></head>
<body><main>
<h1>{title}</h1>
{body}
</main></body></html>
"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = PAGE.format(title=escape(title), body=body)
    return HTMLResponse(html, status, headers=HEADERS)


async def post_link(ctx: Context, comment: Comment) -> str:
    """The post a comment is on, named by its thread's title (else its path) and linked back
    to the page on the site's first origin."""
    thread = await ctx.blocking(ctx.store.get_thread, comment.site, comment.uri)
    name = escape((thread.title if thread else "") or comment.uri)
    site = ctx.settings.sites.get(comment.site)
    origin = site.page_origin if site else None
    return f'<a href="{escape(origin + comment.uri)}">{name}</a>' if origin else name


async def _comment_html(ctx: Context, comment: Comment) -> str:
    when = comment.created.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'<p class="meta">On {await post_link(ctx, comment)}, {escape(when)}, status '
        f"<strong>{escape(comment.status.value)}</strong>:</p>"
        f"<p><strong>{escape(comment.author)}</strong> says:</p>"
        f"<blockquote>{escape(comment.text)}</blockquote>"
    )


def error_page(exc: errors.ParleyError) -> HTMLResponse:
    for cls, status, _ in STATUS_TABLE:
        if isinstance(exc, cls):
            return page("This link cannot be used", f"<p>{escape(exc.message)}</p>", status)
    return page("This link cannot be used", "<p>Something went wrong.</p>", 500)


# GET /moderate/{signed} — shows, never acts
async def confirm(request: Request) -> Response:
    ctx = context(request)
    try:
        target = await ctx.blocking(ctx.moderation.open_link, request.path_params["signed"])
    except errors.ParleyError as exc:
        return error_page(exc)
    verb = VERBS[target.action]
    body = await _comment_html(ctx, target.comment) + (
        '<form method="post">'
        f'<input type="hidden" name="action" value="{escape(target.action)}">'
        f'<button type="submit" autofocus>{escape(verb)}</button></form>'
    )
    return page(QUESTIONS[target.action], body)


# POST /moderate/{signed} — a plain form post from the confirm page
async def act(request: Request) -> Response:
    ctx = context(request)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            return error_page(errors.BodyTooLarge())
    form = parse_qs(raw.decode("utf-8", "replace"))
    action = form.get("action", [""])[0]
    try:
        comment = await ctx.blocking(
            ctx.moderation.follow_link, request.path_params["signed"], action
        )
    except errors.ParleyError as exc:
        return error_page(exc)
    return page(f"Comment {DONE[action]}", await _comment_html(ctx, comment))
