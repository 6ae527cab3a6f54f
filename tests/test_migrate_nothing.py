"""No silent nothing: a file that is not the format named, or whose comments all fail, is an
error naming what was looked for and what was seen, with nothing written on any store; a real
export without comments says so and succeeds; the owner's summary shows what to check."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, do_import, real_export

SITE = "blog"
LOOKED_FOR = (
    "looked for an <rss> root declaring the WordPress export namespace "
    "(http:// or https://wordpress.org/export/1.0/, 1.1/ or 1.2/)"
)


def nothing_written(store: Store) -> bool:
    return list(store.threads(SITE)) == [] and list(store.threads("strict")) == []


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_rss_feed_is_not_a_wordpress_export(
    store: Store, settings: Settings, dry_run: bool
) -> None:
    run = do_import(store, settings, "wordpress", FIXTURES / "feed.rss", dry_run=dry_run)
    assert run.code == 1 and run.out == ""
    assert run.err == (
        f"parley import: feed.rss: not a WordPress export: {LOOKED_FOR}; saw <rss> declaring "
        'xmlns:content="http://purl.org/rss/1.0/modules/content/", '
        'xmlns:atom="http://www.w3.org/2005/Atom"; nothing was imported. '
        "It looks like an RSS feed (a feed holds no comments to import).\n"
    )
    assert nothing_written(store)


def test_an_unknown_wordpress_namespace_is_refused(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    text = (FIXTURES / "wordpress-1.2.xml").read_text(encoding="utf-8")
    path = tmp_path / "wxr-2.0.xml"
    path.write_text(text.replace("wordpress.org/export/1.2/", "wordpress.org/export/2.0/"))
    run = do_import(store, settings, "wordpress", path)
    assert run.code == 1
    assert run.err.startswith(
        "parley import: wxr-2.0.xml: a WordPress export namespace Parley does not know "
        f"(http://wordpress.org/export/2.0/): {LOOKED_FOR}; saw <rss> declaring "
    ), run.err
    assert 'xmlns:wp="http://wordpress.org/export/2.0/"' in run.err
    assert nothing_written(store)


@pytest.mark.parametrize(
    ("fmt", "name", "likely"),
    [
        ("wordpress", "disqus.xml", "disqus"),
        ("disqus", "wordpress-1.2.xml", "wordpress"),
        ("disqus", "wordpress-com.xml", "wordpress"),
        ("wordpress", "remark42.jsonl", "remark42"),
        ("wordpress", "commento.json", "commento"),
        ("disqus", "isso", "isso"),
    ],
)
def test_the_wrong_reader_names_the_likely_format(
    store: Store, settings: Settings, tmp_path: Path, fmt: str, name: str, likely: str
) -> None:
    if name == "isso":
        from tests.migrate_support import isso_db

        path = isso_db(tmp_path)
    else:
        path = FIXTURES / name
    run = do_import(store, settings, fmt, path)
    assert run.code == 1, run.out
    assert f"try `parley import {likely} {path.name}`" in run.err, run.err
    assert nothing_written(store)


def test_none_of_the_comments_import(store: Store, settings: Settings, tmp_path: Path) -> None:
    text = (FIXTURES / "wordpress-1.1.xml").read_text(encoding="utf-8")
    path = tmp_path / "odd.xml"
    path.write_text(text.replace("<wp:comment_approved>1<", "<wp:comment_approved>maybe<"))
    for dry_run in (True, False):
        run = do_import(store, settings, "wordpress", path, dry_run=dry_run)
        assert run.code == 1
        assert run.err == (
            "parley import: odd.xml: the file holds 1 comments and none can be imported "
            "(1 with comment_approved 'maybe'); nothing was imported\n"
        )
    assert nothing_written(store)


def test_a_real_export_without_comments_says_so(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    text = (FIXTURES / "wordpress-1.1.xml").read_text(encoding="utf-8")
    start, end = text.index("<wp:comment>"), text.index("</wp:comment>") + len("</wp:comment>")
    path = tmp_path / "quiet.xml"
    path.write_text(text[:start] + text[end:])
    run = do_import(store, settings, "wordpress", path)
    assert run.code == 0
    assert run.out == "quiet.xml: a WordPress export without a single comment: nothing to import\n"
    assert nothing_written(store)


def test_the_owner_summary(store: Store, settings: Settings) -> None:
    path = real_export("wp-theme-unit-test-data.xml")
    dry = do_import(store, settings, "wordpress", path, dry_run=True, maps=["/2012/=/old/2012/"])
    run = do_import(store, settings, "wordpress", path, maps=["/2012/=/old/2012/"])
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[:-1] == [
        "comments by status: 26 approved, 3 pending, 0 spam, 0 deleted; pings skipped: 4",
        "threads: 7",
        "spam filter: learned from 26 comments (0 spam, 26 legitimate)",
        "most comments (of 7 threads):",
        "  20  /old/2012/01/03/template-comments/  "
        "(from https://wpthemetestdata.wordpress.com/2012/01/03/template-comments/)",
        "   4  /about/page-with-comments/  "
        "(from https://wpthemetestdata.wordpress.com/about/page-with-comments/)",
        "   1  /2009/08/06/edge-case-no-content/  "
        "(from https://wpthemetestdata.wordpress.com/2009/08/06/edge-case-no-content/)",
        "   1  /blog/  (from https://wpthemetestdata.wordpress.com/blog/)",
        "   1  /old/2012/01/01/template-pingbacks-an-trackbacks/  "
        "(from https://wpthemetestdata.wordpress.com/2012/01/01/template-pingbacks-an-trackbacks/)",
    ], lines
    # The dry run reports the same counts the import wrote (and teaches the filter nothing).
    assert dry.out.splitlines()[:-1] == [x for x in lines[:-1] if not x.startswith("spam filter")]
    assert dry.summary.replace("dry run of wordpress into site 'blog', nothing written: ", "") == (
        run.summary.replace("imported wordpress into site 'blog': ", "")
        .replace(" (7 new)", "")
        .replace(" (29 new)", "")
    )
