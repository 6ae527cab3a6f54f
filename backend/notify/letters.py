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
    if len(value) > SUBJECT_CHARS:  # "...", not "…": an ASCII subject stays ASCII
        value = value[: SUBJECT_CHARS - 3] + "..."
    return value.replace("=?", "=\u2060?")


LINE_BYTES = 998  # RFC 5322's hard limit on a line, CRLF aside
FOLD_AT = 78  # ... and the length it asks lines to keep to


def _fold_url(name: str, url: str) -> str:
    """`<url>` on the header's line; a URL too long for one line (LINE_BYTES) is broken inside
    the brackets, where RFC 2369 (section 2) has readers ignore whitespace."""
    value = f"<{url}>"
    room = LINE_BYTES - len(name) - 2
    if len(value) <= room:
        return value
    chunks = [value[:room]] + [value[i : i + FOLD_AT] for i in range(room, len(value), FOLD_AT)]
    return "\n ".join(chunks)


def _set_url(msg: EmailMessage, name: str, url: str) -> None:
    """Write `<url>` as it is, never as RFC 2047 encoded-words: the email package encodes any
    word longer than a line (a long URL), which a reader of the raw header (a mailbox
    provider's one-click unsubscribe) cannot use. A URL that is not ASCII (it never is)
    takes the package's way."""
    if not url.isascii() or "\r" in url or "\n" in url:
        msg[name] = f"<{url}>"
        return
    msg.set_raw(name, _fold_url(name, url))


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
    delivery is recognisably the same mail) and, for readers, List-Unsubscribe. No header
    carries an encoded-word where ASCII serves."""
    # The email package is imported here, on the first mail: not every cold start sends one.
    from email import policy
    from email.message import EmailMessage
    from email.utils import format_datetime, parseaddr

    # refold_source="none": a raw header (`_set_url`) is written as folded here; the others are
    # header objects, folded by the policy as always (the subject by `_Subject`).
    msg = EmailMessage(policy=policy.SMTP.clone(refold_source="none"))
    msg["From"] = sender
    msg["To"] = letter.to
    msg["Subject"] = _Subject(header_text(letter.subject))
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "parley.invalid"
    msg["Message-ID"] = f"<{message_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # no vacation replies back to us
    if letter.unsubscribe:  # RFC 2369's `<url>`, with RFC 8058's one-click POST beside it
        _set_url(msg, "List-Unsubscribe", letter.unsubscribe)
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
    to: str,
    comment: Comment,
    page: Page,
    links: dict[str, str],
    *,
    edited: bool = False,
    reply: str | None = None,
) -> Letter:
    """The owner's mail about one comment: its one-click moderation `links`, and for a
    published one `reply`, the admin page at that comment with the reply box open (the admin
    token stays in the owner's browser: the link carries none)."""
    held = comment.status is Status.PENDING
    what = "An edited comment awaits" if edited else ("A comment awaits" if held else "New comment")
    subject = f"{what} moderation on {page.title}" if held else f"{what} on {page.title}"
    text = [f"{comment.author} wrote on {page.title} ({page.permalink(comment.id)}):", ""]
    text += [_quote_text(comment), ""]
    text += [f"{name.title()}: {url}" for name, url in links.items()]
    if reply:
        text.append(f"Reply as the author: {reply}")
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
    if reply:
        html.append(f"<p>{_link(reply, 'Reply as the author')} (on the admin page)</p>")
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
    to: str, origin: str, *, confirm_url: str, unsubscribe_all: str, site_name: str
) -> Letter:
    """The double opt-in's mail. It goes to an address that has confirmed nothing yet, so it
    carries none of the commenter's words (no comment, name, title or page path, all of which
    a stranger typing this address could choose): only the site's name and origin."""
    where = f"{site_name} ({origin})" if origin else site_name
    subject = f"Confirm: email me replies to my comment on {site_name}"
    text = [
        "You (or someone using this address) commented on "
        f"{where} and asked to be emailed when someone replies.",
        "",
        f"To confirm, open this link and press the button: {confirm_url}",
        "",
        "If it was not you, ignore this mail: nothing more will be sent unless the link is used.",
        f"Never mail this address from {site_name} again: {unsubscribe_all}",
    ]
    html = [
        f"<p>You (or someone using this address) commented on {escape(where)} and asked to be "
        "emailed when someone replies.</p>",
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
