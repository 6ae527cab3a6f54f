"""`parley import staticman`: the folder of YAML/JSON data files Staticman commits into a site's
repository (hand-written fixtures reproducing Staticman v2/v3 files, ones moved over from
Disqus, a Hugo site's, the JSON format, and a site that named its fields itself)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend.cli import main
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import SITES
from tests.migrate_support import FIXTURES, by_author, do_import

SITE = "blog"
FOLDER = FIXTURES / "staticman" / "_data" / "comments"
CUSTOM = FIXTURES / "staticman-custom"


def test_a_staticman_folder(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "staticman", FOLDER)
    assert run.code == 0, run.err
    assert run.summary == (
        "imported staticman into site 'blog': 3 threads (3 new), 8 comments (8 new) "
        "(8 approved); skipped 1: 1 no message"
    ), run.out
    c = by_author(store, SITE, "/articles/autumn-notes/")
    greek = c["Βασιλική Παπαδοπούλου"]
    assert greek.email == ""  # Staticman's md5 of it cannot be reversed
    assert greek.website == "https://vasiliki.example.gr"
    assert greek.created == datetime(2018, 11, 13, 13, 23, 36, 360000, tzinfo=UTC)
    assert greek.html.count("<p>") == 2 and '<a href="https://example.org/"' in greek.html
    assert "<code>code</code>" in greek.html
    assert c["Tomás"].email == "tomas@example.es" and c["Tomás"].parent is None
    assert "joins into one line, long enough" in c["Tomás"].html
    owner = c["Owner"]
    assert owner.parent == greek.id  # replying_to: '1', the first top-level comment
    assert "<li>a list</li>" in owner.html
    replies = [x for x in store.thread_comments(SITE, "/articles/autumn-notes/") if x.parent]
    assert {x.parent for x in replies} == {greek.id, owner.id}  # replying_to_uid: the owner's
    ink = by_author(store, SITE, "/ink-sketches")
    assert ink["Tamsin"].created == datetime(2014, 2, 10, 4, 8, 40, tzinfo=UTC)
    assert ink["Owner"].created == datetime(2015, 9, 9, 14, 27, tzinfo=UTC)
    assert "<script" not in ink["Owner"].html
    hello = by_author(store, SITE, "/hello-world/")  # no page field: the post's folder
    assert hello["Hugo Reader"].created == datetime.fromtimestamp(1500000000, UTC)
    assert hello["Hugo Reader"].website == "https://hugo-reader.example/"
    assert hello["JSON Writer"].parent == hello["Hugo Reader"].id
    assert hello["JSON Writer"].created == datetime.fromtimestamp(1500000100, UTC)
    thread = store.get_thread(SITE, "/articles/autumn-notes/")
    assert thread is not None and thread.count == 4

    again = do_import(store, settings, "staticman", FOLDER)
    assert "8 comments (0 new)" in again.summary


def test_a_dry_run_counts_the_same_and_writes_nothing(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "staticman", FOLDER, dry_run=True)
    assert run.code == 0, run.err
    assert run.summary.endswith(
        "nothing written: 3 threads, 8 comments (8 approved); skipped 1: 1 no message"
    )
    assert list(store.threads(SITE)) == []


def test_fields_a_site_named_itself(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "staticman", CUSTOM)
    assert run.code == 1
    assert "2 data files, none with a message: looked for the keys message, comment" in run.err
    assert "saw _id, author_name, in_reply, when, words" in run.err
    assert "--field message=KEY" in run.err and "nothing was imported" in run.err
    assert list(store.threads(SITE)) == []
    fields = ["message=words", "name=author_name", "date=when", "parent=in_reply"]
    run = do_import(store, settings, "staticman", CUSTOM, field_specs=fields)
    assert run.code == 0, run.err
    assert "1 threads (1 new), 2 comments (2 new) (2 approved); skipped 0" in run.summary
    c = by_author(store, SITE, "/tea/")
    assert c["Second"].parent == c["Custom Fields"].id
    assert c["Custom Fields"].created == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)


def test_not_a_staticman_folder(store: Store, settings: Settings, tmp_path: Path) -> None:
    tmp_path = tmp_path / "site"
    tmp_path.mkdir()
    (tmp_path / "export.xml").write_bytes((FIXTURES / "wordpress-1.2.xml").read_bytes())
    run = do_import(store, settings, "staticman", tmp_path / "export.xml")
    assert run.code == 1
    assert "not Staticman data: looked for .yml, .yaml or .json files" in run.err
    assert "try `parley import wordpress export.xml`" in run.err
    run = do_import(store, settings, "staticman", tmp_path)
    assert run.code == 1 and "saw 1 files of other kinds (.xml)" in run.err
    (tmp_path / "bad.yml").write_text("name: [unclosed\n", encoding="utf-8")
    run = do_import(store, settings, "staticman", tmp_path)
    assert run.code == 1 and "bad.yml: cannot be read" in run.err
    (tmp_path / "bad.yml").write_text("!!python/object/apply:os.system ['echo hi']\n")
    run = do_import(store, settings, "staticman", tmp_path)
    assert run.code == 1 and "bad.yml: cannot be read" in run.err  # YAML's safe types only
    empty = tmp_path / "empty"
    empty.mkdir()
    run = do_import(store, settings, "staticman", empty)
    assert run.code == 0 and "a Staticman folder with no data files: nothing to import" in run.out
    assert list(store.threads(SITE)) == []


def test_through_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARLEY_STORE", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PARLEY_SITES", json.dumps(SITES))
    monkeypatch.setenv("PARLEY_SECRET_KEYS", "test-secret-key-0123456789")
    argv = ["import", "staticman", str(CUSTOM), "--site", "blog"]
    assert main(argv) == 1
    fields = ["--field", "message=words", "--field", "name=author_name", "--field", "date=when"]
    assert main([*argv, *fields]) == 0
    assert "2 comments (2 new)" in capsys.readouterr().out
    assert main([*argv, "--field", "colour=words"]) == 2
    assert "--field 'colour=words': give NAME=SOURCE" in capsys.readouterr().err
    assert main(["import", "wordpress", str(CUSTOM), "--site", "blog", *fields]) == 2
    assert "--field is for staticman and cusdis only" in capsys.readouterr().err


def test_the_field_names_the_command_takes_are_the_readers() -> None:
    from backend.migrate import FIELDS
    from backend.migrate.staticman import NAMES

    assert FIELDS["staticman"] == tuple(NAMES)
