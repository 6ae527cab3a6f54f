"""WordPress's export (WXR 1.0, 1.1 and 1.2: RSS with the `wp:` namespace of each version).

Each `<item>` is a post, page or attachment; its `<wp:comment>`s are its comments. Comments
keep their `comment_date_gmt`, their `comment_approved` (1 approved, 0 pending, spam, trash and
post-trashed deleted) and their `comment_parent` at any depth. Pages and password-protected
posts count like any post. Only items that have comments become threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from backend.domain.models import Status
from backend.migrate.fields import plain, utc
from backend.migrate.records import Markup, Record, Skipped, SourceComment, SourceThread
from backend.migrate.xmlfile import XmlFile, child_text, name

STATUSES = {
    "1": Status.APPROVED,
    "approve": Status.APPROVED,
    "0": Status.PENDING,
    "hold": Status.PENDING,
    "spam": Status.SPAM,
    "trash": Status.DELETED,
    "post-trashed": Status.DELETED,
}
PINGS = {"pingback", "trackback"}
DATE = "%Y-%m-%d %H:%M:%S"


class Reader:
    def __init__(self, path: Path) -> None:
        self.xml = XmlFile(path)

    def check(self) -> list[str]:
        self.xml.scan()
        return self.xml.repairs

    def records(self) -> Iterator[Record]:
        for item in self.xml.elements({"item"}, depth=2):
            comments = [c for c in item if name(c.tag) == "wp:comment"]
            if comments:
                yield from _post(item, comments)


def _post(item: Element, comments: list[Element]) -> Iterator[Record]:
    post_id = child_text(item, "wp:post_id")
    link = child_text(item, "link") or child_text(item, "guid")
    key = post_id or link
    if not link:
        for comment in comments:
            yield Skipped(child_text(comment, "wp:comment_id"), "on a post without a link")
        return
    yield SourceThread(
        key=key,
        url=link,
        title=plain(child_text(item, "title")),
        locked=child_text(item, "wp:comment_status") == "closed",
        created=utc(child_text(item, "wp:post_date_gmt"), DATE)
        or utc(child_text(item, "wp:post_date"), DATE),
    )
    for comment in comments:
        comment_id = child_text(comment, "wp:comment_id")
        approved = child_text(comment, "wp:comment_approved")
        status = STATUSES.get(approved)
        created = utc(child_text(comment, "wp:comment_date_gmt"), DATE) or utc(
            child_text(comment, "wp:comment_date"), DATE
        )
        if not comment_id:
            yield Skipped(f"{key}#?", "without a comment_id")
        elif status is None:
            yield Skipped(comment_id, f"with comment_approved {approved!r}")
        elif created is None:
            yield Skipped(comment_id, "without a date")
        else:
            parent = child_text(comment, "wp:comment_parent")
            yield SourceComment(
                key=comment_id,
                thread=key,
                parent=None if parent in ("", "0") else parent,
                author=child_text(comment, "wp:comment_author"),
                email=child_text(comment, "wp:comment_author_email"),
                website=child_text(comment, "wp:comment_author_url"),
                body=child_text(comment, "wp:comment_content", strip=False),
                markup=Markup.PLAIN_HTML,
                status=status,
                created=created,
                ping=child_text(comment, "wp:comment_type") in PINGS,
                ip=child_text(comment, "wp:comment_author_IP"),
            )
