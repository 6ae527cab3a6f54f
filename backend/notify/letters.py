"""The mails Parley sends, each as plain text and HTML, built with the standard library's
`email` package.

Every value a commenter typed is escaped in the HTML part. The subject (a thread's title, an
author's name) is made one line of inert text first (`header_text`): the API refuses line breaks
in those fields, but an import may carry them, and EmailMessage refuses them with an error, which
would leave the mail undeliverable for ever. Both parts are made inert as well (no control
character, lone surrogate or bidi override, whatever the text's source). `Reply-To` is never
set: answering a notification must not mail a reader's address to anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

from backend.domain.models import Comment, Status
from backend.domain.text import inert

if TYPE_CHECKING:
    from email.message import EmailMessage
    from email.policy import EmailPolicy as Policy

EXCERPT_CHARS = 1200
SUBJECT_CHARS = 200  # a subject past this is cut (a title may be as long as its page's)


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    text: str
    html: str
    unsubscribe: str | None = None  # the one-click URL (RFC 8058), for readers' mail


@dataclass(frozen=True)
class Page:
    """Where a comment lives, for the words and links of a mail."""

    title: str  # the thread's title, or its uri
    url: str  # the page's URL (the site's origin + uri), or just the uri when unknown

    def permalink(self, comment_id: str) -> str:
        return f"{self.url}#comment-{comment_id}"


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _quote_text(comment: Comment) -> str:
    return "\n".join("> " + line for line in _excerpt(comment.text).splitlines())


def _quote_html(comment: Comment) -> str:
    return (
        '<blockquote style="margin:1em 0;padding:.5em 1em;border-left:4px solid #bbb;'
        f'white-space:pre-wrap">{escape(_excerpt(comment.text))}</blockquote>'
    )


def _link(url: str, words: str) -> str:
    return f'<a href="{escape(url, quote=True)}">{escape(words)}</a>'


def _html(paragraphs: Sequence[str]) -> str:
    body = "\n".join(paragraphs)
    return (
        '<!doctype html><html><body style="font:15px/1.5 sans-serif;color:#1b1b1b">'
        f"{body}</body></html>"
    )


def header_text(value: str) -> str:
    """One line of reader text, fit for a header: inert (no line break, control or bidi
    character), runs of whitespace made one space, at most SUBJECT_CHARS long, and no RFC 2047
    encoded-word opener: EmailMessage decodes `=?utf-8?q?...?=` on assignment and, before
    CPython 3.11.10 and 3.12.5 (CVE-2024-6923), writes what it decoded raw, so a title carrying
    an encoded CRLF would add a header (a Bcc). A word joiner (U+2060, invisible) splits it."""
    value = " ".join(inert(value).split())
    if len(value) > SUBJECT_CHARS:
        value = value[: SUBJECT_CHARS - 1] + "…"
    return value.replace("=?", "=\u2060?")


class _Subject(str):
    """A subject that folds itself: CPython's folder ends a line with the space before an
    encoded word and then adds the fold's own, so readers saw "Garden  — Field Notes". Here a
    non-ASCII value becomes encoded words only (RFC 2047), between which folding adds nothing,
    and an ASCII one folds at its spaces."""

    name = "Subject"

    def fold(self, *, policy: Policy) -> str:
        from email.header import Header

        charset = "us-ascii" if self.isascii() else "utf-8"
        encoded = Header(str(self), charset, header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


def message(letter: Letter, *, sender: str, message_id: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, a stable Message-ID (so a retried
    delivery is recognisably the same mail) and, for readers, List-Unsubscribe."""
    # The email package is imported here, on the first mail: not every cold start sends one.
    from email import policy
    from email.message import EmailMessage
    from email.utils import format_datetime, parseaddr

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = letter.to
    msg["Subject"] = _Subject(header_text(letter.subject))
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "parley.invalid"
    msg["Message-ID"] = f"<{message_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # no vacation replies back to us
    if letter.unsubscribe:
        msg["List-Unsubscribe"] = f"<{letter.unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(inert(letter.text, multiline=True))
    msg.add_alternative(inert(letter.html, multiline=True), subtype="html")
    return msg


def valid_address(value: str) -> bool:
    from email.headerregistry import Address

    try:
        Address(addr_spec=value)
    except (ValueError, IndexError):
        return False
    return True


def owner(
    to: str, comment: Comment, page: Page, links: dict[str, str], *, edited: bool = False
) -> Letter:
    held = comment.status is Status.PENDING
    what = "An edited comment awaits" if edited else ("A comment awaits" if held else "New comment")
    subject = f"{what} moderation on {page.title}" if held else f"{what} on {page.title}"
    text = [f"{comment.author} wrote on {page.title} ({page.permalink(comment.id)}):", ""]
    text += [_quote_text(comment), ""]
    text += [f"{name.title()}: {url}" for name, url in links.items()]
    html = [
        f"<p><strong>{escape(comment.author)}</strong> wrote on "
        f"{_link(page.permalink(comment.id), page.title)}:</p>",
        _quote_html(comment),
    ]
    if links:
        html.append("<p>" + " · ".join(_link(url, name.title()) for name, url in links.items()))
        html.append(
            "</p><p>Each link opens a page with a button; nothing happens before you press it.</p>"
        )
    text.append("")
    text.append(f"Comment status: {comment.status.value}.")
    html.append(f"<p>Comment status: {escape(comment.status.value)}.</p>")
    return Letter(to, subject, "\n".join(text), _html(html))


def reply(
    to: str,
    answer: Comment,
    parent: Comment,
    page: Page,
    *,
    unsubscribe: str,
    unsubscribe_all: str,
    site_name: str,
) -> Letter:
    subject = f"{answer.author} replied to your comment on {page.title}"
    text = [
        f"{answer.author} replied to your comment on {page.title}:",
        "",
        _quote_text(answer),
        "",
        f"Read it and answer: {page.permalink(answer.id)}",
        "",
        "Your comment was:",
        _quote_text(parent),
        "",
        f"No more mail about replies to this comment: {unsubscribe}",
        f"No more mail from {site_name} at all: {unsubscribe_all}",
    ]
    html = [
        f"<p><strong>{escape(answer.author)}</strong> replied to your comment on "
        f"{_link(page.url, page.title)}:</p>",
        _quote_html(answer),
        f"<p>{_link(page.permalink(answer.id), 'Read it and answer')}</p>",
        "<p>Your comment was:</p>",
        _quote_html(parent),
        f'<p style="color:#555;font-size:13px">{_link(unsubscribe, "Unsubscribe")} from replies '
        f"to this comment, or {_link(unsubscribe_all, 'stop all mail')} from "
        f"{escape(site_name)}.</p>",
    ]
    return Letter(to, subject, "\n".join(text), _html(html), unsubscribe)


def confirm(
    to: str, comment: Comment, page: Page, *, confirm_url: str, unsubscribe_all: str, site_name: str
) -> Letter:
    subject = f"Confirm: email me replies to my comment on {page.title}"
    text = [
        f"You (or someone using this address) asked to be emailed when someone replies to "
        f"this comment on {page.title}:",
        "",
        _quote_text(comment),
        "",
        f"To confirm, open this link and press the button: {confirm_url}",
        "",
        "If it was not you, ignore this mail: nothing more will be sent unless the link is used.",
        f"Never mail this address from {site_name} again: {unsubscribe_all}",
    ]
    html = [
        "<p>You (or someone using this address) asked to be emailed when someone replies to "
        f"this comment on {_link(page.permalink(comment.id), page.title)}:</p>",
        _quote_html(comment),
        f"<p>{_link(confirm_url, 'Confirm: email me replies')}</p>",
        "<p>If it was not you, ignore this mail: nothing more will be sent unless the link is "
        "used.</p>",
        f'<p style="color:#555;font-size:13px">{_link(unsubscribe_all, "Never mail me again")} '
        f"from {escape(site_name)}.</p>",
    ]
    return Letter(to, subject, "\n".join(text), _html(html), unsubscribe_all)


def digest(
    to: str, answers: Sequence[tuple[Comment, Page]], *, unsubscribe_all: str, site_name: str
) -> Letter:
    count = len(answers)
    subject = f"{count} more {'reply' if count == 1 else 'replies'} to your comments on {site_name}"
    text = [f"Replies to your comments on {site_name} from the last hour:", ""]
    html = [f"<p>Replies to your comments on {escape(site_name)} from the last hour:</p>"]
    for answer, page in answers:
        text += [f"{answer.author} on {page.title} ({page.permalink(answer.id)}):"]
        text += [_quote_text(answer), ""]
        html += [
            f"<p><strong>{escape(answer.author)}</strong> on "
            f"{_link(page.permalink(answer.id), page.title)}:</p>",
            _quote_html(answer),
        ]
    text.append(f"No more mail from {site_name} at all: {unsubscribe_all}")
    html.append(
        f'<p style="color:#555;font-size:13px">{_link(unsubscribe_all, "Stop all mail")} from '
        f"{escape(site_name)}.</p>"
    )
    return Letter(to, subject, "\n".join(text), _html(html), unsubscribe_all)
