"""POST /webmention and its verification by the worker, on both stores, against a stand-in
blog on 127.0.0.1 (tests/standins.py) whose pages are h-entry markup as blogs write it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.models import Origin, OriginKind, Status
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import error_of
from tests.inbound_support import TARGET, mention, standin_server, web_client, worker
from tests.standins import StandIn


@pytest.fixture
def web(store_and_url: tuple[Store, Any], clock: Clock) -> Iterator[TestClient]:
    yield from web_client(store_and_url, clock)


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[StandIn, str]]:
    yield from standin_server()


REPLY = """<!doctype html><html><head><title>Re: hello</title></head><body>
<article class="h-entry">
  <div class="p-author h-card"><a class="u-url p-name" href="https://alice.example/">Alice
  Example</a><img class="u-photo" src="/alice.jpg" alt=""></div>
  <p>In reply to <a class="u-in-reply-to" href="{target}">Hello</a></p>
  <div class="e-content"><p>{words} <script>alert(1)</script><img src=x onerror=alert(2)>
  <a href="javascript:alert(3)">x</a></p></div>
  <a class="u-url" href="{url}"><time class="dt-published" datetime="2026-01-01T09:00:00Z">
  1 Jan</time></a>
</article></body></html>"""

PLAIN = """<html><head><title>Links I liked</title></head><body><ul>
<li><a href="{target}#comments">a good post</a></li></ul></body></html>"""

FEED_LIKE = """<html><body><div class="h-feed"><div class="h-entry">
<a class="p-author h-card" href="https://bob.example/">Bob</a> liked
<a class="u-like-of" href="{target}">this</a></div></div></body></html>"""


def thread(client: TestClient, uri: str = "/2026/01/hello/") -> Any:
    r = client.get("/api/v1/comments", params={"site": "web", "uri": uri})
    assert r.status_code == 200
    return r.json()


def page(s: StandIn, base: str, path: str, html: str, status: int = 200) -> str:
    s.pages[path] = (status, html)
    return base + path


# -- the receiver ----------------------------------------------------------------------------


def test_accepted_at_once_without_origin_or_json(web: TestClient) -> None:
    r = mention(web, "https://alice.example/r/1")
    assert r.status_code == 202
    assert r.json()["uri"] == "/2026/01/hello/" and r.json()["site"] == "web"
    assert "access-control-allow-origin" not in r.headers
    events = web.app.state.parley.store.due_events(1e12, 10)  # type: ignore[attr-defined]
    assert [(e.kind, e.data["source"]) for e in events] == [
        ("webmention.received", "https://alice.example/r/1")
    ]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"target": TARGET}, "source"),
        ({"source": "https://a.example/"}, "target"),
        ({"source": "ftp://a.example/x", "target": TARGET}, "source"),
        ({"source": "https://a.example/x", "target": "/2026/01/hello/"}, "target"),
        ({"source": "https://u:p@a.example/x", "target": TARGET}, "source"),
        ({"source": "https://a.example/" + "x" * 3000, "target": TARGET}, "source"),
        ({"source": "https://a.example/x", "target": "https://elsewhere.example/p"}, "target"),
        ({"source": TARGET + "#frag", "target": TARGET}, "source"),
        ({"source": "https://a.example:99999/x", "target": TARGET}, "source"),
    ],
)
def test_bad_mentions_are_400_in_the_error_shape(
    web: TestClient, form: dict[str, str], field: str
) -> None:
    r = web.post("/webmention", data=form)
    assert r.status_code == 400, r.text
    assert field in error_of(r)["fields"]


def test_only_forms(web: TestClient) -> None:
    r = web.post("/webmention", json={"source": "https://a.example/", "target": TARGET})
    assert r.status_code == 415 and error_of(r)["code"]
    r = web.post(
        "/webmention",
        content=b"source=" + b"a" * 9000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    r = web.post("/webmention?site=nope", data={"source": "https://a.example/", "target": TARGET})
    assert r.status_code == 404


def test_one_pending_verification_per_pair(web: TestClient) -> None:
    for _ in range(3):
        assert mention(web, "https://alice.example/r/1").status_code == 202
    events = web.app.state.parley.store.due_events(1e12, 10)  # type: ignore[attr-defined]
    assert len(events) == 1


def test_rate_limited_per_network_and_capped_per_site(web: TestClient) -> None:
    codes = [mention(web, f"https://a.example/{i}").status_code for i in range(7)]
    assert codes == [202] * 5 + [429] * 2  # the site's 5 a minute from one network
    clock = web.app.state.parley.clock  # type: ignore[attr-defined]
    clock.advance(120)  # the minute has slid past; the hour's cap (8) still counts the first 5
    codes = [mention(web, f"https://b.example/{i}").status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    clock.advance(120)
    r = mention(web, "https://b.example/9")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 60  # later in the hour
    assert error_of(r)["code"]


def test_the_rate_limit_slides_across_a_minutes_boundary(web: TestClient) -> None:
    """5 a minute means 5 in any 60 seconds: 5 at the end of one minute and 5 more at the
    start of the next (which a fixed window lets through) leave the second burst refused."""
    clock = web.app.state.parley.clock  # type: ignore[attr-defined]
    clock.advance(59 - clock() % 60)
    assert [mention(web, f"https://c.example/{i}").status_code for i in range(5)] == [202] * 5
    clock.advance(2)
    r = mention(web, "https://c.example/late")
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 60
    clock.advance(int(r.headers["retry-after"]))
    assert mention(web, "https://c.example/later").status_code == 202


# -- verification in the worker -------------------------------------------------------------


def test_a_reply_from_a_blog_becomes_a_comment_with_its_origin(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    source = page(s, base, "/alice/reply-1", "")
    s.pages["/alice/reply-1"] = (200, REPLY.format(target=TARGET, words="Lovely post", url=source))
    assert mention(web, source).status_code == 202
    assert thread(web)["comments"] == []  # nothing before the worker verifies
    worker(web).drain()
    [comment] = thread(web)["comments"]
    assert comment["origin"] == {"kind": "webmention", "url": source, "handle": ""}
    assert comment["author"] == "Alice Example"
    assert comment["website"] == "https://alice.example/"
    assert comment["number"] == 1 and thread(web)["thread"]["count"] == 1
    assert "Lovely post" in comment["html"]
    for bad in ("<script", "onerror", "javascript:", "<img"):
        assert bad not in comment["html"]
    fragment = web.get("/api/v1/comments.html", params={"site": "web", "uri": "/2026/01/hello/"})
    host = base.removeprefix("http://")
    assert f'<a class="via" href="{source}" rel="nofollow ugc noopener">via {host}</a>' in (
        fragment.text
    )

    # An update re-verifies: the same comment, new words.
    s.pages["/alice/reply-1"] = (200, REPLY.format(target=TARGET, words="Edited!", url=source))
    assert mention(web, source).status_code == 202
    worker(web).drain()
    [again] = thread(web)["comments"]
    assert again["id"] == comment["id"] and "Edited!" in again["html"] and again["edited"]

    # The source no longer links here: the mention goes.
    s.pages["/alice/reply-1"] = (200, "<html><body><p>Changed my mind.</p></body></html>")
    mention(web, source)
    worker(web).drain()
    assert thread(web)["comments"] == [] and thread(web)["thread"]["count"] == 0

    # It links again, then answers 410 Gone.
    s.pages["/alice/reply-1"] = (200, REPLY.format(target=TARGET, words="Back", url=source))
    mention(web, source)
    worker(web).drain()
    assert [c["id"] for c in thread(web)["comments"]] == [comment["id"]]
    s.pages["/alice/reply-1"] = (410, "<p>gone</p>")
    mention(web, source)
    worker(web).drain()
    assert thread(web)["comments"] == []


def test_a_plain_link_is_a_mention_named_by_the_page(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    source = page(s, base, "/links", PLAIN.format(target=TARGET))
    mention(web, source)
    worker(web).drain()
    [comment] = thread(web)["comments"]
    assert comment["author"] == f"127.0.0.1:{base.rsplit(':', 1)[1]}"
    assert "Links I liked" in comment["html"]


def test_likes_and_sources_without_a_link_make_no_comment(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    mention(web, page(s, base, "/bob/likes", FEED_LIKE.format(target=TARGET)))
    mention(web, page(s, base, "/unrelated", "<html><body><a href='/x'>x</a></body></html>"))
    mention(web, page(s, base, "/missing-page-404", "", status=404))
    worker(web).drain()
    assert thread(web)["comments"] == []
    assert web.app.state.parley.store.due_events(1e12, 10) == []  # type: ignore[attr-defined]


REPOST = """<html><body><article class="h-entry"><a class="p-author h-card"
href="https://carol.example/">Carol</a> reposted <a class="u-repost-of" href="{target}">it</a>
</article></body></html>"""


def reactions(client: TestClient, uri: str = "/2026/01/hello/") -> Any:
    return thread(client, uri)["thread"]["reactions"]


def sent(client: TestClient, target: str, *sources: str) -> None:
    """Each source mentions the target, then the worker verifies; an hour later (the site's
    bounds: 5 a minute from one network, 8 an hour)."""
    for source in sources:
        assert mention(client, source, target=target).status_code == 202
    worker(client).drain()
    client.app.state.parley.clock.advance(3601)  # type: ignore[attr-defined]


def test_likes_and_reposts_from_the_web_are_a_tally_not_comments(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    uri = "/2026/01/liked/"  # a page no one has commented on yet
    target = "http://notes.test" + uri
    likes = [page(s, base, f"/likes/{i}", FEED_LIKE.format(target=target)) for i in range(3)]
    carol = page(s, base, "/carol/repost", REPOST.format(target=target))
    sent(web, target, *likes, carol)
    assert thread(web, uri)["comments"] == []
    assert reactions(web, uri) == {"likes": 3, "reposts": 1}
    assert thread(web, uri)["thread"]["count"] == 0

    # Sent again: counted once.
    sent(web, target, likes[0], carol)
    assert reactions(web, uri) == {"likes": 3, "reposts": 1}

    # A like that becomes a repost moves; one that goes (410, no link) is taken off.
    s.pages["/likes/0"] = (200, REPOST.format(target=target))
    s.pages["/likes/1"] = (410, "<p>gone</p>")
    s.pages["/carol/repost"] = (200, "<html><body><p>nothing here</p></body></html>")
    sent(web, target, likes[0], likes[1], carol)
    assert reactions(web, uri) == {"likes": 1, "reposts": 1}

    # A reply that becomes a like leaves the thread and counts; and back again.
    reply = page(s, base, "/dave/reply", REPLY.format(target=target, words="Nice", url="x"))
    sent(web, target, reply)
    assert len(thread(web, uri)["comments"]) == 1
    s.pages["/dave/reply"] = (200, FEED_LIKE.format(target=target))
    sent(web, target, reply)
    assert thread(web, uri)["comments"] == [] and thread(web, uri)["thread"]["count"] == 0
    assert reactions(web, uri) == {"likes": 2, "reposts": 1}
    s.pages["/dave/reply"] = (200, REPLY.format(target=target, words="Nice again", url="x"))
    sent(web, target, reply)
    assert [c["status"] for c in thread(web, uri)["comments"]] == ["approved"]
    assert reactions(web, uri) == {"likes": 1, "reposts": 1}


def test_the_guard_applies_unless_the_site_allows_private_addresses(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    source = page(s, base, "/guarded", REPLY.format(target="http://guarded.test/p/", words="hi",
                                                    url="x"))  # fmt: skip
    assert mention(web, source, target="http://guarded.test/p/").status_code == 202
    hits = len(s.hits)
    worker(web).drain()
    assert len(s.hits) == hits  # never fetched: 127.0.0.1 is refused
    r = web.get("/api/v1/comments", params={"site": "guarded", "uri": "/p/"})
    assert r.json()["comments"] == []
    assert web.app.state.parley.store.due_events(1e12, 10) == []  # type: ignore[attr-defined]


def test_held_by_the_sites_moderation(web: TestClient, standin: tuple[StandIn, str]) -> None:
    s, base = standin
    target = "http://held.test/p/"
    source = page(s, base, "/held", REPLY.format(target=target, words="hello", url="x"))
    assert mention(web, source, target=target).status_code == 202
    worker(web).drain()
    r = web.get("/api/v1/comments", params={"site": "held", "uri": "/p/"})
    assert r.json()["comments"] == []
    store = web.app.state.parley.store  # type: ignore[attr-defined]
    [held] = store.queue("held", Status.PENDING, after=None, limit=10).comments
    assert held.origin == Origin(OriginKind.WEBMENTION, source) and held.email == ""


def test_openapi_documents_the_inbound_endpoints(web: TestClient) -> None:
    doc = web.get("/api/v1/openapi.json").json()
    assert (
        "application/x-www-form-urlencoded"
        in (doc["paths"]["/webmention"]["post"]["requestBody"]["content"])
    )
    assert "/api/v1/admin/threads/announce" in doc["paths"]
    assert "origin" in doc["components"]["schemas"]["CommentOut"]["properties"]
