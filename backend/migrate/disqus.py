"""Disqus's XML export: `<thread>`s first, then every `<post>` pointing at its thread and parent.

Threads are keyed by `dsq:id`; a thread's uri comes from its `<link>` (two Disqus threads for
one page merge into one). `isClosed` threads are locked; `isSpam` posts are spam; `isDeleted`
posts are deleted (those with replies show as tombstones). A post whose thread is not in the
file is reported and skipped. Damaged files are repaired where the fix is certain (see
`xmlfile.py`), refused with the line otherwise.
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

NAMESPACE = "http://disqus.com"


def expect(root: Root) -> str:
    if root.tag == "disqus" and root.namespaces.get("") in (NAMESPACE, None):
        return "post"
    raise WrongFormat(
        f'not a Disqus export: looked for a <disqus> root declaring xmlns="{NAMESPACE}"; '
        f"saw {root.describe()}"
    )


class Reader(XmlReader):
    empty = "a Disqus export without a single post"
    expect = staticmethod(expect)

    def records(self) -> Iterator[Record]:
        for element in self.xml.elements({"thread", "post"}, depth=1):
            if name(element.tag) == "thread":
                yield _thread(element)
            else:
                yield _post(element)


def _true(element: Element, tag: str) -> bool:
    return child_text(element, tag).lower() == "true"


def _thread(element: Element) -> SourceThread:
    return SourceThread(
        key=attr(element, "dsq:id"),
        url=child_text(element, "link"),
        title=plain(child_text(element, "title")),
        locked=_true(element, "isClosed"),
        created=utc(child_text(element, "createdAt")),
    )


def _post(element: Element) -> Record:
    # A post without dsq:id (seen in real exports) is kept by its own <id> when it has one.
    key = attr(element, "dsq:id") or (
        f"id:{child_text(element, 'id')}" if child_text(element, "id") else ""
    )
    thread = child(element, "thread")
    parent = child(element, "parent")
    author = child(element, "author")
    created = utc(child_text(element, "createdAt"))
    if not key:
        return Skipped("?", "posts without a dsq:id")
    if created is None:
        return Skipped(key, "posts without a date")
    if _true(element, "isSpam"):
        status = Status.SPAM
    elif _true(element, "isDeleted"):
        status = Status.DELETED
    elif child_text(element, "isApproved").lower() == "false":
        status = Status.PENDING
    else:
        status = Status.APPROVED
    return SourceComment(
        key=key,
        thread="" if thread is None else attr(thread, "dsq:id"),
        parent=(parent is not None and attr(parent, "dsq:id")) or None,
        author=""
        if author is None
        else child_text(author, "name") or child_text(author, "username"),
        email="" if author is None else child_text(author, "email"),
        website=None,
        body=child_text(element, "message", strip=False),
        markup=Markup.HTML,
        status=status,
        created=created,
        ip=child_text(element, "ipAddress"),
    )
