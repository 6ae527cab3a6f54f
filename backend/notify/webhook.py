"""Webhooks: the body, in a shape Slack and Discord incoming webhooks accept (`text` for
Slack, `content` for Discord) plus a generic `parley` object for anything else, and its
signature.

Commenter text is escaped for each chat format: a comment must not ping a channel
(`@everyone`, `<!channel>`), forge a link (`[Approve](https://evil)`) or break the markup.

Every POST is signed as Standard Webhooks (standardwebhooks.com) sign: `webhook-id` (the same
on every retry of one delivery), `webhook-timestamp` (the attempt's time, epoch seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the bytes
of the site's webhook secret, which the owner is shown as `whsec_` + their base64
(`standard_secret`). A receiver refuses an old timestamp, so a captured delivery cannot be
replayed later. For one release more, `X-Parley-Signature: sha256=<hex>` (the body alone, the
same key) and `X-Parley-Delivery` are sent too (docs/notifications.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from backend.domain.models import Comment, Status
from backend.domain.tokens import Signer
from backend.settings import SiteConfig

EXCERPT_CHARS = 500
DISCORD_MAX = 2000

_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>\[\]()#:<-])")


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are the only control characters (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_escape(text: str) -> str:
    """Discord markdown: backslash every markup character, and break @everyone / @here with a
    zero-width space (allowed_mentions is also empty: belt and braces)."""
    text = _DISCORD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"@(everyone|here)", "@\u200b\\1", text, flags=re.IGNORECASE)


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def secret_for(signer: Signer, site_name: str, site: SiteConfig) -> str:
    """The site's webhook secret: configured, or derived from the first secret key."""
    return site.webhook_secret or signer.keyed_hash("webhook-secret", site_name, 24)


def signature(secret: str, body: bytes) -> str:
    """The old header's value (`X-Parley-Signature`): the body alone, without a timestamp.
    Kept for one release beside `standard_headers`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_secret(secret: str) -> str:
    """The secret as Standard Webhooks libraries take it: `whsec_` + base64 of its bytes."""
    return "whsec_" + base64.b64encode(secret.encode()).decode("ascii")


def standard_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Standard Webhooks' three headers for one attempt to deliver `body`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(mac).decode("ascii"),
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def headline_of(comment: Comment, *, edited: bool) -> str:
    """The message's first words: what happened to the comment."""
    if edited:
        return "Edited comment awaiting moderation"
    if comment.status is Status.PENDING:
        return "New comment awaiting moderation"
    return "New comment"


def payload(comment: Comment, links: dict[str, str], *, edited: bool = False) -> dict[str, Any]:
    """The body of a webhook: `links` are the one-click moderation links (held comments)."""
    pending = comment.status is Status.PENDING
    headline = headline_of(comment, edited=edited)
    event_name = "comment.edited" if edited else ("comment.pending" if pending else "comment.new")
    where = f"{comment.site} {comment.uri}"
    words = excerpt(comment.text)

    slack = f"*{headline}* on {slack_escape(where)}\n"
    slack += f"*{slack_escape(comment.author)}* says:\n>{slack_escape(words)}"
    discord = f"**{headline}** on {discord_escape(where)}\n"
    discord_tail = ""
    if links:
        slack += "\n" + " · ".join(f"<{url}|{name.title()}>" for name, url in links.items())
        discord_tail = "\n" + " · ".join(
            f"[{name.title()}](<{url}>)" for name, url in links.items()
        )
    body = f"**{discord_escape(comment.author)}** says:\n> {discord_escape(words)}"
    room = DISCORD_MAX - len(discord) - len(discord_tail)
    discord += (body if len(body) <= room else body[: room - 1] + "…") + discord_tail
    return {
        "text": slack,
        "content": discord,
        "allowed_mentions": {"parse": []},
        "parley": {
            "event": event_name,
            "site": comment.site,
            "uri": comment.uri,
            "comment": {
                "id": comment.id,
                "parent": comment.parent,
                "author": comment.author,
                "website": comment.website,
                "text": comment.text,
                "status": comment.status.value,
                "created": comment.created.isoformat(),
            },
            "links": links,
        },
    }
