"""`parley import` on exports written by other software (shared/data/import, beside the
repository: see its SOURCES.md), on every store. These files are read, never copied in."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.domain.models import Status
from backend.domain.service import CommentService
from backend.domain.tokens import Signer
from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import by_author, do_export, do_import, real_export
from tests.test_migrate_rules import numbers

SITE = "blog"
TEMPLATE = "/2012/01/03/template-comments/"


def test_wordpress_com_theme_unit_test_data(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """WordPress.com's WXR 1.2 with https namespaces: 33 comments in 7 items."""
    path = real_export("wp-theme-unit-test-data.xml")
    run = do_import(store, settings, "wordpress", path)
    assert run.code == 0, run.err
    assert run.summary == (
        "imported wordpress into site 'blog': 7 threads (7 new), 29 comments (29 new) "
        "(26 approved, 3 pending); skipped 4: 4 trackbacks or pingbacks "
        "(--include-pings keeps them)"
    ), run.summary

    comments = list(store.thread_comments(SITE, TEMPLATE))
    approved = [c for c in comments if c.status is Status.APPROVED]
    assert len(approved) == 19 and len(comments) == 20
    service = CommentService(settings, store, Signer(settings.secret_keys))
    thread, shown = service.read_all(SITE, TEMPLATE)
    assert thread is not None and thread.count == 19
    assert [n for n, _ in shown] == list(range(1, 20))
    # The reply chain 904 -> 905 -> ... -> 915: ten comments, each the reply of the one before.
    by_id = {c.id: c for c in comments}
    depth = {c.id: 1 for c in comments}
    for c in comments:  # oldest first, so a parent's depth is known before its reply's
        if c.parent is not None:
            depth[c.id] = depth[c.parent] + 1
    deepest = max(comments, key=lambda c: depth[c.id])
    assert depth[deepest.id] == 10 and deepest.author == "themedemos"
    assert all(c.created.year in (2012, 2013) for c in approved)
    assert by_id[comments[0].id].created.isoformat() == "2012-09-03T17:18:04+00:00"
    authors = {c.author for c in comments}
    assert {"John Γιάννης Doe Κάποιος", "John Κώστας Doe Τάδε", "John Μαρία Doe Ντουε"} <= authors

    held = [c for t in store.threads(SITE) for c in store.thread_comments(SITE, t.uri)
            if c.status is Status.PENDING]  # fmt: skip
    assert len(held) == 3 and all("@" in c.email for c in held)  # kept for the admin

    exported = tmp_path / "blog.jsonl"
    do_export(store, settings, SITE, exported)
    back = do_import(store, settings, "parley", exported, site="strict")
    assert back.code == 0, back.err
    assert "7 threads (7 new), 29 comments (29 new) (26 approved, 3 pending)" in back.summary
    assert numbers(store, "strict") == numbers(store, SITE)


def test_wordpress_com_pings_on_request(store: Store, settings: Settings) -> None:
    path = real_export("wp-theme-unit-test-data.xml")
    run = do_import(store, settings, "wordpress", path, include_pings=True, dry_run=True)
    assert run.code == 0, run.err
    assert "33 comments (30 approved, 3 pending); skipped 0" in run.summary, run.summary


@pytest.mark.parametrize("dry_run", [True, False])
def test_isso_disqus_export(store: Store, settings: Settings, dry_run: bool) -> None:
    """Isso's Disqus test file: a thread without a link, a post in a missing thread, a
    deleted post with a reply, a thread with an empty title."""
    run = do_import(store, settings, "disqus", real_export("isso-disqus.xml"), dry_run=dry_run)
    assert run.code == 0, run.err
    assert "2 threads" in run.summary and "5 comments" in run.summary
    assert run.summary.endswith(
        "(4 approved, 1 deleted); skipped 1: 1 in a thread missing from the file"
    ), run.summary
    if dry_run:
        assert list(store.threads(SITE)) == []
        return
    home = store.get_thread(SITE, "/")
    assert home is not None and home.title == "Hello, World!" and home.count == 3
    c = list(store.thread_comments(SITE, "/"))
    peter = next(x for x in c if x.author == "peter" and x.status is Status.APPROVED)
    reply = next(x for x in c if x.parent == peter.id)
    assert peter.email == "foo@bar.com" and reply.author == "user"
    gone = next(x for x in c if x.status is Status.DELETED)
    assert gone.replies == 1 and gone.visible  # a tombstone, its reply under it
    untitled = store.get_thread(SITE, "/blog/2013/02/12/redacted/index.html")
    assert untitled is not None and untitled.title == "" and untitled.count == 1


def test_remark42_disqus_export(store: Store, settings: Settings) -> None:
    """Remark42's damaged Disqus file: a stray byte before the declaration, an unquoted
    attribute, a post without dsq:id (kept by its <id>), a spam post, a post with a bad date."""
    run = do_import(store, settings, "disqus", real_export("remark42-disqus.xml"))
    assert run.code == 0, run.err
    assert "repaired: dropped 1 stray bytes before the XML declaration" in run.out
    assert "repaired: quoted an attribute value at line 147" in run.out
    assert run.summary == (
        "imported disqus into site 'blog': 2 threads (2 new), 5 comments (5 new) "
        "(4 approved, 1 spam); skipped 1: 1 posts without a date"
    ), run.summary
    podcast = store.get_thread(SITE, "/p/2011/03/05/podcast-229/")
    assert podcast is not None and podcast.locked and podcast.count == 2
    assert podcast.title == "Радио-Т: Радио-Т 229"  # noqa: RUF001
    old = by_author(store, SITE, "/2011/03/229_8880.html")
    assert set(old) == {"No Username", "Blah Noname"}
    assert old["No Username"].html.startswith("<p>Google App Engine")
    assert old["Blah Noname"].text == "This comment had no ID"
