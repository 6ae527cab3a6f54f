"""A page suggesting its announcement post (`announce=` on the build's comments.html request):
the worker binds the thread only when the post, fetched under the SSRF guard from the stand-in
Mastodon or Bluesky on 127.0.0.1, links to the page on one of the site's origins; the owner's
binding stays first; at most one check per thread and network a day; both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.models import OriginKind
from backend.domain.outbox import EventKind
from backend.inbound import posts
from backend.inbound.suggest import SUGGEST_EVERY_S, links_of, links_to_page
from backend.sites import SiteConfig
from backend.store.base import Store
from tests import fediverse_records as rec
from tests.conftest import Clock
from tests.helpers import error_of
from tests.inbound_support import TOKEN, standin_server, web_client, worker
from tests.standins import StandIn

URI = "/2026/01/hello/"
PAGE = "http://notes.test" + URI
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OWNER = rec.account("owner", "The Owner")
CAROL = rec.account("carol", "Carol", host="elsewhere.test")


@pytest.fixture
def web(store_and_url: tuple[Store, Any], clock: Clock) -> Iterator[TestClient]:
    yield from web_client(store_and_url, clock)


@pytest.fixture
def standin() -> Iterator[tuple[StandIn, str]]:
    yield from standin_server()


def fragment(client: TestClient, announce: str, site: str = "web", uri: str = URI) -> Any:
    return client.get(
        "/api/v1/comments.html", params={"site": site, "uri": uri, "announce": announce}
    )


def authors(client: TestClient, site: str = "web", uri: str = URI) -> list[str]:
    r = client.get("/api/v1/comments", params={"site": site, "uri": uri})
    return [c["author"] for c in r.json()["comments"]]


def announcement(s: StandIn, sid: str, content: str, reply: str) -> None:
    """A status by the owner with one reply by Carol."""
    s.statuses[sid] = rec.status(sid, OWNER, content, in_reply_to_id=None)
    s.contexts[sid] = rec.context(
        [], [rec.status(reply, CAROL, f"<p>Reply {reply}</p>", in_reply_to_id=sid)]
    )


def settle(client: TestClient) -> None:
    """Run the worker until nothing is due (a check queues the binding's first pull)."""
    for _ in range(5):
        if not worker(client).drain():
            return


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.parley.store  # type: ignore[attr-defined]
    return store


def suggestions(client: TestClient) -> int:
    due = store_of(client).due_events(1e12, 100)
    return sum(1 for e in due if e.kind == EventKind.FEDIVERSE_SUGGEST)


def test_a_suggested_post_that_links_to_the_page_is_bound(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    announcement(s, "3001", f'<p>New post: <a href="{PAGE}">Hello</a></p>', "3002")
    r = fragment(web, f"{base}/@owner/3001")
    assert r.status_code == 200, r.text
    assert s.hits == []  # nothing is fetched in the request
    assert suggestions(web) == 1
    assert fragment(web, f"{base}/@owner/3001").status_code == 200  # the next build's
    assert suggestions(web) == 1  # one check per thread and network a day
    settle(web)
    assert s.hits[0] == "/api/v1/statuses/3001"  # the post, then its replies
    assert authors(web) == ["Carol"]


def test_a_post_that_does_not_link_to_the_page_binds_nothing(
    web: TestClient, standin: tuple[StandIn, str], clock: Clock
) -> None:
    s, base = standin
    elsewhere = [
        "http://evil.test/2026/01/hello/",  # not the site's origin
        "http://notes.test/2026/01/other/",  # another page
        "http://notes.test/2026/01/hello/?x=1",  # another query
    ]
    for n, link in enumerate(elsewhere):
        sid = f"310{n}"
        announcement(s, sid, f'<p><a href="{link}">x</a> {PAGE.replace("http", "hxxp")}</p>', "0")
        clock.advance(SUGGEST_EVERY_S + 1)
        assert fragment(web, f"{base}/@owner/{sid}").status_code == 200
        settle(web)
    assert all("/context" not in hit for hit in s.hits)  # never bound: no replies read
    assert authors(web) == []


def test_the_owners_binding_stays_first(
    web: TestClient, standin: tuple[StandIn, str], clock: Clock
) -> None:
    s, base = standin
    link = f'<p><a href="{PAGE}">Hello</a></p>'
    announcement(s, "3201", link, "3202")  # the owner's post
    announcement(s, "3301", link, "3302")  # someone else's post linking to the page
    bound = {"site": "web", "uri": URI, "url": f"{base}/@owner/3201"}
    assert web.post("/api/v1/admin/threads/announce", json=bound, headers=AUTH).status_code == 200
    fragment(web, f"{base}/@owner/3301")
    settle(web)
    assert authors(web) == ["Carol"]
    assert "/api/v1/statuses/3301/context" not in s.hits  # the suggestion did not bind

    # A suggested binding: the owner unbinds it, and the thread takes no suggestion on
    # that network again (the suggested pulls stop at their next run).
    other = "/2026/01/second/"
    second = "http://notes.test" + other
    announcement(s, "3401", f'<p><a href="{second}">Second</a></p>', "3402")
    fragment(web, f"{base}/@owner/3401", uri=other)
    settle(web)
    assert authors(web, uri=other) == ["Carol"]
    off = {"site": "web", "uri": other, "url": f"{base}/@owner/3401", "bound": False}
    assert web.post("/api/v1/admin/threads/announce", json=off, headers=AUTH).status_code == 200
    clock.advance(SUGGEST_EVERY_S + 1)
    fragment(web, f"{base}/@owner/3401", uri=other)
    settle(web)
    hits = s.hits.count("/api/v1/statuses/3401/context")
    clock.advance(7 * 3600)
    settle(web)
    assert s.hits.count("/api/v1/statuses/3401/context") == hits  # refused: no more pulls


def test_the_owner_binding_over_a_suggested_post_replaces_it(
    web: TestClient, standin: tuple[StandIn, str], clock: Clock
) -> None:
    s, base = standin
    link = f'<p><a href="{PAGE}">Hello</a></p>'
    announcement(s, "3501", link, "3502")  # suggested
    announcement(s, "3601", link, "3602")  # the owner's
    fragment(web, f"{base}/@owner/3501")
    settle(web)
    assert s.hits.count("/api/v1/statuses/3501/context") == 1
    bound = {"site": "web", "uri": URI, "url": f"{base}/@owner/3601"}
    r = web.post("/api/v1/admin/threads/announce", json=bound, headers=AUTH)
    assert r.status_code == 200, r.text  # not "unbind it first": a suggestion gives way
    clock.advance(7 * 3600)
    settle(web)
    assert s.hits.count("/api/v1/statuses/3501/context") == 1  # the suggested pulls stopped
    assert s.hits.count("/api/v1/statuses/3601/context") >= 1
    # And the owner's own binding is never replaced by a suggestion.
    clock.advance(SUGGEST_EVERY_S + 1)
    fragment(web, f"{base}/@owner/3501")
    settle(web)
    assert s.hits.count("/api/v1/statuses/3501/context") == 1
    r = web.post("/api/v1/admin/threads/announce", json=bound, headers=AUTH)
    assert r.status_code == 409  # bound already, by the owner: as before


def test_a_bad_suggestion_is_a_400_naming_announce(web: TestClient) -> None:
    r = fragment(web, "https://mastodon.example/about")
    assert r.status_code == 400
    assert "announce" in error_of(r)["fields"]
    assert suggestions(web) == 0


def test_suggestions_are_bounded_per_site(web: TestClient, standin: tuple[StandIn, str]) -> None:
    _, base = standin
    for n in range(12):  # the site "web" takes 8 an hour (webmentions_per_hour)
        assert fragment(web, f"{base}/@owner/{4000 + n}", uri=f"/p/{n}/").status_code == 200
    assert suggestions(web) == 8


def test_the_guard_stands_between_a_suggestion_and_the_network(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    announcement(s, "3701", f'<p><a href="http://guarded.test{URI}">x</a></p>', "3702")
    r = fragment(web, f"{base}/@owner/3701", site="guarded")  # this site fetches public only
    assert r.status_code == 200, r.text
    settle(web)
    assert s.hits == []
    assert authors(web, site="guarded") == []


def test_a_bluesky_post_linking_to_the_page_is_bound(
    web: TestClient, standin: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, base = standin
    monkeypatch.setattr(posts, "BLUESKY_API", base)  # the public AppView, stood in for
    root = rec.bsky_post("did:plc:owner", "owner.bsky.social", "Owner", "3kann", "New post")
    root["record"]["facets"] = [
        {
            "index": {"byteStart": 0, "byteEnd": 8},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": PAGE}],
        }
    ]
    erin = rec.bsky_post(
        "did:plc:erin", "erin.bsky.social", "Erin", "3kerin", "Nice", parent=root["uri"]
    )
    at = root["uri"].replace("did:plc:owner", "owner.bsky.social")
    s.threads[at] = {"thread": rec.thread_view(root, [rec.thread_view(erin, [])])}
    assert fragment(web, "https://bsky.app/profile/owner.bsky.social/post/3kann").status_code == 200
    settle(web)
    assert authors(web) == ["Erin"]


def test_links_of_a_post_and_the_page_rule() -> None:
    site = SiteConfig(origins=("https://blog.example", "http://127.0.0.1:*"))
    card = {
        "content": '<p><a href="/tags/x">#x</a></p>',
        "card": {"url": "https://blog.example/a/"},
    }
    found = links_of(OriginKind.MASTODON, card, "https://mastodon.example/@me/1")
    assert "https://mastodon.example/tags/x" in found
    assert links_to_page(found, site, "/a/")
    embed = {"record": {"embed": {"external": {"uri": "http://127.0.0.1:8000/a/"}}}}
    assert links_to_page(links_of(OriginKind.BLUESKY, embed, ""), site, "/a/")
    assert not links_to_page(
        ["https://blog.example/a/b/", "https://blog.example.evil/a/"], site, "/a/"
    )
    assert not links_to_page(
        ["javascript:alert(1)", "", "https://user:pw@blog.example/a/"], site, "/a/"
    )


# -- the widget's path: POST /api/v1/announce, only while the thread says it takes one --------

WIDGET = {"Origin": "http://notes.test"}


def suggest_after(client: TestClient, uri: str = URI) -> Any:
    r = client.get("/api/v1/comments", params={"site": "web", "uri": uri})
    return r.json()["thread"]["suggest_after"]


def widget_suggests(client: TestClient, url: str, uri: str = URI, **headers: str) -> Any:
    body = {"site": "web", "uri": uri, "url": url}
    return client.post("/api/v1/announce", json=body, headers={**WIDGET, **headers})


def test_the_widget_suggests_once_and_the_thread_then_says_so(
    web: TestClient, standin: tuple[StandIn, str], clock: Clock
) -> None:
    s, base = standin
    announcement(s, "3801", f'<p><a href="{PAGE}">Hello</a></p>', "3802")
    assert suggest_after(web) is None  # a page without a thread yet takes one
    r = widget_suggests(web, f"{base}/@owner/3801")
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "queued"}
    assert s.hits == []  # nothing fetched in the request
    day = suggest_after(web)
    assert day == int(clock()) + SUGGEST_EVERY_S  # readers' widgets send none until then
    # A widget that read the thread before that (a cached read) adds no check.
    assert widget_suggests(web, f"{base}/@owner/3801").json() == {"status": "checked lately"}
    assert suggestions(web) == 1
    settle(web)
    assert authors(web) == ["Carol"]
    assert suggest_after(web) > day  # bound: held for the binding's 30 days
    fragment = web.get("/api/v1/comments.html", params={"site": "web", "uri": URI}).text
    assert "suggest_after&quot;:" in fragment  # the state the widget takes over


def test_the_widgets_suggestion_is_a_checked_reader_write(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    _, base = standin
    r = widget_suggests(web, f"{base}/@owner/3901", Origin="http://evil.test")
    assert r.status_code == 403
    r = widget_suggests(web, "https://mastodon.example/about")
    assert r.status_code == 422 and "url" in error_of(r)["fields"]
    assert suggestions(web) == 0
    codes = [widget_suggests(web, f"{base}/@owner/39{n:02d}", uri=f"/q/{n}/") for n in range(7)]
    # rate_limit_per_minute (5), the refused URL's request counted too
    assert [c.status_code for c in codes] == [202] * 4 + [429] * 3
    assert "Retry-After" in codes[-1].headers


def test_an_owners_binding_holds_the_widgets_suggestions(
    web: TestClient, standin: tuple[StandIn, str], clock: Clock
) -> None:
    s, base = standin
    announcement(s, "3951", f'<p><a href="{PAGE}">Hello</a></p>', "3952")
    bound = {"site": "web", "uri": URI, "url": f"{base}/@owner/3951"}
    assert web.post("/api/v1/admin/threads/announce", json=bound, headers=AUTH).status_code == 200
    assert suggest_after(web) == int(clock()) + 30 * 86400
    # A widget whose read was cached before the binding still suggests: its check queued holds
    # the thread for a day, never less than the binding's 30 days.
    assert widget_suggests(web, f"{base}/@owner/3951").json() == {"status": "queued"}
    assert suggest_after(web) == int(clock()) + 30 * 86400
