"""The hostile corpus (tests/hostile.py) through every mail Parley sends (backend/notify/
letters.py): a reader's name, a thread's title and a comment's text, each hostile, in the owner's
mail, the reply mail, the confirmation and the digest. Each message is serialized as SMTP sends
it and read back, and sent to a real SMTP server (aiosmtpd on 127.0.0.1): exactly the expected
headers, each once (no Bcc, no injected header), a one-line subject, lines of at most 998
octets, the reader's words intact in the text part and inert in the HTML part (no element or
attribute of theirs), and the mail reaching its one recipient only."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.policy import default as default_policy
from html.parser import HTMLParser

import pytest

from backend.domain.models import Comment, Status
from backend.domain.text import inert
from backend.notify import letters
from backend.notify.letters import Letter, Page
from backend.notify.transport import SMTPMailer
from backend.settings import MailURL
from tests.hostile import MAIL, NAMES, TEXTS, WEBSITES
from tests.notify_support import Mailbox, html_of, smtp_server, text_of

VALUES = [*NAMES, *TEXTS, *WEBSITES, *MAIL]
TO = "reader@example.com"
SENDER = "Blog comments <comments@blog.test>"
URL = "https://blog.test/post/"
LINKS = {"approve": "https://api.test/moderate/a.b", "spam": "https://api.test/moderate/c.d"}
UNSUBSCRIBE = "https://api.test/subscriptions/e.f"
UNSUBSCRIBE_ALL = "https://api.test/subscriptions/g.h"
CONFIRM = "https://api.test/subscriptions/i.j"
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version",
           "Content-Type"]  # fmt: skip
READER_HEADERS = [*HEADERS, "List-Unsubscribe", "List-Unsubscribe-Post"]
# What the letters' own HTML uses; a reader's value must add nothing to it.
TAGS = {"html": set(), "body": {"style"}, "p": {"style"}, "strong": set(), "a": {"href"},
        "blockquote": {"style"}}  # fmt: skip
HREFS = {URL, *LINKS.values(), UNSUBSCRIBE, UNSUBSCRIBE_ALL, CONFIRM}


def comment(value: str, n: int, status: Status = Status.APPROVED) -> Comment:
    return Comment(
        site="blog", uri="/post/", id=f"01KD{n:022d}", parent=None, author=value,
        email="a@example.com", website=None, text=value, html="", status=status,
        created=datetime(2026, 11, 30, tzinfo=UTC),
    )  # fmt: skip


def every_letter(value: str) -> list[Letter]:
    """Each kind of mail, with `value` as the author, the text and the thread's title (but the
    confirmation, which carries no reader's words: tests/test_mail_bombing.py)."""
    page = Page(title=value, url=URL)
    answer, parent = comment(value, 2), comment(value, 1)
    return [
        letters.owner(TO, comment(value, 1, Status.PENDING), page, LINKS),
        letters.owner(TO, comment(value, 1), page, {}, edited=True),
        letters.reply(TO, answer, parent, page, unsubscribe=UNSUBSCRIBE,
                      unsubscribe_all=UNSUBSCRIBE_ALL, site_name="Blog"),
        letters.digest(TO, [(answer, page), (parent, page)], unsubscribe_all=UNSUBSCRIBE_ALL,
                       site_name="Blog"),
    ]  # fmt: skip


class Markup(HTMLParser):
    """The elements, attributes and text of an HTML part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def words(value: str) -> list[str]:
    """The reader's words as a mail must carry them: the inert text's, as far as an excerpt
    reaches (long values are cut at EXCERPT_CHARS)."""
    return inert(value, multiline=True)[:1000].split()[:-1] or inert(value).split()[:1]


def assert_safe(letter: Letter, raw: bytes, value: str) -> None:
    """`raw`: the message as it goes over SMTP."""
    parsed = email.message_from_bytes(raw, policy=default_policy)  # as a receiver reads it
    assert isinstance(parsed, EmailMessage)
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are ASCII (RFC 2047 words)
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998, "a line longer than SMTP allows"
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    expected = READER_HEADERS if letter.unsubscribe else HEADERS
    assert sorted(parsed.keys()) == sorted(expected), head
    subject = str(parsed["Subject"]).strip()  # a folded first line leaves its blank
    assert "\r" not in subject and "\n" not in subject
    assert subject == letters.header_text(letter.subject)
    assert "\u202e" not in subject and "=?" not in subject  # no override, no encoded word
    assert parsed["To"] == TO
    # Every header line is one of ours or a continuation (folded: it starts with a blank).
    names = [line.split(":", 1)[0] for line in head.split("\r\n") if line[:1] not in " \t"]
    assert sorted(names) == sorted(expected), head
    text = text_of(parsed)
    for word in words(value):
        assert word in text, (word, text[:300])
    markup = Markup()
    markup.feed(html_of(parsed))
    for tag, attrs in markup.elements:
        assert tag in TAGS and set(attrs) <= TAGS[tag], (tag, attrs)
        if tag == "a":
            href = attrs["href"] or ""
            assert href in HREFS or href.startswith(URL + "#comment-01KD"), attrs
    shown = " ".join(markup.text)
    for word in words(value):
        assert word in shown, (word, shown[:300])


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_every_mail_carries_hostile_text_inert(value: str) -> None:
    for letter in every_letter(value):
        message = letters.message(letter, sender=SENDER, message_id="k1")
        assert_safe(letter, message.as_bytes(), value)  # as smtplib sends it (CRLF)


def test_a_subject_stays_one_short_line_and_keeps_its_words() -> None:
    assert letters.header_text("Title\r\nBcc: victim@example.com") == (
        "Title Bcc: victim@example.com"
    )
    assert letters.header_text("\u202eevil.exe\u202c report.doc") == "evil.exe report.doc"
    assert letters.header_text("a =?utf-8?q?x?= b") == "a =\u2060?utf-8?q?x?= b"
    long = letters.header_text("x " * 500)
    assert len(long) == letters.SUBJECT_CHARS and long.endswith("...")
    rtl = "\u05e9\u05dc\u05d5\u05dd \u200f!"  # right-to-left text and marks are kept
    assert letters.header_text(rtl) == rtl


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def test_hostile_mails_reach_their_one_recipient_intact(smtp: Mailbox) -> None:
    mailer = SMTPMailer(MailURL.parse(smtp.url))
    # The owner's held-comment mail and the reader's reply mail of each mail-specific value.
    sent = [(value, letter) for value in MAIL for letter in every_letter(value)[::2][:2]]
    for n, (_, letter) in enumerate(sent):
        mailer.send(letters.message(letter, sender=SENDER, message_id=f"hostile-{n}"))
    assert len(smtp.messages) == len(sent)
    assert smtp.recipients == [[TO]] * len(sent)  # nobody else, whatever the text said
    for (value, letter), received in zip(sent, smtp.messages, strict=True):
        assert_safe(letter, received.as_bytes(policy=SMTP), value)
