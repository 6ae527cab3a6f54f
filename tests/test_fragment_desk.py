"""The owner's desk in the server-rendered fragment (comments.html), on both stores: the
"Author" badge on the owner's replies only (never from a name), and the pinned comment first
with a "Pinned" label and its own number."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.moderation_support import auth
from tests.test_owner_desk import NET_B, owner_reply, say
from tests.test_owner_desk import client as client  # the fixture


def fragment(c: TestClient) -> list[str]:
    got = c.get("/api/v1/comments.html", params={"site": "open", "uri": "/post/"})
    assert got.status_code == 200, got.text
    return re.findall(r"<li id=\"comment-.*?</header>", got.text)


def test_the_fragment_shows_the_badge_and_the_pin(client: TestClient) -> None:
    asked = say(client, "Does this work on Lambda?")
    made = owner_reply(client, "It does.", parent=asked["id"], author="Jo")
    assert made.status_code == 201, made.text
    say(client, "I am Jo too.", author="Jo", network=NET_B)
    heads = fragment(client)
    assert [h.count('class="o">Author</span>') for h in heads] == [0, 1, 0]

    pinned = client.post(
        "/api/v1/admin/threads/pin",
        json={"site": "open", "uri": "/post/", "comment_id": made.json()["comment"]["id"]},
        headers=auth(),
    )
    assert pinned.status_code == 200, pinned.text
    heads = fragment(client)
    assert len(heads) == 3  # first, and not twice
    assert '<span class="n">2.</span>' in heads[0] and 'class="o">Pinned</span>' in heads[0]
    assert '<span class="n">1.</span>' in heads[1] and "Pinned" not in heads[1]
