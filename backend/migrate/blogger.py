"""Blogger's export: an Atom feed of every post, page and comment of a blog, in two variants.

- Google Takeout (`feed.atom`, namespace `blogger:` = http://schemas.google.com/blogger/2018):
  each `<entry>` says `<blogger:type>` POST, PAGE or COMMENT; a comment's `<blogger:parent>` is
  its post's id and `<blogger:inReplyTo>` its parent comment's (empty at top level);
  `<blogger:status>` LIVE, SPAM, DRAFT/PENDING (held) or DELETED/TRASHED; a post's page is its
  `<link rel="alternate">`, else its `<blogger:filename>` (a path).
- The older "Back up content" file: the kind is a `<category>` of the scheme
  http://schemas.google.com/g/2005#kind (…/kind#post, …/kind#comment); a comment's post is its
  `<thr:in-reply-to ref=...>`, its parent comment the `<link rel="related">` that ends in
  `/comments/default/ID`; only published comments are in it.

Comments are HTML (`<content type="html">`); `<published>` is the date; the author's `<name>`,
`<uri>` (website) and `<email>` (Blogger's placeholder noreply@blogger.com is dropped). Posts are
read in a first pass and comments in a second, so their order in the file does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

from backend.domain.models import Status
from backend.migrate.fields import plain, utc
from backend.migrate.records import (
    Markup,
    Record,
    Skipped,
    SourceComment,
    SourceThread,
    WrongFormat,
)
from backend.migrate.xmlfile import Root, XmlReader, attr, child, child_text, name

TAKEOUT = "http://schemas.google.com/blogger/2018"
KIND = "http://schemas.google.com/g/2005#kind"
ATOM = "http://www.w3.org/2005/Atom"
STATUSES = {
    "LIVE": Status.APPROVED,
    "SPAM": Status.SPAM,
    "DRAFT": Status.PENDING,
    "PENDING": Status.PENDING,
    "DELETED": Status.DELETED,
    "TRASHED": Status.DELETED,
    "SOFT_TRASHED": Status.DELETED,
}
PLACEHOLDER_EMAILS = {"noreply@blogger.com", "anonymous@blogger.com"}


def expect(root: Root) -> str:
    if root.tag == "feed" and root.namespaces.get("") == ATOM:
        return "entry"
    raise WrongFormat(
        f'not a Blogger export: looked for a <feed> root declaring xmlns="{ATOM}" (with '
        f'xmlns:blogger="{TAKEOUT}" from Google Takeout); saw {root.describe()}'
    )


def _kind(entry: Element) -> str:
    """POST, PAGE, COMMENT (or another kind, or "")."""
    typed = child_text(entry, "blogger:type").upper()
    if typed:
        return typed
    for sub in entry:
        if name(sub.tag) == "category" and sub.get("scheme") == KIND:
            return sub.get("term", "").rpartition("#")[2].upper()
    return ""


def _link(entry: Element, rel: str) -> str:
    for sub in entry:
        if name(sub.tag) == "link" and sub.get("rel") == rel:
            return sub.get("href", "")
    return ""


class Reader(XmlReader):
    empty = "a Blogger export without any entry"
    expect = staticmethod(expect)

    def records(self) -> Iterator[Record]:
        for entry in self.xml.elements({"entry"}, depth=1):
            if _kind(entry) in ("POST", "PAGE"):
                url = _link(entry, "alternate") or child_text(entry, "blogger:filename")
                yield SourceThread(
                    key=child_text(entry, "id"),
                    url=url,
                    title=plain(child_text(entry, "title")),
                    created=utc(child_text(entry, "published")),
                )
        for entry in self.xml.elements({"entry"}, depth=1):
            if _kind(entry) == "COMMENT":
                yield _comment(entry)


def _comment(entry: Element) -> Record:
    key = child_text(entry, "id")
    created = utc(child_text(entry, "published"))
    if not key:
        return Skipped("?", "entries without an id")
    if created is None:
        return Skipped(key, "without a date")
    reply_to = child(entry, "thr:in-reply-to")
    post = child_text(entry, "blogger:parent") or (
        "" if reply_to is None else attr(reply_to, "ref")
    )
    parent = child_text(entry, "blogger:inReplyTo")
    related = _link(entry, "related")
    if not parent and "/comments/default/" in related:
        blog = key.partition(".post-")[0]  # tag:blogger.com,1999:blog-ID
        parent = f"{blog}.post-{related.rstrip('/').rpartition('/')[2]}"
    status_text = child_text(entry, "blogger:status").upper() or "LIVE"
    status = STATUSES.get(status_text)
    if status is None:
        return Skipped(key, f"with blogger:status {status_text!r}")
    author = child(entry, "author")
    email = "" if author is None else child_text(author, "email")
    return SourceComment(
        key=key,
        thread=post,
        parent=parent or None,
        author="" if author is None else child_text(author, "name"),
        email="" if email.lower() in PLACEHOLDER_EMAILS else email,
        website=None if author is None else child_text(author, "uri") or None,
        body=child_text(entry, "content", strip=False),
        markup=Markup.HTML,
        status=status,
        created=created,
    )
