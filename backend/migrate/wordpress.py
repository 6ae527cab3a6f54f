"""WordPress's export (WXR 1.0, 1.1 and 1.2: RSS with the `wp:` namespace of each version).

Each `<item>` is a post, page or attachment; its `<wp:comment>`s are its comments. Comments
keep their `comment_date_gmt`, their `comment_approved` (1 approved, 0 pending, spam, trash and
post-trashed deleted) and their `comment_parent` at any depth. Pages and password-protected
posts count like any post. Only items that have comments become threads.
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
from backend.migrate.xmlfile import WXR, Root, XmlReader, child_text, name, texts

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
LOOKED_FOR = (
    "an <rss> root declaring the WordPress export namespace "
    "(http:// or https://wordpress.org/export/1.0/, 1.1/ or 1.2/)"
)


def expect(root: Root) -> str:
    """The WXR namespace's prefix (any spelling, http or https) -> the comment tag to count."""
    prefixes = [p for p, uri in root.namespaces.items() if WXR.match(uri)]
    if root.tag == "rss" and prefixes:
        return f"{prefixes[0]}:comment" if prefixes[0] else "comment"
    unknown = sorted(
        (u for u in root.namespaces.values() if "wordpress.org/export/" in u.lower()),
        key=lambda u: u.rstrip("/").endswith("excerpt"),  # the wp namespace, not excerpt's
    )
    if root.tag == "rss" and unknown:
        raise WrongFormat(
            f"a WordPress export namespace Parley does not know ({unknown[0]}): looked for "
            f"{LOOKED_FOR}; saw {root.describe()}"
        )
    raise WrongFormat(f"not a WordPress export: looked for {LOOKED_FOR}; saw {root.describe()}")


class Reader(XmlReader):
    record_depth = 2
    empty = "a WordPress export without a single comment"
    expect = staticmethod(expect)

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
        yield _comment(key, texts(comment))


def _comment(thread: str, f: dict[str, str]) -> Record:
    comment_id = f.get("wp:comment_id", "").strip()
    approved = f.get("wp:comment_approved", "").strip()
    status = STATUSES.get(approved)
    created = utc(f.get("wp:comment_date_gmt", ""), DATE) or utc(f.get("wp:comment_date", ""), DATE)
    if not comment_id:
        return Skipped(f"{thread}#?", "without a comment_id")
    if status is None:
        return Skipped(comment_id, f"with comment_approved {approved!r}")
    if created is None:
        return Skipped(comment_id, "without a date")
    parent = f.get("wp:comment_parent", "").strip()
    return SourceComment(
        key=comment_id,
        thread=thread,
        parent=None if parent in ("", "0") else parent,
        author=f.get("wp:comment_author", "").strip(),
        email=f.get("wp:comment_author_email", "").strip(),
        website=f.get("wp:comment_author_url", "").strip(),
        body=f.get("wp:comment_content", ""),
        markup=Markup.PLAIN_HTML,
        status=status,
        created=created,
        ping=f.get("wp:comment_type", "").strip() in PINGS,
        ip=f.get("wp:comment_author_IP", "").strip(),
    )
