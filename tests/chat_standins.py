"""Stand-ins for the three chat services Parley's webhook presets speak, served on 127.0.0.1.
Each checks a request the way its service documents it and answers as the service does:

- Slack incoming webhooks: POST JSON with `text` (mrkdwn); 200 `ok`, else 400 `invalid_payload`
  or `no_text`.
- Discord execute webhook (POST /api/webhooks/{id}/{token}): its JSON params only, `content` at
  most 2,000 characters, `allowed_mentions.parse` of roles/users/everyone; 204 No Content, else
  400 with Discord's error object.
- Telegram Bot API sendMessage (POST /bot{token}/sendMessage): its params only, `chat_id` an
  Integer or String, `text` 1-4096 characters after entities are parsed, `parse_mode` HTML read
  strictly (the supported tags, `<`, `>`, `&` only as tags or entities: "All <, > and & symbols
  that are not a part of a tag or an HTML entity must be replaced with the corresponding HTML
  entities"); `{"ok": true, "result": Message}`, else `{"ok": false, "error_code": 400,
  "description": "Bad Request: ..."}`.

What each accepted is kept in `got` as (service, body, what the reader sees: the text with
markup read, and the links)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

SLACK_KEYS = {"text", "blocks", "attachments", "thread_ts", "mrkdwn", "unfurl_links",
              "unfurl_media", "username", "icon_emoji", "icon_url", "channel"}  # fmt: skip
DISCORD_KEYS = {"content", "username", "avatar_url", "tts", "embeds", "allowed_mentions",
                "components", "files", "payload_json", "attachments", "flags", "thread_name",
                "applied_tags", "poll"}  # fmt: skip
TELEGRAM_KEYS = {"business_connection_id", "chat_id", "message_thread_id", "text", "parse_mode",
                 "entities", "link_preview_options", "disable_notification", "protect_content",
                 "allow_paid_broadcast", "message_effect_id", "reply_parameters",
                 "reply_markup", "disable_web_page_preview"}  # fmt: skip
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
                 "tg-spoiler", "a", "tg-emoji", "code", "pre", "blockquote"}  # fmt: skip
_TG_TOKEN = re.compile(
    r'<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>|&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);|([<>&])'
)
UNKNOWN_CHATS = {-1, "@nobody_here"}  # chats the bot is not in
_HREF = re.compile(r'href="([^"]*)"')


class Refused(Exception):
    pass


@dataclass
class Seen:
    service: str
    body: dict[str, Any]
    visible: str  # what a reader of the chat sees
    links: list[tuple[str, str]]  # (label, url)


@dataclass
class Chats:
    url: str = ""
    got: list[Seen] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def slack(request: Request) -> Response:
            try:
                body = await _json(request)
                self.got.append(slack_read(body))
            except Refused as exc:
                self.refused.append(str(exc))
                return PlainTextResponse(str(exc), 400)
            return PlainTextResponse("ok")

        async def discord(request: Request) -> Response:
            try:
                body = await _json(request)
                self.got.append(discord_read(body))
            except Refused as exc:
                self.refused.append(str(exc))
                return JSONResponse({"code": 50035, "message": f"Invalid Form Body: {exc}"}, 400)
            return Response(status_code=204)

        async def telegram(request: Request) -> Response:
            try:
                body = await _json(request)
                seen = telegram_read(body)
            except Refused as exc:
                self.refused.append(str(exc))
                problem = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
                return JSONResponse(problem, 400)
            self.got.append(seen)
            chat = {"id": body["chat_id"], "type": "channel"}
            message = {"message_id": len(self.got), "date": 0, "chat": chat, "text": seen.visible}
            return JSONResponse({"ok": True, "result": message})

        return Starlette(
            routes=[
                Route("/services/{a}/{b}/{c}", slack, methods=["POST"]),
                Route("/api/webhooks/{wid}/{token}", discord, methods=["POST"]),
                Route("/bot{token}/sendMessage", telegram, methods=["POST"]),
            ]
        )


async def _json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise Refused("content type must be application/json")
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise Refused("invalid JSON") from None
    if not isinstance(body, dict):
        raise Refused("body must be an object")
    return body


def slack_read(body: dict[str, Any]) -> Seen:
    if set(body) - SLACK_KEYS:
        raise Refused("invalid_payload")
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise Refused("no_text")
    links: list[tuple[str, str]] = []
    # mrkdwn: <...> is a link or a mention (<!channel>, <@U123>); & < > arrive escaped.

    def control(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith(("!", "@", "#")):
            links.append(("mention", inner))
            return "@" + inner
        url, _, label = inner.partition("|")
        links.append((html.unescape(label or url), html.unescape(url)))
        return html.unescape(label or url)

    if re.search(r"&(?!amp;|lt;|gt;)", text):
        raise Refused("invalid_payload: a bare &")
    bare = re.sub(r"(?m)^>", "", re.sub(r"<[^<>]*>", "", text))  # a quote's > may be bare
    visible = re.sub(r"<([^<>]*)>", control, text)
    if "<" in bare or ">" in bare:
        raise Refused("invalid_payload: a bare < or >")
    return Seen("slack", body, html.unescape(visible), links)


def discord_read(body: dict[str, Any]) -> Seen:
    extra = set(body) - DISCORD_KEYS
    if extra:
        raise Refused(f"unknown fields {sorted(extra)}")
    content = body.get("content")
    if not isinstance(content, str) or not 1 <= len(content.encode("utf-16-le")) // 2 <= 2000:
        raise Refused("content: Must be 2000 or fewer in length.")
    mentions = body.get("allowed_mentions", {})
    if not isinstance(mentions, dict) or not set(mentions.get("parse", [])) <= {
        "roles", "users", "everyone"
    }:  # fmt: skip
        raise Refused("allowed_mentions")
    links = [
        (m[1], m[2]) for m in re.finditer(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\(<([^<>]+)>\)", content)
    ]
    return Seen("discord", body, content, [(re.sub(r"\\(.)", r"\1", a), u) for a, u in links])


def telegram_read(body: dict[str, Any]) -> Seen:
    extra = set(body) - TELEGRAM_KEYS
    if extra:
        raise Refused(f"unknown parameters {sorted(extra)}")
    chat = body.get("chat_id")
    if isinstance(chat, bool) or not isinstance(chat, int | str):
        raise Refused("chat_id must be an Integer or String")
    if chat in UNKNOWN_CHATS:
        raise Refused("chat not found")
    text = body.get("text")
    if not isinstance(text, str):
        raise Refused("message text is empty")
    links: list[tuple[str, str]] = []
    visible_text = text
    if body.get("parse_mode") == "HTML":
        visible_text, links = _telegram_html(text)
    if not 1 <= len(visible_text) <= 4096:
        raise Refused("message is too long" if visible_text else "message text is empty")
    return Seen("telegram", body, visible_text, links)


def _telegram_html(text: str) -> tuple[str, list[tuple[str, str]]]:
    out: list[str] = []
    links: list[tuple[str, str]] = []
    stack: list[tuple[str, str, int]] = []  # tag, href, where its text starts in `out`
    at = 0
    for match in _TG_TOKEN.finditer(text):
        out.append(text[at : match.start()])
        at = match.end()
        closing, tag, attrs, entity, bare = match.groups()
        if bare:
            raise Refused(f"can't parse entities: unexpected {bare!r} at {match.start()}")
        if entity:
            out.append(html.unescape(f"&{entity};"))
        elif tag not in TELEGRAM_TAGS:
            raise Refused(f"can't parse entities: unsupported start tag {tag!r}")
        elif closing:
            if not stack or stack[-1][0] != tag:
                raise Refused(f"can't parse entities: unmatched end tag {tag!r}")
            opened, href, since = stack.pop()
            if opened == "a":
                links.append(("".join(out[since:]), href))
        else:
            href = _HREF.search(attrs or "")
            stack.append((tag, html.unescape(href.group(1)) if href else "", len(out)))
    out.append(text[at:])
    if stack:
        raise Refused("can't parse entities: unclosed start tag")
    return "".join(out), links
