"""A page suggesting its announcement post (`announce=` on the build's comments.html request):
the worker binds the thread only when the post, fetched under the SSRF guard from the stand-in
Mastodon or Bluesky on 127.0.0.1, is by one of the site's `announce_accounts` and links to the
page on one of the site's origins; the owner's binding stays first; at most one check per
thread and network a day; both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.domain.models import OriginKind
from backend.domain.outbox import EventKind
from backend.inbound import posts
from backend.inbound.suggest import SUGGEST_EVERY_S, authors_of, links_of, links_to_page
from backend.sites import SiteConfig, SiteProblems
from backend.store.base import Store
from tests import fediverse_records as rec
from tests.conftest import Clock
from tests.helpers import error_of
from tests.inbound_support import (
    INBOUND_SITES,
    TOKEN,
    standin_server,
    web_client,
    worker,
)
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


# -- whose posts may be suggested: the site's announce_accounts --------------------------------

MALLORY = rec.account("mallory", "Mallory")  # another account on the owner's own server


def client_with(
    store_and_url: tuple[Store, Any], clock: Clock, accounts: list[str] | None
) -> Iterator[TestClient]:
    """The app with site "web" naming `accounts` (None: the setting absent)."""
    web = {k: v for k, v in INBOUND_SITES["web"].items() if k != "announce_accounts"}
    if accounts is not None:
        web["announce_accounts"] = accounts
    yield from web_client(store_and_url, clock, {**INBOUND_SITES, "web": web})


def strangers_post(s: StandIn, sid: str, author: dict[str, Any]) -> None:
    """A post by `author` linking to the page, with one reply the stranger controls."""
    s.statuses[sid] = rec.status(
        sid, author, f'<p><a href="{PAGE}">Hello</a></p>', in_reply_to_id=None
    )
    s.contexts[sid] = rec.context(
        [], [rec.status(f"{sid}9", CAROL, "<p>Buy now</p>", in_reply_to_id=sid)]
    )


def test_a_strangers_post_that_links_to_the_page_binds_nothing(
    web: TestClient, standin: tuple[StandIn, str]
) -> None:
    s, base = standin
    strangers_post(s, "5001", MALLORY)  # on the owner's own server: checked, refused
    assert widget_suggests(web, f"{base}/@mallory/5001").json() == {"status": "queued"}
    settle(web)
    assert s.hits == ["/api/v1/statuses/5001"]  # read, never bound: no replies read
    assert authors(web) == []
    # The stranger's check took nothing from the owner's: the next build's is checked today.
    announcement(s, "5101", f'<p><a href="{PAGE}">Hello</a></p>', "5102")
    assert fragment(web, f"{base}/@owner/5101").status_code == 200
    assert suggestions(web) == 1
    settle(web)
    assert authors(web) == ["Carol"]


def test_a_post_claiming_another_servers_account_binds_nothing(
    store_and_url: tuple[Store, Any], clock: Clock, standin: tuple[StandIn, str]
) -> None:
    """A server speaks only for its own accounts: a status served by `localhost` that says
    its author is owner@127.0.0.1 (the owner's account) is a stranger's."""
    s, base = standin
    forged = {**OWNER, "acct": "owner@127.0.0.1", "url": "http://127.0.0.1/@owner"}
    strangers_post(s, "5201", forged)
    elsewhere = base.replace("127.0.0.1", "localhost")
    for client in client_with(store_and_url, clock, ["@owner@127.0.0.1", "@me@localhost"]):
        assert widget_suggests(client, f"{elsewhere}/@owner/5201").json() == {"status": "queued"}
        settle(client)
        assert s.hits == ["/api/v1/statuses/5201"]  # read from localhost, not bound
        assert authors(client) == []


def test_a_bluesky_post_by_a_stranger_binds_nothing(
    web: TestClient, standin: tuple[StandIn, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, base = standin
    monkeypatch.setattr(posts, "BLUESKY_API", base)
    root = rec.bsky_post("did:plc:mallory", "mallory.bsky.social", "M", "3kmal", "New post")
    root["embed"] = {"$type": "app.bsky.embed.external#view", "external": {"uri": PAGE}}
    erin = rec.bsky_post("did:plc:erin", "erin.bsky.social", "Erin", "3kr", "x", parent=root["uri"])
    at = "at://mallory.bsky.social/app.bsky.feed.post/3kmal"
    s.threads[at] = {"thread": rec.thread_view(root, [rec.thread_view(erin, [])])}
    assert (
        fragment(web, "https://bsky.app/profile/mallory.bsky.social/post/3kmal").status_code == 200
    )
    settle(web)
    assert authors(web) == []


@pytest.mark.parametrize(
    "accounts",
    [
        ["@owner@127.0.0.1"],
        ["OWNER@127.0.0.1"],
        [" @Owner@127.0.0.1 "],
        ["http://127.0.0.1/@Owner"],
        ["me.bsky.social", "@owner@127.0.0.1"],
    ],
)
def test_the_owners_account_binds_however_it_is_written(
    store_and_url: tuple[Store, Any],
    clock: Clock,
    standin: tuple[StandIn, str],
    accounts: list[str],
) -> None:
    s, base = standin
    for client in client_with(store_and_url, clock, accounts):
        announcement(s, "5301", f'<p><a href="{PAGE}">Hello</a></p>', "5302")
        assert widget_suggests(client, f"{base}/@owner/5301").json() == {"status": "queued"}
        settle(client)
        assert authors(client) == ["Carol"]


@pytest.mark.parametrize("account", ["owner.bsky.social", "@Owner.Bsky.Social", "did:plc:owner"])
def test_the_owners_bluesky_account_binds_by_handle_or_did(
    store_and_url: tuple[Store, Any],
    clock: Clock,
    standin: tuple[StandIn, str],
    monkeypatch: pytest.MonkeyPatch,
    account: str,
) -> None:
    s, base = standin
    monkeypatch.setattr(posts, "BLUESKY_API", base)
    root = rec.bsky_post("did:plc:owner", "Owner.bsky.social", "Owner", "3kown", "New post")
    root["embed"] = {"$type": "app.bsky.embed.external#view", "external": {"uri": PAGE}}
    erin = rec.bsky_post("did:plc:erin", "erin.bsky.social", "Erin", "3ke", "x", parent=root["uri"])
    s.threads["at://did:plc:owner/app.bsky.feed.post/3kown"] = {
        "thread": rec.thread_view(root, [rec.thread_view(erin, [])])
    }
    for client in client_with(store_and_url, clock, [account]):
        url = "https://bsky.app/profile/did:plc:owner/post/3kown"
        assert fragment(client, url).status_code == 200
        settle(client)
        assert authors(client) == ["Erin"]


def test_without_the_setting_no_suggestion_binds(
    store_and_url: tuple[Store, Any], clock: Clock, standin: tuple[StandIn, str]
) -> None:
    """The safe default: a site that names no account takes no suggestion, not even the
    owner's own post; nothing is queued or fetched. The owner binds from the admin page."""
    s, base = standin
    for client in client_with(store_and_url, clock, None):
        announcement(s, "5401", f'<p><a href="{PAGE}">Hello</a></p>', "5402")
        assert widget_suggests(client, f"{base}/@owner/5401").status_code == 202
        assert fragment(client, f"{base}/@owner/5401").status_code == 200
        assert suggestions(client) == 0
        settle(client)
        assert s.hits == []
        assert authors(client) == []
        bound = {"site": "web", "uri": URI, "url": f"{base}/@owner/5401"}
        r = client.post("/api/v1/admin/threads/announce", json=bound, headers=AUTH)
        assert r.status_code == 200, r.text
        settle(client)
        assert authors(client) == ["Carol"]


def test_the_setting_is_checked() -> None:
    site = SiteConfig.parse(
        {
            "announce_accounts": [
                "@Me@Mastodon.Social",
                "me@mastodon.social",
                "https://fosstodon.org/@Me",
                "@Me.Bsky.Social",
                "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            ]
        }
    )
    assert site.announce_accounts == (
        "me@mastodon.social",
        "me@mastodon.social",
        "me@fosstodon.org",
        "me.bsky.social",
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
    )
    assert SiteConfig().announce_accounts == ()
    for bad in ["me", "@me@", "me@@host.example", "https://host.example/me", "127.0.0.1", ""]:
        with pytest.raises(SiteProblems) as got:
            SiteConfig.parse({"announce_accounts": [bad]})
        assert "announce_accounts" in got.value.problems, bad
        assert repr(bad) in got.value.problems["announce_accounts"]
    with pytest.raises(SiteProblems) as got:
        SiteConfig.parse({"announce_accounts": "me@mastodon.social"})
    assert got.value.problems == {"announce_accounts": "must be a list of strings"}


def test_whose_post_it_is() -> None:
    local = {"account": {"acct": "Owner", "url": "https://social.example/@Owner"}}
    assert authors_of(OriginKind.MASTODON, local, "https://Social.Example") == {
        "owner@social.example"
    }
    same = {"account": {"acct": "owner@social.example"}}
    assert authors_of(OriginKind.MASTODON, same, "https://social.example") == {
        "owner@social.example"
    }
    remote = {"account": {"acct": "owner@mastodon.social"}}  # another server's, as told
    assert authors_of(OriginKind.MASTODON, remote, "https://social.example") == set()
    assert authors_of(OriginKind.MASTODON, {"account": "x"}, "https://social.example") == set()
    odd = {"account": {"acct": "owner\nbound to it"}}  # never logged as it came
    assert authors_of(OriginKind.MASTODON, odd, "https://social.example") == set()
    bsky = {"author": {"did": "did:plc:ABC", "handle": "Me.Bsky.Social"}}
    assert authors_of(OriginKind.BLUESKY, bsky, "https://public.api.bsky.app") == {
        "did:plc:abc",
        "me.bsky.social",
    }
    invalid = {"author": {"did": "did:plc:abc", "handle": "handle.invalid"}}
    assert authors_of(OriginKind.BLUESKY, invalid, "") == {"did:plc:abc"}
