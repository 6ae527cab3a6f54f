"""Files made to crash or poison an import (issue: hardening, imports): each is imported
cleanly or refused naming the record, and never leaves a store that answers 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, by_author, do_import

SITE = "blog"


@pytest.mark.parametrize("dry_run", [True, False])
def test_replies_before_parents_whose_parent_is_missing(
    store: Store, settings: Settings, dry_run: bool
) -> None:
    path = FIXTURES / "wordpress-orphans.xml"
    for _ in range(2):  # and a rerun: the same, nothing new
        run = do_import(store, settings, "wordpress", path, dry_run=dry_run)
        assert run.code == 0, run.err
        assert "3 comments" in run.summary and "(3 approved)" in run.summary, run.summary
    assert "note: 1 replies to a comment missing from the file, kept" in run.out
    if dry_run:
        assert list(store.threads(SITE)) == []
        return
    c = by_author(store, SITE, "/orphans/")
    assert c["Child"].parent is None
    assert c["Grandchild"].parent == c["Child"].id
    assert c["Great-grandchild"].parent == c["Grandchild"].id
    assert c["Child"].replies == 1 and c["Grandchild"].replies == 1


def test_a_loop_of_parents_is_cut(store: Store, settings: Settings, tmp_path: Path) -> None:
    text = (FIXTURES / "wordpress-orphans.xml").read_text(encoding="utf-8")
    looped = tmp_path / "loop.xml"  # 2 -> 4 -> 3 -> 2
    looped.write_text(text.replace("<wp:comment_parent>1<", "<wp:comment_parent>4<"))
    run = do_import(store, settings, "wordpress", looped)
    assert run.code == 0, run.err
    assert "note: 1 replies in a loop of parents, kept top-level" in run.out
    assert "3 comments (3 new) (3 approved)" in run.summary
    c = by_author(store, SITE, "/orphans/")
    assert sum(x.parent is None for x in c.values()) == 1
