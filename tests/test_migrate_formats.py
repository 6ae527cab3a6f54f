"""`parley import` for each source format, on every store, from fixtures written for Parley."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backend.domain.models import Status
from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, by_author, do_import, isso_db

SITE = "blog"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_wordpress_wxr_1_2(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml")
    assert run.code == 0, run.err
    assert run.summary.startswith(
        "imported wordpress into site 'blog': 3 threads (3 new), 10 comments (10 new) "
        "(7 approved, 1 pending, 1 spam, 1 deleted); skipped 2: 2 trackbacks or pingbacks"
    ), run.summary

    post = store.get_thread(SITE, "/?p=4")  # a ?p=4 link keeps its query
    assert post is not None and post.title == "Hello & welcome" and not post.locked
    assert post.count == 5
    page = store.get_thread(SITE, "/about/")  # a page, closed for comments
    assert page is not None and page.locked and page.count == 1
    secret = store.get_thread(SITE, "/2012/05/secret/")  # password-protected: counts the same
    assert secret is not None and secret.count == 1

    c = by_author(store, SITE, "/?p=4")
    # Any depth, whatever order the file lists them in: 15 -> 14 -> 12 -> 11.
    assert c["Owner"].parent == c["Алёна"].id
    assert c["Алёна"].parent == c["李雷"].id
    assert c["李雷"].parent == c["Jürgen Müller"].id
    assert c["Jürgen Müller"].parent is None
    assert c["Jürgen Müller"].replies == 1  # the pending reply does not count
    assert c["Held Back"].status is Status.PENDING
    assert c["cheap pills"].status is Status.SPAM
    assert c["Regretful"].status is Status.DELETED and c["Regretful"].replies == 1
    # comment_date_gmt is kept; an all-zero one falls back to comment_date.
    assert c["Jürgen Müller"].created == at("2012-03-01T10:00:00")
    long = by_author(store, SITE, "/about/")["Longwinded"]
    assert long.created == at("2012-01-05T08:00:00")
    assert len(long.html) > 7000  # not held to the reader's length limit

    first = c["Jürgen Müller"]
    assert first.email == "juergen@example.de" and first.website == "https://juergen.example.de/"
    assert "<script" not in first.html and "javascript:" not in first.html
    assert first.html.startswith("<p>First line<br>second line</p><p>A new paragraph")
    assert first.ip_hash and "192.0.2.10" not in first.ip_hash and first.avatar
    # Ids sort as the comments were written.
    comments = list(store.thread_comments(SITE, "/?p=4"))
    assert [x.id for x in comments] == [x.id for x in sorted(comments, key=lambda x: x.created)]

    # The trashed comment with a reply shows as a tombstone, in the thread's place.
    shown = store.read_page(SITE, "/?p=4", after=None, limit=50).comments
    assert [x.author for x in shown] == ["Jürgen Müller", "李雷", "Алёна", "Owner",
                                         "Regretful", "Answerer"]  # fmt: skip
    assert shown[4].visible and shown[4].status is Status.DELETED


def test_wordpress_pings_on_request(store: Store, settings: Settings) -> None:
    run = do_import(
        store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml", include_pings=True
    )
    assert "12 comments (12 new)" in run.summary and run.summary.endswith("skipped 0")
    thread = store.get_thread(SITE, "/?p=4")
    assert thread is not None and thread.count == 7


def test_wordpress_wxr_1_0_and_1_1(store: Store, settings: Settings) -> None:
    for name in ("wordpress-1.0.xml", "wordpress-1.1.xml"):
        assert do_import(store, settings, "wordpress", FIXTURES / name).code == 0
    c = by_author(store, SITE, "/2008/07/an-old-post/")
    assert set(c) == {"Ada", "Bob", "Cy"}
    assert c["Bob"].parent == c["Ada"].id
    assert c["Ada"].html == "<p>From WXR 1.0 <em>with</em> escaped HTML</p>"  # entity-escaped


def test_disqus(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "disqus", FIXTURES / "disqus.xml")
    assert run.code == 0, run.err
    assert run.summary == (
        "imported disqus into site 'blog': 2 threads (2 new), 8 comments (8 new) "
        "(5 approved, 1 spam, 2 deleted); skipped 1: 1 in a thread missing from the file"
    )
    # Two Disqus threads for one page (http and https) are one Parley thread.
    hello = store.get_thread(SITE, "/2013/04/hello/")
    assert hello is not None and hello.title == "Hello, Disqus" and hello.count == 4
    closed = store.get_thread(SITE, "/2013/05/closed/")
    assert closed is not None and closed.locked and closed.count == 1

    c = by_author(store, SITE, "/2013/04/hello/")
    assert c["Guest Reader"].parent == c["Ana Conceição"].id
    assert c["Watches"].status is Status.SPAM
    assert c["Oops"].status is Status.DELETED and c["Oops"].replies == 1
    assert c["Quiet"].status is Status.DELETED and not c["Quiet"].visible
    assert c["山田 由紀"].parent == c["Oops"].id
    assert "<img" not in c["Ana Conceição"].html and "onerror" not in c["Ana Conceição"].html
    shown = [x.author for x in store.read_page(SITE, "/2013/04/hello/", after=None,
                                              limit=50).comments]  # fmt: skip
    assert shown == ["Ana Conceição", "Guest Reader", "Oops", "山田 由紀", "Ana Conceição"]


def test_isso(store: Store, settings: Settings, tmp_path: Path) -> None:
    run = do_import(store, settings, "isso", isso_db(tmp_path))
    assert run.code == 0, run.err
    assert "2 threads (2 new), 6 comments (6 new) (4 approved, 1 pending, 1 deleted)" in (
        run.summary
    )
    thread = store.get_thread(SITE, "/2019/06/isso-post/")
    assert thread is not None and thread.title == "An Isso post" and thread.count == 3
    c = by_author(store, SITE, "/2019/06/isso-post/")
    emile = c["Émile"]
    assert emile.likes == 3 and emile.website == "https://emile.example.fr"
    assert emile.created == datetime.fromtimestamp(1560000000.25, UTC)
    assert "<em>emphasis</em>" in emile.html  # Isso's Markdown, rendered by Parley
    assert c["Σωκράτης"].parent == emile.id and c["Σωκράτης"].edited is not None
    assert "<script>" not in c["Σωκράτης"].html
    assert c["Pending Pat"].status is Status.PENDING
    tombstone = c["Anonymous"]  # Isso empties a deleted comment that has replies
    assert tombstone.status is Status.DELETED and tombstone.replies == 1 and tombstone.visible
    assert c["Replier"].parent == tombstone.id
    quiet = by_author(store, SITE, "/2019/07/quiet/")
    assert quiet["Anonymous"].likes == 5


def test_remark42(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "remark42", FIXTURES / "remark42.jsonl")
    assert run.code == 0, run.err
    assert "2 threads (2 new), 4 comments (4 new) (3 approved, 1 deleted)" in run.summary
    thread = store.get_thread(SITE, "/2020/01/remark/")
    assert thread is not None and thread.title == "A Remark42 post" and thread.count == 2
    locked = store.get_thread(SITE, "/2020/02/locked/")
    assert locked is not None and locked.locked
    c = by_author(store, SITE, "/2020/01/remark/")
    assert c["Mira"].likes == 2 and c["Mira"].replies == 1  # two up-votes; the deleted
    assert c["Ørjan"].parent == c["Mira"].id  # reply does not count
    assert c["Ørjan"].created == at("2020-01-10T10:00:00.123")  # kept to the millisecond
    assert c["Gone"].status is Status.DELETED
    old = by_author(store, SITE, "/2020/02/locked/")["Old Import"]
    assert "<iframe" not in old.html and old.likes == 0 and old.edited is None


def test_commento(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "commento", FIXTURES / "commento.json")
    assert run.code == 0, run.err
    assert "5 comments (5 new) (2 approved, 1 pending, 1 spam, 1 deleted)" in run.summary
    comments = list(store.thread_comments(SITE, "/2021/03/commento/"))
    authors = [c.author for c in comments]
    assert authors == ["Alice Ñúñez", "Anonymous", "Bob", "Anonymous"]  # none dropped
    alice, anonymous = comments[0], comments[1]
    assert anonymous.parent == alice.id and anonymous.email == ""
    assert alice.email == "alice@example.org" and alice.likes == 4 and alice.replies == 1
    assert alice.website == "https://alice.example" and comments[2].website is None
    assert "<strong>Commento</strong>" in alice.html
    assert [c.status for c in comments[2:]] == [Status.PENDING, Status.SPAM]
