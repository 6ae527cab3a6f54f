"""The Atom feeds as a feed reader reads them: feedparser, the reference parser many readers
are built on, is the oracle here, not our own XML. Every feed is read without complaint
(`bozo` 0, Atom 1.0) and each entry's title, author, link, id and dates are what was posted,
with hostile words posted (tests/hostile.py: markup, `]]>`, right-to-left marks, emoji, the
longest names) and imported (control characters, bidi overrides, lone surrogates, 5,000
characters: cleaned by the import), on both stores."""

from __future__ import annotations

import calendar
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.testclient import TestClient

from backend.domain import text as text_rules
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import atom, post
from tests.hostile import NAMES, TEXTS
from tests.migrate_support import do_import

URI = "/hostile/"
# A page path with what XML and a URL both escape: readers' paths may hold it.
ODD_URI = "/caf\u00e9/?q=1&r=<2>'\"]]>"
# The longest names the API takes (80 characters): astral emoji, right-to-left with its mark.
LONG = ["\U0001f600" * 80, "\u05e9\u05dc\u05d5\u05dd\u200f " * 13 + "\u05e9\u05dc"]
FEED_ID = "tag:parley,2024:blog:"


def feed_url(**params: str) -> str:
    return "/api/v1/feed.atom?" + urlencode({"site": "blog", **params})


def read_feed(client: TestClient, url: str) -> Any:
    return atom(client.get(url))


def stamp(value: str) -> int:
    """An ISO 8601 time from the JSON API as epoch seconds, as feedparser's `*_parsed` give."""
    return int(datetime.fromisoformat(value).timestamp())


def seconds(parsed: Any) -> int:
    return calendar.timegm(parsed)


def expected_entries(client: TestClient, uri: str) -> dict[str, tuple[Any, ...]]:
    """Per entry id: (title, author, link, published, updated) from the public JSON."""
    page = client.get("/api/v1/comments", params={"site": "blog", "uri": uri, "limit": 100})
    return {
        FEED_ID + c["id"]: (
            f"{c['author']} on {uri}",
            c["author"],
            f"{ORIGIN}{uri}#comment-{c['id']}",
            stamp(c["created"]),
            stamp(c["edited"] or c["created"]),
        )
        for c in page.json()["comments"]
    }


def entries_of(feed: Any) -> dict[str, tuple[Any, ...]]:
    return {
        e.id: (
            e.title,
            e.author,
            e.link,
            seconds(e.published_parsed),
            seconds(e.updated_parsed),
        )
        for e in feed.entries
    }


def test_hostile_posts_read_back_intact(client: TestClient, clock: Clock) -> None:
    authors = [*NAMES, *LONG]
    posted: dict[str, str] = {}
    for number, author in enumerate(authors):
        uri = ODD_URI if number % 5 == 0 else URI
        text = TEXTS[number % len(TEXTS)]
        comment = post(client, uri=uri, author=author, text=text)["comment"]
        posted[FEED_ID + comment["id"]] = author
        clock.advance(61)  # each a minute later: the feed's order and dates tell them apart
    # An early comment edited last: its entry is the latest updated, and so is the feed.
    first = post(client, uri=URI, author="Editor \u202a", text="before", expect=None)
    assert first.get("comment") is None  # a bidi embedding is refused in a name
    early = post(client, uri=URI, author="Editor", text="before")
    clock.advance(60)
    edit = client.patch(
        f"/api/v1/comments/{early['comment']['id']}",
        json={"site": "blog", "uri": URI, "text": "after <b>]]></b> \U0001f600"},
        headers={"Authorization": f"Bearer {early['token']}"},
    )
    assert edit.status_code == 200, edit.text
    posted[FEED_ID + early["comment"]["id"]] = "Editor"

    site = read_feed(client, feed_url())
    expected: dict[str, tuple[Any, ...]] = {}
    for uri in (URI, ODD_URI):
        thread = read_feed(client, feed_url(uri=uri))
        want = expected_entries(client, uri)
        assert entries_of(thread) == want
        assert thread.feed.id == f"{FEED_ID}{uri}"
        assert thread.feed.title == f"Comments on {uri}"
        assert seconds(thread.feed.updated_parsed) == max(w[4] for w in want.values())
        expected |= want
    assert {i: e[1] for i, e in expected.items()} == posted  # the words as typed
    assert entries_of(site) == expected
    assert site.feed.id == f"{FEED_ID}*" and site.feed.title == "Comments on blog"
    assert seconds(site.feed.updated_parsed) == max(w[4] for w in expected.values())
    newest_first = [seconds(e.published_parsed) for e in site.entries]
    assert newest_first == sorted(newest_first, reverse=True)
    edited = next(e for e in site.entries if e.id == FEED_ID + early["comment"]["id"])
    assert edited.content[0].type == "text/html"
    assert edited.content[0].value == edit.json()["comment"]["html"]

    # The self link, followed as a reader follows it: the same feed.
    for params in ({}, {"uri": ODD_URI}):
        feed = read_feed(client, feed_url(**params))
        (self_link,) = [link.href for link in feed.feed.links if link.rel == "self"]
        assert self_link == "http://api.test" + feed_url(**params)
        followed = read_feed(client, self_link)
        assert followed.feed == feed.feed and followed.entries == feed.entries


def _commento(tmp: Path) -> Path:
    """What tests/test_migrate_hostile.py imports: words a reader could not have typed."""
    people = [
        {"commenterHex": "a", "name": "Lone \ud800 surrogate <b>&amp;", "email": "a@example.org"},
        {"commenterHex": "b", "name": "Bell\x07 ]]> and \u202eevil\u202c", "email": ""},
        {"commenterHex": "c", "name": "Line\u2028break " + "n" * 5000, "email": ""},
        {"commenterHex": "d", "name": "\u200b\u2800", "email": ""},
        {"commenterHex": "e", "name": "NUL\x00 ESC\x1b[31m \ufffe \U0001f600", "email": ""},
    ]
    comments = [
        {"commentHex": str(n), "path": URI, "commenterHex": who, "markdown": text,
         "parentHex": "root", "score": 0, "state": "approved",
         "creationDate": f"2021-03-01T10:0{n}:00Z", "deleted": False}
        for n, (who, text) in enumerate(
            [("a", "Text \x00 \ud800"), ("b", "]]></content>"), ("c", "First\u2028second"),
             ("d", "x"), ("e", "\x1b[31m red")], start=1,
        )
    ]  # fmt: skip
    path = tmp / "commento.json"
    path.write_text(json.dumps({"version": 1, "comments": comments, "commenters": people}))
    return path


def test_hostile_imports_read_back_clean(
    store: Store, settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    run = do_import(store, settings, "commento", _commento(tmp_path))
    assert run.code == 0, run.err
    stored = {FEED_ID + c.id: c.author for c in store.thread_comments("blog", URI)}
    assert len(stored) == 5
    for feed in (read_feed(client, feed_url()), read_feed(client, feed_url(uri=URI))):
        entries = entries_of(feed)
        assert entries == expected_entries(client, URI)
        assert {i: e[1] for i, e in entries.items()} == stored
        for title, author, *_ in entries.values():
            assert text_rules.problem(author) is None and author.strip()
            assert title == f"{author} on {URI}"
        assert seconds(feed.feed.updated_parsed) == calendar.timegm((2021, 3, 1, 10, 5, 0))
