"""Webhook notifications of new comments, in a shape Slack and Discord incoming webhooks accept
(`text` for Slack, `content` for Discord) plus a generic `parley` object for anything else.

Sent after the reader's response (a background task), with a short timeout and a few retries;
a failure is logged and never reaches the reader. httpx is imported on first use, not at cold
start. Commenter text is escaped for each chat format: a comment must not ping a channel
(`@everyone`, `<!channel>`), forge a link (`[Approve](https://evil)`) or break the markup.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from backend.domain.models import Comment, Status
from backend.settings import Settings, SiteConfig

log = logging.getLogger("parley.notify")

EXCERPT_CHARS = 500
DISCORD_MAX = 2000
RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})

_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>\[\]()#:<-])")


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are the only control characters (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_escape(text: str) -> str:
    """Discord markdown: backslash every markup character, and break @everyone / @here with a
    zero-width space (allowed_mentions is also empty: belt and braces)."""
    text = _DISCORD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"@(everyone|here)", "@\u200b\\1", text, flags=re.IGNORECASE)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


@dataclass
class Notifier:
    settings: Settings
    links: Callable[[Comment], dict[str, str]]
    timeout_s: float = 3.0
    attempts: int = 3
    backoff_s: Sequence[float] = (0.5, 2.0)
    sleep: Callable[[float], None] = time.sleep

    def wants(self, site: SiteConfig, comment: Comment) -> bool:
        if site.webhook is None or comment.status is Status.SPAM:
            return False
        if site.notify == "all":
            return True
        return site.notify == "pending" and comment.status is Status.PENDING

    def payload(self, comment: Comment) -> dict[str, Any]:
        pending = comment.status is Status.PENDING
        links = self.links(comment) if pending else {}
        noun = "Edited comment" if comment.edited else "New comment"
        headline = f"{noun} awaiting moderation" if pending else noun
        where = f"{comment.site} {comment.uri}"
        excerpt = _excerpt(comment.text)

        slack = f"*{headline}* on {slack_escape(where)}\n"
        slack += f"*{slack_escape(comment.author)}* says:\n>{slack_escape(excerpt)}"
        discord = f"**{headline}** on {discord_escape(where)}\n"
        discord_tail = ""
        if links:
            slack += "\n" + " · ".join(f"<{url}|{name.title()}>" for name, url in links.items())
            discord_tail = "\n" + " · ".join(
                f"[{name.title()}](<{url}>)" for name, url in links.items()
            )
        body = f"**{discord_escape(comment.author)}** says:\n> {discord_escape(excerpt)}"
        room = DISCORD_MAX - len(discord) - len(discord_tail)
        discord += (body if len(body) <= room else body[: room - 1] + "…") + discord_tail
        return {
            "text": slack,
            "content": discord,
            "allowed_mentions": {"parse": []},
            "parley": {
                "event": "comment.pending" if pending else "comment.new",
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
                    "edited": comment.edited.isoformat() if comment.edited else None,
                },
                "links": links,
            },
        }

    def send(self, site: SiteConfig, comment: Comment) -> bool:
        """POST the payload, retrying transient failures. Never raises; returns success."""
        if site.webhook is None:
            return False
        import httpx  # lazily: most cold starts never notify

        payload = self.payload(comment)
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.post(
                    site.webhook, json=payload, timeout=self.timeout_s, follow_redirects=False
                )
                if response.status_code < 300:
                    return True
                problem = f"status {response.status_code}"
                retry = response.status_code in RETRYABLE
            except httpx.HTTPError as exc:
                problem, retry = f"{type(exc).__name__}: {exc}", True
            if not retry or attempt == self.attempts:
                log.warning(
                    "webhook for site %s failed (%s) after %d attempt(s); comment %s",
                    comment.site, problem, attempt, comment.id,
                )  # fmt: skip
                return False
            self.sleep(self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)])
        return False
