"""Files made to crash or poison an import (issue: hardening, imports): each is imported
cleanly or refused naming the record, and never leaves a store that answers 500."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain import text as text_rules
from backend.settings import Settings
from backend.store.base import Store
from tests.helpers import atom
from tests.migrate_support import FIXTURES, by_author, do_import, isso_db

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


def _commento(tmp: Path, comments: list[dict[str, Any]], people: list[dict[str, Any]]) -> Path:
    path = tmp / "commento.json"
    # ensure_ascii keeps a lone surrogate as the escape JSON allows ("\ud800")
    path.write_text(json.dumps({"version": 1, "comments": comments, "commenters": people}))
    return path


def _c(hex_: str, who: str, text: str = "Hello", **more: Any) -> dict[str, Any]:
    return {"commentHex": hex_, "path": "/p/", "commenterHex": who, "markdown": text,
            "parentHex": "root", "score": 0, "state": "approved",
            "creationDate": "2021-03-01T10:00:00Z", "deleted": False, **more}  # fmt: skip


def test_imported_words_follow_posting_rule(
    store: Store, settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    """A lone surrogate, control characters, bidi overrides, U+2028, a 5,000-character name,
    a javascript: website and a broken email: cleaned or dropped per field, counted, and the
    thread's JSON, HTML and feed stay readable."""
    people = [
        {"commenterHex": "a", "name": "Lone \ud800 surrogate", "email": "a@example.org",
         "link": "javascript:alert(1)"},
        {"commenterHex": "b", "name": "Bell\x07 and \u202eevil\u202c", "email": "no email",
         "link": "https://b.example/" + "x" * 300},
        {"commenterHex": "c", "name": "Line\u2028break " + "n" * 5000, "email": "c@example.org",
         "link": "https://c.example/"},
        {"commenterHex": "d", "name": "\u200b\u2800", "email": "", "link": ""},
    ]  # fmt: skip
    comments = [
        _c("1", "a", "Text with a \x00 NUL and \ud800", creationDate="2021-03-01T10:01:00Z"),
        _c("2", "b", creationDate="2021-03-01T10:02:00Z"),
        _c("3", "c", "First\u2028second", creationDate="2021-03-01T10:03:00Z"),
        _c("4", "d", creationDate="2021-03-01T10:04:00Z"),
    ]
    run = do_import(store, settings, "commento", _commento(tmp_path, comments, people))
    assert run.code == 0, run.err
    assert "4 comments (4 new) (4 approved)" in run.summary
    for note in (
        "note: 3 authors with characters a reader may not type, cleaned",
        "note: 1 authors over 80 characters, cut",
        "note: 1 emails a reader could not give, dropped",
        "note: 2 websites that are not an http(s) address of at most 200 characters, dropped",
        "note: 1 texts with characters a reader may not type, cleaned",
    ):
        assert note in run.out, run.out
    stored = list(store.thread_comments(SITE, "/p/"))
    authors = [c.author for c in stored]
    assert authors[0] == "Lone surrogate" and authors[1] == "Bell and evil"
    assert len(authors[2]) == 80 and authors[2].startswith("Line break nnn")
    assert authors[3] == "Anonymous"  # nothing visible left
    assert [c.website for c in stored] == [None, None, "https://c.example/", None]
    assert stored[1].email == "" and stored[0].email == "a@example.org"
    assert "\x00" not in stored[0].text and "\ud800" not in stored[0].text
    assert stored[2].text == "First\nsecond"  # U+2028 is a line break, as when posted
    for comment in stored:
        for value in (comment.author, comment.text, comment.html):
            assert text_rules.problem(value, multiline=True) is None, value

    query = {"site": SITE, "uri": "/p/"}
    assert client.get("/api/v1/comments", params=query).status_code == 200
    assert client.get("/api/v1/comments.html", params=query).status_code == 200
    for params in (query, {"site": SITE}):
        atom(client.get("/api/v1/feed.atom", params=params))  # as a feed reader reads it


@pytest.mark.parametrize(
    ("score", "why"),
    [
        (1e30, "likes 1e+30 is over 1,000,000,000"),
        ("5", "likes '5' is not a number"),
        (2.5, "likes 2.5 is not a whole number"),
    ],
)
def test_absurd_likes_are_refused_naming_the_record(
    store: Store, settings: Settings, tmp_path: Path, score: object, why: str
) -> None:
    people = [{"commenterHex": "a", "name": "A"}]
    path = _commento(tmp_path, [_c("1", "a"), _c("bad1", "a", score=score)], people)
    run = do_import(store, settings, "commento", path)
    assert run.code == 1
    assert run.err == (
        f"parley import: commento.json: comment 'bad1' has a value Commento never writes ({why})\n"
    )
    assert list(store.threads(SITE)) == []


def test_isso_likes_stored_as_text_are_refused(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = isso_db(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE comments SET likes = 'many' WHERE id = 2")
    conn.commit()
    conn.close()
    run = do_import(store, settings, "isso", path)
    assert run.code == 1
    assert run.err == (
        "parley import: isso.db: comment 2 has a value Isso never writes "
        "(likes 'many' is not a number)\n"
    )
    assert list(store.threads(SITE)) == []


@pytest.mark.parametrize("fmt", ["commento", "remark42", "parley"])
def test_deep_json_is_refused_naming_the_record(
    store: Store, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.json"
    if fmt == "commento":
        first = json.dumps(_c("1", "a"))
        path.write_text(f'{{"version": 1, "comments": [{first}, {deep}], "commenters": []}}')
        where = "comments[1] is nested deeper than any export: refused"
    elif fmt == "remark42":
        path.write_text('{"version": 1, "users": [], "posts": []}\n' + deep + "\n")
        where = "line 2: JSON nested deeper than any export: refused"
    else:
        path.write_text('{"format": "parley-export", "version": 1}\n' + deep + "\n")
        where = "line 2: JSON nested deeper than any export: refused"
    run = do_import(store, settings, fmt, path)
    assert run.code == 1
    assert run.err == f"parley import: deep.json: {where}\n", run.err
    assert list(store.threads(SITE)) == []
