"""`parley import cusdis`: Cusdis's SQLite database (a hand-written one reproducing its Prisma
schema: two projects, a page known by its slug only, both of Prisma's date forms, approved,
unapproved and soft-deleted comments)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from backend.domain.models import Status
from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, by_author, do_import

SITE = "blog"


def cusdis_db(tmp: Path) -> Path:
    path = tmp / "cusdis.db"
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "cusdis.sql").read_text(encoding="utf-8"))
    conn.commit()
    conn.close()
    return path


def test_one_project_of_a_cusdis_database(store: Store, settings: Settings, tmp_path: Path) -> None:
    db = cusdis_db(tmp_path)
    run = do_import(store, settings, "cusdis", db)
    assert run.code == 1
    assert "holds 2 projects ('My blog' (p-blog), 'Docs' (p-docs))" in run.err
    assert "--field project=ID-OR-TITLE" in run.err
    assert list(store.threads(SITE)) == []

    run = do_import(store, settings, "cusdis", db, field_specs=["project=My blog"])
    assert run.code == 0, run.err
    assert run.summary == (
        "imported cusdis into site 'blog': 2 threads (2 new), 5 comments (5 new) "
        "(3 approved, 1 pending, 1 deleted); skipped 0"
    ), run.out
    c = by_author(store, SITE, "/posts/hello-world/")
    eleni = c["Ελένη"]
    assert eleni.email == "eleni@example.gr"
    assert eleni.created == datetime(2022, 1, 1, 1, 20, tzinfo=UTC)
    assert "<strong>Markdown</strong>" in eleni.html and "<script" not in eleni.html
    assert c["Owner"].parent == eleni.id
    assert c["Owner"].created == datetime(2022, 1, 2, 10, tzinfo=UTC)
    assert c["Waiting"].status is Status.PENDING
    thread = store.get_thread(SITE, "/posts/hello-world/")
    assert thread is not None and thread.title == "Hello, world" and thread.count == 2
    about = {x.text: x for x in store.thread_comments(SITE, "/about/")}
    replier = about["Answering a deleted comment."]
    assert store.get_comment(SITE, "/about/", replier.parent or "").status is Status.DELETED  # type: ignore[union-attr]
    assert store.get_thread(SITE, "/install") is None  # the other project's

    again = do_import(store, settings, "cusdis", db, field_specs=["project=p-blog"])
    assert "5 comments (0 new)" in again.summary


def test_not_a_cusdis_database(store: Store, settings: Settings, tmp_path: Path) -> None:
    isso = tmp_path / "isso.db"
    conn = sqlite3.connect(isso)
    conn.executescript((FIXTURES / "isso-v5.sql").read_text(encoding="utf-8"))
    conn.close()
    run = do_import(store, settings, "cusdis", isso)
    assert run.code == 1
    assert "not a Cusdis database: table 'projects' lacks" in run.err
    assert "try `parley import isso isso.db`" in run.err
    db = cusdis_db(tmp_path)
    assert "try `parley import cusdis cusdis.db`" in do_import(store, settings, "isso", db).err
    run = do_import(store, settings, "cusdis", db, field_specs=["project=Nope"])
    assert run.code == 1 and "no Cusdis project 'Nope'" in run.err
    run = do_import(store, settings, "cusdis", db, field_specs=["name=x"])
    assert run.code == 2 and "NAME one of project" in run.err
    assert list(store.threads(SITE)) == []
