"""An import's decisions teach the site's spam filter: its spam and approved comments train the
site's model (one stored write per batch), pending and deleted ones teach nothing, the report
says how many, and importing the same file again teaches nothing more. On every store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend.spam.guard import MODEL
from backend.spam.model import Model
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import post
from tests.migrate_support import FIXTURES, do_import
from tests.moderation_support import app_client, settings_for, sites

SPAM = [
    "Cheap watches at http://deals.example.biz/shop buy now!!!",
    "Buy cheap watches today, best deals http://www.deals.example.biz",
    "BEST CHEAP WATCHES, CLICK THE LINK NOW http://deals.example.biz/x",
    "cheap watches and pills, deals.example.biz",
]
HAM = [
    "I tried the recipe last night and the sauce came out a bit thin.",
    "Thanks for the write-up; the part about the sauce helped a lot.",
    "Does the recipe work with brown rice instead of white?",
]


def export_file(tmp: Path) -> Path:
    """A `parley export` file: four spam, three approved, one pending, one deleted."""
    lines: list[dict[str, Any]] = [
        {"format": "parley-export", "version": 1, "site": "open",
         "exported": "2026-01-01T00:00:00.000Z"},
        {"type": "thread", "uri": "/recipes/", "title": "Recipes", "locked": False,
         "created": "2025-01-01T00:00:00.000Z"},
    ]  # fmt: skip
    texts = [(t, "spam") for t in SPAM] + [(t, "approved") for t in HAM]
    texts += [("cheap watches pending", "pending"), ("cheap watches deleted", "deleted")]
    for i, (text, status) in enumerate(texts):
        lines.append({
            "type": "comment", "id": f"01JGZ{i:021d}", "uri": "/recipes/", "parent": None,
            "author": f"Author {i}", "email": f"a{i}@example.org", "website": None,
            "text": text, "html": f"<p>{text}</p>", "status": status,
            "created": f"2025-01-01T00:{i:02d}:00.000Z", "edited": None, "likes": 0,
        })  # fmt: skip
    path = tmp / "open.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def lessons(store: Store, site: str = "open") -> tuple[int, int, int]:
    stored = store.read_model(site, MODEL)
    if stored is None:
        return 0, 0, 0
    model = Model.load(stored[0])
    return model.spam, model.ham, stored[1]


def test_an_import_teaches_the_filter_and_it_holds_the_next_spam(
    store_and_url: tuple[Store, Any], clock: Clock, tmp_path: Path
) -> None:
    store, url = store_and_url
    settings = settings_for(url, sites())
    run = do_import(store, settings, "parley", export_file(tmp_path), site="open")
    assert run.code == 0, run.err
    assert "spam filter: learned from 7 comments (4 spam, 3 legitimate)" in run.out
    assert lessons(store) == (4, 3, 1)  # one stored write for the file's one batch
    again = do_import(store, settings, "parley", export_file(tmp_path), site="open")
    assert "spam filter" not in again.out and lessons(store) == (4, 3, 1)
    with app_client(store_and_url, clock) as client:  # `open` publishes at once
        spam = post(client, site="open", text="cheap watches!!! deals.example.biz", expect=202)
        assert spam["comment"]["status"] == "pending"
        assert post(client, site="open", text="Lovely sauce recipe.")["comment"]["status"] == (
            "approved"
        )


def test_a_wordpress_export_teaches_its_spam_and_approved_comments(
    store: Store, settings: Any
) -> None:
    run = do_import(store, settings, "wordpress", FIXTURES / "wordpress-1.2.xml")
    assert run.code == 0, run.err
    assert "spam filter: learned from 8 comments (1 spam, 7 legitimate)" in run.out
    assert lessons(store, "blog") == (1, 7, 1)


def test_a_dry_run_teaches_nothing(store: Store, settings: Any, tmp_path: Path) -> None:
    run = do_import(store, settings, "parley", export_file(tmp_path), site="blog", dry_run=True)
    assert run.code == 0 and "spam filter" not in run.out
    assert store.read_model("blog", MODEL) is None
