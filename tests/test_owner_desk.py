"""The owner's desk over HTTP, on both stores: replies as the author (the badge comes from the
admin token, never from a name), one pinned comment per thread shown first, and blocks by
network or email (shadow spam, listed and undoable; a network block also stops likes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import error_of, new_key, proof, read
from tests.moderation_support import auth, queue, settings_for, sites

NET_A, NET_B = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def client(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    """blog holds every reader's comment; open publishes at once. One trusted proxy hop, so
    a request can say which network it comes from."""
    store, url = store_and_url
    settings = settings_for(
        url, sites(open={"admin_token_hashes": sites()["blog"]["admin_token_hashes"]})
    )
    settings = type(settings)(**{**settings.__dict__, "trusted_proxies": 1})
    app = create_app(settings, store, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
        yield c


def say(
    c: TestClient,
    text: str,
    *,
    site: str = "open",
    network: str = NET_A,
    author: str = "Ann",
    email: str = "ann@example.com",
    parent: str | None = None,
    uri: str = "/post/",
) -> Any:
    body = {"site": site, "uri": uri, "author": author, "email": email, "text": text,
            "key": new_key(), "parent": parent, "proof": proof(c, site)}  # fmt: skip
    response = c.post("/api/v1/comments", json=body, headers={"X-Forwarded-For": network})
    assert response.status_code in (201, 202), response.text
    return response.json()["comment"]


def owner_reply(c: TestClient, text: str, **fields: Any) -> Any:
    body = {"site": "open", "uri": "/post/", "text": text, "key": new_key(), **fields}
    return c.post("/api/v1/admin/replies", json=body, headers=auth())


# -- reply as the author ---------------------------------------------------------------------


def test_the_owner_replies_as_the_author_with_a_badge_no_name_can_imitate(
    client: TestClient,
) -> None:
    question = say(client, "Does this work on Lambda?")
    answer = owner_reply(client, "It does.", parent=question["id"], author="Jo (author)")
    assert answer.status_code == 201, answer.text
    made = answer.json()["comment"]
    assert made["author_role"] == "owner" and made["status"] == "approved"
    assert made["author"] == "Jo (author)" and made["parent"] == question["id"]
    impostor = say(client, "I am the author, trust me.", author="Jo (author)", network=NET_B)
    assert impostor["author_role"] is None
    comments = read(client, site="open")["comments"]
    roles = {c["author"] + ":" + c["html"]: c["author_role"] for c in comments}
    assert roles == {
        "Ann:<p>Does this work on Lambda?</p>": None,
        "Jo (author):<p>It does.</p>": "owner",
        "Jo (author):<p>I am the author, trust me.</p>": None,
    }


def test_the_owner_is_never_held_and_a_retry_is_the_same_reply(client: TestClient) -> None:
    key = new_key()
    body = {"site": "blog", "uri": "/post/", "text": "Welcome, all.", "key": key}
    first = client.post("/api/v1/admin/replies", json=body, headers=auth())
    again = client.post("/api/v1/admin/replies", json=body, headers=auth())
    assert first.status_code == again.status_code == 201
    assert first.json()["comment"]["id"] == again.json()["comment"]["id"]
    assert first.json()["comment"]["status"] == "approved"  # blog holds every reader's comment
    assert first.json()["comment"]["author"] == "Author"  # the default name
    assert [c["author_role"] for c in read(client)["comments"]] == ["owner"]


def test_a_reply_as_the_author_needs_the_token_and_a_real_parent(client: TestClient) -> None:
    body = {"site": "open", "uri": "/post/", "text": "Hi", "key": new_key()}
    assert client.post("/api/v1/admin/replies", json=body).status_code == 401
    wrong = client.post("/api/v1/admin/replies", json=body, headers=auth("x" * 32))
    assert wrong.status_code in (401, 403)
    missing = owner_reply(client, "Hi", parent="01KDVD3020KMZ5P30TYNQS52CE")
    assert missing.status_code == 422 and "parent" in error_of(missing)["fields"]
    empty = owner_reply(client, "   ")
    assert empty.status_code == 422 and "text" in error_of(empty)["fields"]
    assert owner_reply(client, "x", site="nowhere").status_code in (403, 404)


# -- pin ---------------------------------------------------------------------------------------


def pin(c: TestClient, comment_id: str | None, site: str = "open") -> Any:
    body = {"site": site, "uri": "/post/", "comment_id": comment_id}
    return c.post("/api/v1/admin/threads/pin", json=body, headers=auth())


def test_a_pinned_comment_on_a_later_page_shows_first_with_its_number(
    client: TestClient,
) -> None:
    ids = [say(client, f"Comment {n}")["id"] for n in range(1, 6)]
    assert read(client, site="open")["pinned"] is None
    pinned = pin(client, ids[3])
    assert pinned.status_code == 200 and pinned.json()["thread"]["pinned"] == ids[3]
    first = read(client, site="open", limit=2)
    assert [c["number"] for c in first["comments"]] == [1, 2]
    assert first["pinned"]["id"] == ids[3] and first["pinned"]["number"] == 4
    assert first["thread"]["pinned"] == ids[3]
    later = read(client, site="open", limit=2, after=first["next"])
    assert later["pinned"] is None  # first pages only
    whole = read(client, site="open")
    assert whole["pinned"]["id"] == ids[3] and whole["pinned"]["number"] == 4
    assert pin(client, ids[1]).json()["thread"]["pinned"] == ids[1]  # one per thread
    assert read(client, site="open", limit=2)["pinned"]["id"] == ids[1]
    assert pin(client, None).json()["thread"]["pinned"] is None
    assert read(client, site="open", limit=2)["pinned"] is None


def test_only_an_approved_comment_of_the_thread_is_pinned(client: TestClient) -> None:
    held = say(client, "Held", site="blog")
    assert pin(client, held["id"], site="blog").status_code == 404
    assert pin(client, "01KDVD3020KMZ5P30TYNQS52CE").status_code == 404
    bad = pin(client, "not-an-id")
    assert bad.status_code == 422 and "comment_id" in error_of(bad)["fields"]
    shown = say(client, "Shown")
    assert pin(client, shown["id"]).status_code == 200
    client.post(f"/api/v1/admin/comments/{shown['id']}/delete",
                json={"site": "open", "uri": "/post/"}, headers=auth())  # fmt: skip
    assert read(client, site="open")["pinned"] is None  # a deleted pin shows nothing


# -- block -------------------------------------------------------------------------------------


def block(c: TestClient, comment: Any, by: str) -> Any:
    body = {"site": "open", "uri": "/post/", "comment_id": comment["id"], "by": by}
    return c.post("/api/v1/admin/blocks", json=body, headers=auth())


def blocks(c: TestClient) -> list[Any]:
    response = c.get("/api/v1/admin/blocks", params={"site": "open"}, headers=auth())
    assert response.status_code == 200
    listed: list[Any] = response.json()["blocks"]
    return listed


def test_a_blocked_network_posts_into_spam_silently_and_stops_liking(
    client: TestClient,
) -> None:
    target = say(client, "Buy now", network=NET_A, email="spam@example.com")
    made = block(client, target, "network")
    assert made.status_code == 201, made.text
    entry = made.json()["block"]
    assert entry["kind"] == "network" and entry["label"] == "Ann: Buy now"
    assert NET_A not in str(made.json())  # a keyed hash, never the address
    again = say(client, "Buy more", network=NET_A, email="new@example.com")
    assert again["status"] == "pending"  # answered as held: the sender learns nothing
    other = say(client, "A real comment", network=NET_B)
    assert other["status"] == "approved"
    assert "Buy more" in str(queue(client, "spam", site="open"))
    assert "Buy more" not in str(read(client, site="open"))
    like = client.post(f"/api/v1/comments/{other['id']}/likes", json={"site": "open",
                       "uri": "/post/"}, headers={"X-Forwarded-For": NET_A})  # fmt: skip
    assert like.status_code == 200 and like.json()["likes"] == 0  # not counted, said nothing
    counted = client.post(f"/api/v1/comments/{other['id']}/likes", json={"site": "open",
                          "uri": "/post/"}, headers={"X-Forwarded-For": NET_B})  # fmt: skip
    assert counted.json()["likes"] == 1
    assert [b["key"] for b in blocks(client)] == [entry["key"]]
    lifted = client.delete(
        "/api/v1/admin/blocks", params={"site": "open", "key": entry["key"]}, headers=auth()
    )
    assert lifted.status_code == 204 and blocks(client) == []
    assert say(client, "Sorry", network=NET_A)["status"] == "approved"  # undone
    gone = client.delete(
        "/api/v1/admin/blocks", params={"site": "open", "key": entry["key"]}, headers=auth()
    )
    assert gone.status_code == 404


def test_an_email_block_follows_the_address_across_networks(client: TestClient) -> None:
    target = say(client, "Troll", email="Troll@Example.com", network=NET_A)
    made = block(client, target, "email").json()["block"]
    assert made["kind"] == "email" and "example" not in made["key"].lower()
    moved = say(client, "Troll again", email="troll@example.com ", network=NET_B)
    assert moved["status"] == "pending"
    assert say(client, "Fine", email="fine@example.com", network=NET_A)["status"] == "approved"


def test_blocks_need_the_token_and_a_known_comment(client: TestClient) -> None:
    target = say(client, "x")
    body = {"site": "open", "uri": "/post/", "comment_id": target["id"], "by": "network"}
    assert client.post("/api/v1/admin/blocks", json=body).status_code == 401
    assert client.get("/api/v1/admin/blocks", params={"site": "open"}).status_code == 401
    bad = client.post("/api/v1/admin/blocks", json={**body, "by": "ip"}, headers=auth())
    assert bad.status_code == 422 and "by" in error_of(bad)["fields"]
    missing = {**body, "comment_id": "01KDVD3020KMZ5P30TYNQS52CE"}
    assert client.post("/api/v1/admin/blocks", json=missing, headers=auth()).status_code == 404
    owner = owner_reply(client, "mine").json()["comment"]
    own = client.post(
        "/api/v1/admin/blocks", json={**body, "comment_id": owner["id"]}, headers=auth()
    )
    assert own.status_code == 422  # the owner's comment has no network
    odd = client.delete(
        "/api/v1/admin/blocks", params={"site": "open", "key": "../x"}, headers=auth()
    )
    assert odd.status_code == 400 and "key" in error_of(odd)["fields"]
