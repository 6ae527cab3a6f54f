"""Bounded memory and time for any input: each bound of `backend.migrate.limits` refuses the
record that passes it, naming its line, before anything is written. The tests use small
limits; bench/import_hostile.py runs the full-size hostile files against the defaults."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from backend.migrate.limits import Limits
from backend.settings import Settings
from backend.store.base import Store
from tests.migrate_support import FIXTURES, do_import

SITE = "blog"
TOKEN = "a tag or XML comment longer than 2,000 bytes"
SMALL = Limits(record_bytes=20_000, line_bytes=4_000, json_bytes=4_000, text_bytes=8_000,
               token_bytes=2_000)  # fmt: skip


def _wxr(tmp: Path, name: str, old: str, new: str, *, gz: bool = False) -> Path:
    text = (FIXTURES / "wordpress-1.1.xml").read_text(encoding="utf-8")
    assert old in text
    data = text.replace(old, new, 1).encode()
    path = tmp / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ('<item x="' + "a" * 300_000 + '">', f"line 7: {TOKEN}"),
        ("<!--" + "c" * 300_000 + "--><item>", f"line 7: {TOKEN}"),
        ("<junk>" + "<a/>" * 10_000 + "</junk><item>",
         "line 7: an element at a record's depth longer than 20,000 bytes"),
        ("<junk>" + "t" * 9_000 + "</junk><item>", "line 7: an element's text longer than 8,000"),
    ],
)  # fmt: skip
def test_xml_bounds(
    store: Store, settings: Settings, tmp_path: Path, new: str, message: str
) -> None:
    for gz in (False, True):
        path = _wxr(tmp_path, "hostile.xml.gz" if gz else "hostile.xml", "<item>", new, gz=gz)
        run = do_import(store, settings, "wordpress", path, limits=SMALL)
        assert run.code == 1, run.out
        assert run.err.startswith(f"parley import: {path.name}: {message}"), run.err
    assert list(store.threads(SITE)) == []


def test_xml_outside_records_is_dropped_as_read(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """Many small elements outside any item (each under the bounds) import fine."""
    junk = "<wp:term><wp:term_id>1</wp:term_id></wp:term>\n" * 5_000
    path = _wxr(tmp_path, "terms.xml", "<item>", junk + "<item>")
    run = do_import(store, settings, "wordpress", path, limits=SMALL)
    assert run.code == 0, run.err
    assert "1 comments (1 new)" in run.summary


def test_the_unquoted_attribute_repair_on_a_long_line(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    text = (FIXTURES / "disqus-damaged.xml").read_text(encoding="utf-8")
    long_line = "<!-- " + "x" * 1_500 + " -->\n"
    path = tmp_path / "long.xml"
    path.write_text(text.replace("<thread", long_line + "<thread", 1))
    run = do_import(store, settings, "disqus", path, limits=SMALL)
    assert run.code == 0, run.err
    assert "repaired: quoted an attribute value at line 27" in run.out
    assert "8 comments (8 new)" in run.summary


@pytest.mark.parametrize("fmt", ["remark42", "parley"])
def test_a_line_too_long(store: Store, settings: Settings, tmp_path: Path, fmt: str) -> None:
    head = (
        {"version": 1, "users": [], "posts": []}
        if fmt == "remark42"
        else {"format": "parley-export", "version": 1}
    )
    path = tmp_path / "long.jsonl.gz"
    line = json.dumps({"id": "x", "text": "y" * 10_000})
    path.write_bytes(gzip.compress(f"{json.dumps(head)}\n{line}\n".encode()))
    run = do_import(store, settings, fmt, path, limits=SMALL)
    assert run.code == 1
    assert run.err == (
        "parley import: long.jsonl.gz: line 2: a line longer than 4,000 bytes: refused\n"
    )
    assert list(store.threads(SITE)) == []


def test_a_commento_record_too_long(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "commento.json"
    text = json.loads((FIXTURES / "commento.json").read_text(encoding="utf-8"))
    text["comments"][2]["markdown"] = "z" * 5_000
    path.write_text(json.dumps(text))
    run = do_import(store, settings, "commento", path, limits=SMALL)
    assert run.code == 1
    assert run.err == (
        "parley import: commento.json: comments[2] is longer than 4,000 bytes: refused\n"
    )
    assert list(store.threads(SITE)) == []
