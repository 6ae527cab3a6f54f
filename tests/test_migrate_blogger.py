"""`parley import blogger`: Google Takeout's feed.atom and the older "Back up content" file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from backend.domain.models import Status
from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, by_author, do_import

SITE = "blog"


def test_blogger_takeout(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "blogger", FIXTURES / "blogger-takeout.atom")
    assert run.code == 0, run.err
    assert run.summary == (
        "imported blogger into site 'blog': 2 threads (2 new), 5 comments (5 new) "
        "(2 approved, 1 pending, 1 spam, 1 deleted); skipped 0"
    ), run.summary
    post = store.get_thread(SITE, "/2016/05/viagem.html")
    assert post is not None and post.title == "Viagem & volta" and post.count == 2
    c = by_author(store, SITE, "/2016/05/viagem.html")
    ines = c["Inês Ribeiro"]
    assert ines.email == "" and ines.website == "https://ines.example.pt/"  # placeholder dropped
    assert ines.html == "Muito bom!<br>Second line"
    assert ines.created == datetime(2016, 5, 2, 9, tzinfo=UTC)
    assert c["Owner"].parent == ines.id and c["Owner"].email == "owner@notas.example"
    assert c["Cheap Watches"].status is Status.SPAM
    assert c["Anonymous"].status is Status.DELETED
    held = by_author(store, SITE, "/p/sobre.html")["Held"]  # a page, by its filename
    assert held.status is Status.PENDING and held.email == "held@example.org"


def test_blogger_back_up_content(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "blogger", FIXTURES / "blogger-legacy.xml")
    assert run.code == 0, run.err
    assert "1 threads (1 new), 2 comments (2 new) (2 approved); skipped 0" in run.summary
    c = by_author(store, SITE, "/2011/02/snow.html")
    assert c["Owner"].parent == c["Søren"].id
    assert c["Søren"].html == "Lovely &amp; cold" and c["Søren"].email == ""
    assert c["Søren"].created == datetime(2011, 2, 2, 18, tzinfo=UTC)
    thread = store.get_thread(SITE, "/2011/02/snow.html")
    assert thread is not None and thread.title == "Snow" and thread.count == 2


def test_a_wordpress_export_is_not_a_blogger_one(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "blogger", FIXTURES / "wordpress-com.xml")
    assert run.code == 1
    assert "not a Blogger export: looked for a <feed> root" in run.err
    assert "try `parley import wordpress wordpress-com.xml`" in run.err
    blogger = do_import(store, settings, "wordpress", FIXTURES / "blogger-takeout.atom")
    assert "try `parley import blogger blogger-takeout.atom`" in blogger.err
    assert list(store.threads(SITE)) == []


def test_a_blog_without_comments_says_so(store: Store, settings: Settings, tmp_path: Path) -> None:
    text = (FIXTURES / "blogger-legacy.xml").read_text(encoding="utf-8")
    path = tmp_path / "posts-only.xml"
    path.write_text(text[: text.index("  <entry>\n    <id>tag:blogger.com,1999:blog-777.post-501")]
                    + "</feed>\n")  # fmt: skip
    run = do_import(store, settings, "blogger", path)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == "the file holds no comments: nothing to import"
    assert "0 threads (0 new), 0 comments (0 new); skipped 0" in run.summary
    assert list(store.threads(SITE)) == []
