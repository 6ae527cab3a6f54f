"""Each variant real exports show, one test each (docs/migrate.md lists where each was seen).
The fixtures are hand-written; namespace variants are made from them by changing only the
namespace declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.domain.models import Status
from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, by_author, do_import

SITE = "blog"


def _with_namespace(tmp: Path, name: str, old: str, new: str) -> Path:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert old in text
    path = tmp / name.replace(".xml", "-variant.xml")
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "namespace"),
    [
        ("wordpress-1.0.xml", "http://wordpress.org/export/1.0/"),
        ("wordpress-1.0.xml", "https://wordpress.org/export/1.0/"),
        ("wordpress-1.1.xml", "http://wordpress.org/export/1.1/"),
        ("wordpress-1.1.xml", "https://wordpress.org/export/1.1/"),
        ("wordpress-1.2.xml", "http://wordpress.org/export/1.2/"),
        ("wordpress-1.2.xml", "https://wordpress.org/export/1.2/"),
    ],
)
def test_wordpress_namespace(
    store: Store, settings: Settings, tmp_path: Path, name: str, namespace: str
) -> None:
    version = namespace.rstrip("/").rsplit("/", 1)[1]
    path = _with_namespace(
        tmp_path, name, f'xmlns:wp="http://wordpress.org/export/{version}/"',
        f'xmlns:wp="{namespace}"',
    )  # fmt: skip
    run = do_import(store, settings, "wordpress", path)
    assert run.code == 0, run.err
    expected = {"1.0": "2 comments", "1.1": "1 comments", "1.2": "10 comments"}[version]
    assert f"{expected} (" in run.summary, run.summary


def test_wordpress_com_cdata_everywhere(store: Store, settings: Settings) -> None:
    """WordPress.com: https namespaces (wp and excerpt), CDATA around numbers and dates,
    comment_type "comment", comment meta; a page without comments is no thread."""
    run = do_import(store, settings, "wordpress", FIXTURES / "wordpress-com.xml")
    assert run.code == 0, run.err
    assert run.summary.startswith(
        "imported wordpress into site 'blog': 1 threads (1 new), 3 comments (3 new) "
        "(2 approved, 1 pending); skipped 1: 1 trackbacks or pingbacks"
    ), run.summary
    thread = store.get_thread(SITE, "/2013/06/naxos/")
    assert thread is not None and thread.title == "Νάξος & Πάρος" and thread.count == 2
    assert store.get_thread(SITE, "/about/") is None
    c = by_author(store, SITE, "/2013/06/naxos/")
    first = c["Γιάννης Παπαδόπουλος"]
    assert first.created.isoformat() == "2013-06-02T09:30:00+00:00"  # the GMT date
    assert first.html == "<p>Υπέροχα!</p><p>Second paragraph.</p>"
    assert c["owner"].parent == first.id
    assert c["Held Reader"].status is Status.PENDING
