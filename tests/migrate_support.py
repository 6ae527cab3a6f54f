"""Helpers for the import/export tests: run an import as the CLI does, read what it stored."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

from backend.domain.models import Comment
from backend.migrate.command import run_export, run_import
from backend.settings import Settings
from backend.store.base import Store

FIXTURES = Path(__file__).parent / "fixtures" / "migrate"


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    @property
    def summary(self) -> str:
        return self.out.strip().splitlines()[-1]


def do_import(
    store: Store, settings: Settings, fmt: str, path: Path, site: str = "blog", **options: Any
) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = run_import(settings, fmt, path, site, out=out, err=err, store=store, **options)
    run = Run(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in run.out + run.err
    return run


def do_export(store: Store, settings: Settings, site: str, path: Path) -> list[str]:
    err = io.StringIO()
    assert run_export(settings, site, str(path), err=err, store=store) == 0, err.getvalue()
    return path.read_text(encoding="utf-8").splitlines()


def by_author(store: Store, site: str, uri: str) -> dict[str, Comment]:
    """A thread's comments by author (an author's first comment, when there are several)."""
    found: dict[str, Comment] = {}
    for comment in store.thread_comments(site, uri):
        found.setdefault(comment.author, comment)
    return found


def isso_db(tmp: Path) -> Path:
    path = tmp / "isso.db"
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "isso-v5.sql").read_text(encoding="utf-8"))
    conn.commit()
    conn.close()
    return path


def real_export(name: str) -> Path:
    """A file from shared/data/import, the real exports kept beside the repository."""
    for folder in Path(__file__).resolve().parents:
        path = folder / "shared" / "data" / "import" / name
        if path.is_file():
            return path
    raise FileNotFoundError(f"shared/data/import/{name} is not beside the repository")
