"""The rules every import follows: re-import adds nothing, export -> import is lossless, a dry
run writes nothing, damaged files are repaired or refused whole, entity bombs are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.cli import main
from backend.domain.models import OWNER, Comment, NewComment, Status
from backend.migrate.pipeline import derive_id
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import SITES
from tests.migrate_support import FIXTURES, by_author, do_export, do_import

SITE = "blog"


def numbers(store: Store, site: str) -> dict[str, tuple[int, list[tuple[str, int, int]]]]:
    """Per thread: the count, and each comment's (status, replies, likes)."""
    return {
        t.uri: (
            t.count,
            [(c.status.value, c.replies, c.likes) for c in store.thread_comments(site, t.uri)],
        )
        for t in store.threads(site)
    }


def test_reimport_adds_nothing(store: Store, settings: Settings) -> None:
    first = do_import(store, settings, "disqus", FIXTURES / "disqus.xml")
    before = numbers(store, SITE)
    again = do_import(store, settings, "disqus", FIXTURES / "disqus.xml")
    assert again.code == 0
    assert "2 threads (0 new), 8 comments (0 new)" in again.summary, again.summary
    assert numbers(store, SITE) == before
    assert first.summary.replace("(2 new)", "(0 new)").replace("(8 new)", "(0 new)") == (
        again.summary
    )


def test_reimport_keeps_later_moderation_and_completes_counts(
    store: Store, settings: Settings
) -> None:
    do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml")
    held = by_author(store, SITE, "/?p=4")["Held Back"]
    store.set_status(SITE, "/?p=4", held.id, Status.APPROVED)  # a moderator approved it since
    do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml")
    after = by_author(store, SITE, "/?p=4")
    assert after["Held Back"].status is Status.APPROVED  # not put back to pending
    thread = store.get_thread(SITE, "/?p=4")
    assert thread is not None and thread.count == 6
    assert after["Jürgen Müller"].replies == 2


def test_round_trip(store: Store, settings: Settings, tmp_path: Path) -> None:
    for fmt, name in (("wordpress", "wordpress-1.2.xml"), ("disqus", "disqus.xml")):
        assert do_import(store, settings, fmt, FIXTURES / name).code == 0
    store.set_locked(SITE, "/empty-but-locked/", True, store.threads(SITE).__next__().created)
    first = next(store.threads(SITE))
    owner = Comment(
        site=SITE, uri=first.uri, id="01KDZZZZZZZZZZZZZZZZZZZZZZ", parent=None, author="Jo",
        email="", website=None, text="Thanks, all.", html="<p>Thanks, all.</p>",
        status=Status.APPROVED, created=first.created, role=OWNER,
    )  # fmt: skip
    store.create_comment(NewComment(owner, first.title, "owner-reply-key", 4_000_000_000))
    exported = do_export(store, settings, SITE, tmp_path / "blog.jsonl")
    header = json.loads(exported[0])
    assert header["format"] == "parley-export" and header["site"] == SITE
    lines = [json.loads(line) for line in exported[1:]]
    assert sum(line["type"] == "comment" for line in lines) == 19
    assert [line["author"] for line in lines if line.get("role") == OWNER] == ["Jo"]
    assert any(line["type"] == "comment" and line["email"] for line in lines)  # a backup

    run = do_import(store, settings, "parley", tmp_path / "blog.jsonl", site="strict")
    assert run.code == 0, run.err
    assert "6 threads (6 new), 19 comments (19 new)" in run.summary, run.summary
    again = do_export(store, settings, "strict", tmp_path / "strict.jsonl")
    assert [json.loads(line) for line in again[1:]] == lines  # every field, every line
    assert numbers(store, "strict") == numbers(store, SITE)
    kept = store.get_comment("strict", first.uri, owner.id)
    assert kept is not None and kept.role == OWNER  # the badge survives a move
    rerun = do_import(store, settings, "parley", tmp_path / "blog.jsonl", site="strict")
    assert "(0 new)" in rerun.summary


def test_imports_notify_nobody(store: Store, settings: Settings) -> None:
    """No mail, no webhook: an import writes nothing to the outbox, whatever the site's
    notification settings (imported comments are history, not news)."""
    for fmt, name in (("wordpress", "wordpress-1.2.xml"), ("disqus", "disqus.xml")):
        assert do_import(store, settings, fmt, FIXTURES / name).code == 0
    assert store.due_events(4_000_000_000.0, 100) == []  # due by 2096: none at all


def test_dry_run_writes_nothing(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml", dry_run=True)
    assert run.code == 0
    assert run.summary.startswith(
        "dry run of wordpress into site 'blog', nothing written: 3 threads, 10 comments"
    )
    assert list(store.threads(SITE)) == []


def test_map_rewrites_uri_prefixes(store: Store, settings: Settings) -> None:
    run = do_import(
        store, settings, "disqus", FIXTURES / "disqus.xml", maps=["/2013/=/posts/2013/"]
    )
    assert run.code == 0
    assert sorted(t.uri for t in store.threads(SITE)) == [
        "/posts/2013/04/hello/",
        "/posts/2013/05/closed/",
    ]


def test_damaged_disqus_is_repaired_when_the_fix_is_certain(
    store: Store, settings: Settings
) -> None:
    run = do_import(store, settings, "disqus", FIXTURES / "disqus-damaged.xml")
    assert run.code == 0, run.err
    assert "repaired: dropped 35 stray bytes before the XML declaration" in run.out
    assert "repaired: quoted an attribute value at line 26" in run.out
    assert "8 comments (8 new)" in run.summary
    c = by_author(store, SITE, "/2013/04/hello/")
    assert c["Guest Reader"].parent == c["Ana Conceição"].id  # the repaired parent attribute
    # HTML inside CDATA is the comment's own: its unquoted attribute is not "repaired".
    assert '<a href="https://x.example/"' in c["Guest Reader"].html
    closed = store.get_thread(SITE, "/2013/05/closed/")
    assert closed is not None and closed.locked


def test_damaged_disqus_is_refused_whole_naming_the_line(store: Store, settings: Settings) -> None:
    run = do_import(store, settings, "disqus", FIXTURES / "disqus-broken.xml")
    assert run.code == 1
    assert run.err.strip() == (
        "parley import: disqus-broken.xml: line 119: not well-formed XML (mismatched tag); "
        "nothing was imported. Fix the file at that line and run the import again."
    )
    assert list(store.threads(SITE)) == []  # not half an import: nothing


@pytest.mark.parametrize(
    ("fmt", "name"), [("disqus", "bomb.xml"), ("wordpress", "external-entity.xml")]
)
def test_entities_are_refused(store: Store, settings: Settings, fmt: str, name: str) -> None:
    run = do_import(store, settings, fmt, FIXTURES / name)
    assert run.code == 1
    assert "declares XML entities" in run.err and "refused" in run.err
    assert list(store.threads(SITE)) == []


def test_wrong_format_is_a_message_not_a_traceback(store: Store, settings: Settings) -> None:
    for fmt, name in (
        ("remark42", "disqus.xml"),
        ("commento", "remark42.jsonl"),
        ("parley", "commento.json"),
        ("isso", "commento.json"),
        ("wordpress", "commento.json"),
    ):
        run = do_import(store, settings, fmt, FIXTURES / name)
        assert run.code == 1 and run.err.startswith(f"parley import: {name}: "), run.err
    assert list(store.threads(SITE)) == []


def test_ids_are_chronological_and_derived_from_the_source() -> None:
    from datetime import UTC, datetime

    early = derive_id("disqus", "99", datetime(2010, 1, 1, tzinfo=UTC))
    late = derive_id("disqus", "1", datetime(2011, 1, 1, tzinfo=UTC))
    assert early < late and len(early) == 26
    assert derive_id("disqus", "99", datetime(2010, 1, 1, tzinfo=UTC)) == early
    assert derive_id("isso", "99", datetime(2010, 1, 1, tzinfo=UTC)) != early


def test_cli_import_and_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARLEY_STORE", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PARLEY_SITES", json.dumps(SITES))
    monkeypatch.setenv("PARLEY_SECRET_KEYS", "test-secret-key-0123456789")
    fixture = str(FIXTURES / "wordpress-1.2.xml")
    assert main(["import", "wordpress", fixture, "--site", "blog"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].startswith("imported wordpress into site 'blog': 3 threads")
    assert "importing: 12 in" in err and "counting: 3 in" in err  # plain progress, not a tty
    assert main(["import", "wordpress", fixture, "--site", "blog"]) == 0
    assert "10 comments (0 new)" in capsys.readouterr().out
    assert main(["export", "--site", "blog", "-o", str(tmp_path / "out.jsonl")]) == 0
    assert "3 threads, 10 comments" in capsys.readouterr().err
    assert main(["import", "wordpress", fixture, "--site", "nope"]) == 2
    assert "no site named 'nope'" in capsys.readouterr().err
    assert main(["import", "disqus", fixture, "--site", "blog", "--map", "blog"]) == 2
    assert "--map 'blog'" in capsys.readouterr().err


def test_the_app_never_loads_the_import_machinery() -> None:
    """Cold start counts: the app, the handler's modules and both stores load no reader,
    no tqdm, no defusedxml and no bulk module until an import or export asks for them."""
    import subprocess
    import sys

    code = (
        "import sys, backend.app, backend.lambda_handler, backend.store.dynamo, "
        "backend.store.sqlite\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tqdm', 'defusedxml', 'yaml') "
        "or m.startswith(('backend.migrate', 'backend.store.dynamo.bulk'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_a_bad_value_late_in_the_file_writes_nothing(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.setattr("backend.migrate.pipeline.BATCH", 1)  # each comment its own write

    from tests.migrate_support import isso_db

    path = isso_db(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE comments SET created = 'soon' WHERE id = 6")  # the last comment
    conn.commit()
    conn.close()
    run = do_import(store, settings, "isso", path)
    assert run.code == 1
    assert run.err.startswith("parley import: isso.db: comment 6 has a value Isso never writes")
    assert list(store.threads(SITE)) == []


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere() -> None:
    import io

    from backend.migrate.progress import phase

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream in (Terminal(), io.StringIO()):
        with phase("importing", 20_000, stream) as tick:
            for _ in range(20_000):
                tick(1)
        shown = stream.getvalue()
        if isinstance(stream, Terminal):
            assert "importing: 100%|" in shown and "20.0k/20.0k" in shown  # tqdm's bar
        else:
            assert shown.splitlines()[:2] == ["importing: 10,000 of 20,000",
                                              "importing: 20,000 of 20,000"]  # fmt: skip
            assert shown.splitlines()[-1].startswith("importing: 20,000 in ")


def test_numbers_are_exact_however_the_writes_are_cut(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replies and counts go out with each batch; a thread cut across batches (or a reply
    written before its parent) is made exact by the recount at the end."""
    do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml", site="strict")
    monkeypatch.setattr("backend.migrate.pipeline.BATCH", 1)
    monkeypatch.setattr("backend.migrate.pipeline.MAX_BATCH", 2)
    do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml")
    assert numbers(store, SITE) == numbers(store, "strict")
    thread = store.get_thread(SITE, "/?p=4")
    assert thread is not None and thread.count == 5


def test_what_cannot_be_stored_is_skipped_with_its_reason(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """DynamoDB's limits (a 2,048-byte key, a 400 KB item) hold on every store."""
    text = (FIXTURES / "wordpress-1.1.xml").read_text(encoding="utf-8")
    huge = text.replace("From WXR 1.1", "x" * 420_000)  # over one item
    long_link = text.replace("/2008/07/an-old-post/", "/" + "é" * 1100 + "/")
    for name, body in (("huge.xml", huge), ("long.xml", long_link), ("ok.xml", text)):
        (tmp_path / name).write_text(body, encoding="utf-8")
    run = do_import(store, settings, "wordpress", tmp_path / "huge.xml")
    assert run.code == 1  # the file's one comment: nothing imported is an error, not a success
    assert run.err == (
        "parley import: huge.xml: the file holds 1 comments and none can be imported "
        "(1 too big for one stored comment (400 KB)); nothing was imported\n"
    )
    # Escaping makes html up to 4x its body: a body of 120 KB of "<" (&lt; in the XML) renders
    # to 480 KB, one public part over 400 KB. It is judged from its rendering, on every store.
    (tmp_path / "escaped.xml").write_text(
        text.replace("From WXR 1.1", "&lt;" * 120_000), encoding="utf-8"
    )
    run = do_import(store, settings, "wordpress", tmp_path / "escaped.xml")
    assert run.code == 1 and "(1 too big for one stored comment (400 KB))" in run.err
    run = do_import(store, settings, "wordpress", tmp_path / "long.xml")
    assert run.code == 1 and "(1 on a page whose uri is over 1981 bytes)" in run.err
    assert list(store.threads(SITE)) == []
    assert (
        "1 comments (1 new)" in do_import(store, settings, "wordpress", tmp_path / "ok.xml").summary
    )
