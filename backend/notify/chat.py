"""Chat presets for the site's webhook (`webhook_format`): the body each chat service's API
documents, instead of Parley's mixed one (webhook.py).

- `slack`: an incoming webhook, `{"text": ...}` in mrkdwn; links are `<url|label>`.
- `discord`: execute webhook, `{"content": ..., "allowed_mentions": {"parse": []}}`, content
  at most 2,000 characters.
- `telegram`: the Bot API's sendMessage, posted to the bot's method URL (the `webhook`):
  `{"chat_id", "text", "parse_mode": "HTML", "link_preview_options": {"is_disabled": true}}`.

Each message names the site, the page (linked), the author and an excerpt, and carries the
one-click moderation links of a held comment. Every word a reader wrote (author, text, the
thread's title) is escaped for the format, so a comment cannot ping a channel (`<!channel>`,
`@everyone`), forge a link or break the markup: Slack's and Telegram HTML's `&`, `<`, `>`;
Discord's markdown characters, with mentions off.

Past the site's instant allowance (`notify_digest`, digest.py: 3 an hour under `capped`,
none under `hourly` and `daily`) the comments wait for one
digest message at the window's end (`digest_body`): the held comments first, each with its
one-click links, then the published ones, as many as the service takes (Discord's 2,000
characters, Telegram's 4,096 after its HTML is read, Slack's 40,000), then "…and N more".
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from backend.domain.models import Comment
from backend.notify.digest import Entry
from backend.notify.letters import Page
from backend.notify.webhook import (
    DISCORD_MAX,
    discord_escape,
    excerpt,
    headline_of,
    slack_escape,
)
from backend.settings import SiteConfig

TITLE_CHARS = 200
DIGEST_TITLE_CHARS: Final = 100
DIGEST_EXCERPT_CHARS: Final = 200
SLACK_MAX: Final = 40_000  # Slack truncates a message's text past this
TELEGRAM_MAX: Final = 4096  # sendMessage's text, after its HTML is read
# Characters that would end a link in one of the formats (`|`, `>` in Slack's `<url|label>`,
# `>` in Discord's `(<url>)`, `"` in Telegram's href), percent-encoded in a page's URL.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True)
class Notice:
    """What a chat message says, before any format's escaping."""

    headline: str
    site: str
    page: Page
    author: str
    excerpt: str
    links: dict[str, str]


def notice(comment: Comment, page: Page, links: dict[str, str], *, edited: bool) -> Notice:
    title = " ".join(page.title.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    url = quote(page.url, safe=_URL_SAFE)
    return Notice(
        headline=headline_of(comment, edited=edited),
        site=comment.site,
        page=Page(title, url),
        author=" ".join(comment.author.split()),
        excerpt=excerpt(comment.text),
        links=links,
    )


def body(site: SiteConfig, said: Notice) -> dict[str, Any]:
    """The JSON body for the site's `webhook_format` (not `parley`)."""
    if site.webhook_format == "slack":
        return slack(said)
    if site.webhook_format == "discord":
        return discord(said)
    if site.webhook_format == "telegram":
        assert site.telegram_chat_id is not None  # the settings refuse telegram without it
        return telegram(said, site.telegram_chat_id)
    raise ValueError(f"no chat format {site.webhook_format!r}")


def slack(said: Notice) -> dict[str, Any]:
    def link(url: str, label: str) -> str:
        return f"<{slack_escape(url)}|{slack_escape(label)}>"

    text = f"*{said.headline}* on {slack_escape(said.site)}: {link(said.page.url, said.page.title)}"
    text += f"\n*{slack_escape(said.author)}* says:\n>{slack_escape(said.excerpt)}"
    if said.links:
        text += "\n" + " · ".join(link(url, name.title()) for name, url in said.links.items())
    return {"text": text}


def discord(said: Notice) -> dict[str, Any]:
    def link(url: str, label: str) -> str:
        return f"[{discord_escape(label)}](<{url}>)"  # <>: no embed for the link

    head = f"**{said.headline}** on {discord_escape(said.site)}: "
    head += link(said.page.url, said.page.title) + "\n"
    tail = ""
    if said.links:
        tail = "\n" + " · ".join(link(url, name.title()) for name, url in said.links.items())
    words = f"**{discord_escape(said.author)}** says:\n> {discord_escape(said.excerpt)}"
    room = DISCORD_MAX - _units(head) - _units(tail)
    return {"content": head + _cut(words, room) + tail, "allowed_mentions": {"parse": []}}


def telegram(said: Notice, chat_id: int | str) -> dict[str, Any]:
    def link(url: str, label: str) -> str:
        return f'<a href="{_html(url)}">{_html(label)}</a>'

    text = f"<b>{_html(said.headline)}</b> on {_html(said.site)}: "
    text += link(said.page.url, said.page.title)
    text += f"\n<b>{_html(said.author)}</b> says:\n<blockquote>{_html(said.excerpt)}</blockquote>"
    if said.links:
        text += "\n" + " · ".join(link(url, name.title()) for name, url in said.links.items())
    return {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }


_TAG = re.compile(r"<[^>]*>")  # a reader's `<` is always sent as `&lt;`


@dataclass(frozen=True)
class _Style:
    """How one format writes: `escape` a reader's words, `bold` and `link` escaped words,
    `quote` an excerpt; the message's `limit` as the service counts it (`size`)."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    link: Callable[[str, str], str]
    quote: Callable[[str], str]
    limit: int
    size: Callable[[str], int]


_SLACK = _Style(
    slack_escape,
    lambda t: f"*{t}*",
    lambda url, label: f"<{slack_escape(url)}|{slack_escape(label)}>",
    lambda t: ">" + t,
    SLACK_MAX,
    len,
)
_DISCORD = _Style(
    discord_escape,
    lambda t: f"**{t}**",
    lambda url, label: f"[{discord_escape(label)}](<{url}>)",
    lambda t: "> " + t,
    DISCORD_MAX,
    lambda t: _units(t),
)
_TELEGRAM = _Style(
    lambda t: _html(t),
    lambda t: f"<b>{t}</b>",
    lambda url, label: f'<a href="{_html(url)}">{_html(label)}</a>',
    lambda t: f"<blockquote>{t}</blockquote>",
    TELEGRAM_MAX,
    lambda t: _units(html.unescape(_TAG.sub("", t))),  # what Telegram counts: the text read
)


def digest_body(site: SiteConfig, held: Sequence[Entry], new: Sequence[Entry]) -> dict[str, Any]:
    """One message for the comments a window kept: the held ones first with their links."""
    if site.webhook_format == "slack":
        return {"text": _digest_text(_SLACK, held, new)}
    if site.webhook_format == "discord":
        content = _digest_text(_DISCORD, held, new)
        return {"content": content, "allowed_mentions": {"parse": []}}
    if site.webhook_format == "telegram":
        assert site.telegram_chat_id is not None
        return {
            "chat_id": site.telegram_chat_id,
            "text": _digest_text(_TELEGRAM, held, new),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
    raise ValueError(f"no chat format {site.webhook_format!r}")


def _digest_text(style: _Style, held: Sequence[Entry], new: Sequence[Entry]) -> str:
    site_name = held[0].comment.site if held else new[0].comment.site
    counts = [f"{len(held)} awaiting moderation"] if held else []
    counts += [f"{len(new)} new"] if new else []
    text = style.bold(style.escape(f"Comments on {site_name}: " + ", ".join(counts)))
    total = len(held) + len(new)
    reserve = style.size(f"\n…and {total} more")
    shown = 0
    for title, entries in (("Awaiting moderation", held), ("New comments", new)):
        for number, e in enumerate(entries):
            block = "\n" + _digest_entry(style, e)
            if number == 0:  # a section's title goes with its first comment, never alone
                block = "\n\n" + style.bold(style.escape(f"{title} ({len(entries)}):")) + block
            last = shown + 1 == total
            if style.size(text + block) + (0 if last else reserve) > style.limit:
                return text + style.escape(f"\n…and {total - shown} more")
            text += block
            shown += 1
    return text


def _digest_entry(style: _Style, e: Entry) -> str:
    title = " ".join(e.page.title.split())
    if len(title) > DIGEST_TITLE_CHARS:
        title = title[: DIGEST_TITLE_CHARS - 1] + "…"
    words = " ".join(e.comment.text.split())
    if len(words) > DIGEST_EXCERPT_CHARS:
        words = words[: DIGEST_EXCERPT_CHARS - 1] + "…"
    url = quote(e.page.permalink(e.comment.id), safe=_URL_SAFE)
    author = style.bold(style.escape(" ".join(e.comment.author.split())))
    out = f"{author} on {style.link(url, title)}:\n{style.quote(style.escape(words))}"
    if e.links:
        out += "\n" + " · ".join(style.link(u, name.title()) for name, u in e.links.items())
    return out


def _html(text: str) -> str:
    """Telegram's HTML style: `&`, `<`, `>` and, inside an attribute, `"` as entities."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _units(text: str) -> int:
    """Length as Discord's limit counts it, to be safe: UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, room: int) -> str:
    if _units(text) <= room:
        return text
    out = text
    while _units(out) > room - 1:
        out = out[: -max(1, (_units(out) - room + 1) // 2)]
    # a cut must not leave half of an escape (`\`) dangling at the end
    return out.rstrip("\\") + "…"
