"""The admin endpoints through the real app, on every store: policies, actions and the counts
they move, thread locks, privacy requests and the purge of stale pending comments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import error_of, post, read
from tests.moderation_support import TOKEN, act, app_client, auth, queue, sites
from tests.notify_support import worker_of


@pytest.fixture
def mod(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    with app_client(store_and_url, clock) as client:
        yield client


def ids(comments: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in comments]


def thread_of(client: TestClient, uri: str = "/post/", site: str = "blog") -> dict[str, Any]:
    data: dict[str, Any] = read(client, uri, site=site)
    return data


# -- policies ----------------------------------------------------------------------------------


def test_policy_none_publishes_at_once(mod: TestClient) -> None:
    c = post(mod, site="open", expect=201)["comment"]
    assert c["status"] == "approved"
    assert ids(read(mod, site="open")["comments"]) == [c["id"]]


def test_policy_all_holds_until_approved(mod: TestClient) -> None:
    held = post(mod, expect=202)["comment"]
    assert held["status"] == "pending"
    assert thread_of(mod)["comments"] == [] and thread_of(mod)["thread"]["count"] == 0
    pending = queue(mod)["comments"]
    assert ids(pending) == [held["id"]] and pending[0]["email"] == "jkb@example.com"

    approved = act(mod, held["id"], "approve")["comment"]
    assert approved["status"] == "approved"
    assert ids(thread_of(mod)["comments"]) == [held["id"]]
    assert thread_of(mod)["thread"]["count"] == 1
    assert queue(mod)["comments"] == []
    post(mod, expect=202)  # an approved author is still held under "all"


def test_policy_first_time_holds_unknown_emails_only(mod: TestClient) -> None:
    first = post(mod, site="first", email="new@example.com", expect=202)["comment"]
    post(mod, site="first", email="new@example.com", expect=202)  # still unknown
    act(mod, first["id"], "approve", site="first")
    again = post(mod, site="first", email="new@example.com", expect=201)["comment"]
    post(mod, site="first", email="else@example.com", expect=202)
    assert again["id"] in ids(read(mod, site="first")["comments"])
    # approval on one site says nothing about another
    post(mod, site="blog", email="new@example.com", expect=202)


# -- actions and the counts they move ----------------------------------------------------------


def counts(client: TestClient, parent_id: str) -> tuple[int, int]:
    data = thread_of(client)
    replies = {c["id"]: c["replies"] for c in data["comments"]}
    listed = client.get("/api/v1/counts", params={"site": "blog", "uri": "/post/"}).json()
    assert listed["counts"]["/post/"] == data["thread"]["count"]
    return data["thread"]["count"], replies.get(parent_id, -1)


def test_each_action_moves_thread_count_and_parent_replies(mod: TestClient) -> None:
    parent = post(mod, expect=202)["comment"]["id"]
    act(mod, parent, "approve")
    reply = post(mod, parent=parent, author="Ann", expect=202)["comment"]["id"]
    assert counts(mod, parent) == (1, 0)

    steps = [
        ("approve", "approved", (2, 1)),
        ("spam", "spam", (1, 0)),
        ("restore", "approved", (2, 1)),
        ("delete", "deleted", (1, 0)),
        ("restore", "approved", (2, 1)),
        ("approve", "approved", (2, 1)),  # again: nothing drifts
        ("spam", "spam", (1, 0)),
        ("approve", "approved", (2, 1)),
    ]
    for action, status, expected in steps:
        assert act(mod, reply, action)["comment"]["status"] == status, action
        assert counts(mod, parent) == expected, action
        assert reply in ids(queue(mod, status)["comments"]), action


def test_reject_is_for_pending_and_can_be_undone(mod: TestClient) -> None:
    held = post(mod, expect=202)["comment"]["id"]
    assert act(mod, held, "reject")["comment"]["status"] == "deleted"
    assert ids(queue(mod, "deleted")["comments"]) == [held]
    assert queue(mod, "deleted")["comments"][0]["text"]  # the words are kept for restore
    assert act(mod, held, "restore")["comment"]["status"] == "approved"
    assert thread_of(mod)["thread"]["count"] == 1
    error = error_of(mod.post(
        f"/api/v1/admin/comments/{held}/reject", json={"site": "blog", "uri": "/post/"},
        headers=auth(),
    ))  # fmt: skip
    assert error["code"] == "invalid_action"
    act(mod, held, "reject", expect=409)
    act(mod, held, "restore", expect=409)  # approved: nothing to restore


def test_delete_keeps_a_tombstone_for_replies(mod: TestClient) -> None:
    parent = post(mod, expect=202)["comment"]["id"]
    act(mod, parent, "approve")
    reply = post(mod, parent=parent, expect=202)["comment"]["id"]
    act(mod, reply, "approve")
    act(mod, parent, "delete")
    comments = thread_of(mod)["comments"]
    assert [(c["id"], c["deleted"], c["html"]) for c in comments] == [
        (parent, True, ""), (reply, False, comments[1]["html"]),
    ]  # fmt: skip
    assert thread_of(mod)["thread"]["count"] == 1


def test_a_comment_its_author_deleted_cannot_be_published(mod: TestClient) -> None:
    posted = post(mod, site="open")
    cid, token = posted["comment"]["id"], posted["token"]
    gone = mod.delete(
        f"/api/v1/comments/{cid}",
        params={"site": "open", "uri": "/post/"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert gone.status_code == 204
    from tests.moderation_support import OTHER_TOKEN

    act(mod, cid, "restore", site="open", token=OTHER_TOKEN, expect=409)
    act(mod, cid, "approve", site="open", token=OTHER_TOKEN, expect=409)


def test_queue_is_newest_first_and_paginated(mod: TestClient, clock: Clock) -> None:
    made = []
    for i in range(5):
        clock.advance(1)
        made.append(post(mod, text=f"comment {i}", expect=202)["comment"]["id"])
    seen, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = queue(mod, **params)
        seen += ids(page["comments"])
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == made[::-1]
    item = queue(mod)["comments"][0]
    assert set(item) >= {"id", "uri", "author", "email", "text", "html", "status", "created"}
    assert item["page_url"] == "http://blog.test/post/"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/api/v1/admin/comments?site=blog&status=nope", None, 400, "bad_request"),
        ("get", "/api/v1/admin/comments?site=blog&after=xyz", None, 400, "bad_request"),
        ("get", "/api/v1/admin/comments?site=blog&limit=0", None, 400, "bad_request"),
        ("get", "/api/v1/admin/comments?site=nosuch", None, 404, "unknown_site"),
        ("post", "/api/v1/admin/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve",
         {"site": "blog", "uri": "/post/"}, 404, "not_found"),
        ("post", "/api/v1/admin/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/explode",
         {"site": "blog", "uri": "/post/"}, 404, "not_found"),
        ("post", "/api/v1/admin/comments/not-an-id/approve",
         {"site": "blog", "uri": "/post/"}, 400, "bad_request"),
        ("post", "/api/v1/admin/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve",
         {"site": "blog"}, 422, "validation_error"),
        ("post", "/api/v1/admin/threads/lock", {"site": "blog", "uri": "/p/"}, 422,
         "validation_error"),
        ("post", "/api/v1/admin/threads/lock", [1, 2], 400, "bad_request"),
        ("post", "/api/v1/admin/export", {"site": "blog", "email": ""}, 422, "validation_error"),
    ],
)  # fmt: skip
def test_bad_admin_input_is_an_error_not_a_500(
    mod: TestClient, method: str, path: str, body: Any, status: int, code: str
) -> None:
    kwargs: dict[str, Any] = {"headers": auth()}
    if body is not None:
        kwargs["json"] = body
    response = getattr(mod, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code


def test_admin_answers_are_not_cached(mod: TestClient) -> None:
    response = mod.get("/api/v1/admin/comments", params={"site": "blog"}, headers=auth())
    assert response.headers["cache-control"] == "no-store"


# -- thread locks ------------------------------------------------------------------------------


def test_lock_and_unlock_a_thread(mod: TestClient) -> None:
    body = {"site": "open", "uri": "/post/", "locked": True}
    from tests.moderation_support import OTHER_TOKEN

    locked = mod.post("/api/v1/admin/threads/lock", json=body, headers=auth(OTHER_TOKEN))
    assert locked.status_code == 200 and locked.json()["thread"]["locked"] is True
    assert read(mod, site="open")["thread"]["locked"] is True
    refused = post(mod, site="open", expect=409)
    assert refused["error"]["code"] == "thread_locked"

    body["locked"] = False
    unlocked = mod.post("/api/v1/admin/threads/lock", json=body, headers=auth(OTHER_TOKEN))
    assert unlocked.json()["thread"]["locked"] is False
    post(mod, site="open", expect=201)


# -- privacy requests ----------------------------------------------------------------------------


def test_export_and_erase_every_comment_of_an_email(mod: TestClient) -> None:
    mine = post(mod, email="Me@Example.com", text="mine", expect=202)["comment"]["id"]
    act(mod, mine, "approve")
    reply = post(mod, parent=mine, email="you@example.com", text="yours", expect=202)["comment"]
    act(mod, reply["id"], "approve")
    held = post(mod, uri="/other/", email="me@example.com", expect=202)["comment"]["id"]
    post(mod, site="first", email="me@example.com", expect=202)  # another site: untouched

    exported = mod.post(
        "/api/v1/admin/export", json={"site": "blog", "email": "me@example.com"}, headers=auth()
    )
    assert exported.status_code == 200
    got = exported.json()
    assert ids(got["comments"]) == [held, mine]
    assert {c["text"] for c in got["comments"]} == {"mine", "The fall of Assad is a heavy blow."}

    erased = mod.post(
        "/api/v1/admin/erase", json={"site": "blog", "email": "me@example.com"}, headers=auth()
    )
    assert erased.status_code == 200 and erased.json() == {"erased": 2}
    comments = thread_of(mod)["comments"]
    assert [(c["id"], c["deleted"], c["author"]) for c in comments] == [
        (mine, True, ""), (reply["id"], False, "JKB"),
    ]  # fmt: skip
    assert thread_of(mod)["thread"]["count"] == 1
    again = mod.post(
        "/api/v1/admin/export", json={"site": "blog", "email": "me@example.com"}, headers=auth()
    )
    assert again.json()["comments"] == []
    assert len(queue(mod, site="first")["comments"]) == 1


# -- the purge of stale pending comments -----------------------------------------------------------


def test_stale_pending_comments_are_purged(
    store_and_url: tuple[Store, StoreURL], clock: Clock
) -> None:
    store = store_and_url[0]
    with app_client(store_and_url, clock, sites(blog={"purge_pending_after_s": 3600})) as c:
        old = post(c, expect=202)["comment"]["id"]
        clock.advance(1800)
        young = post(c, expect=202)["comment"]["id"]
        clock.advance(1801)
        assert ids(queue(c)["comments"]) == [young]  # reading the queue sweeps
        assert store.get_comment("blog", "/post/", old) is None

        clock.advance(3600)
        post(c, expect=202, uri="/else/")  # a post never sweeps: a reader waits for nothing
        assert store.get_comment("blog", "/post/", young) is not None
        worker_of(c).tick()  # the worker does, on its schedule
        assert store.get_comment("blog", "/post/", young) is None


def test_purge_zero_keeps_pending_forever(
    store_and_url: tuple[Store, StoreURL], clock: Clock
) -> None:
    with app_client(store_and_url, clock, sites(blog={"purge_pending_after_s": 0})) as c:
        held = post(c, expect=202)["comment"]["id"]
        clock.advance(10 * 365 * 86400)
        assert ids(queue(c)["comments"]) == [held]


def test_token_is_checked_before_anything_else(mod: TestClient) -> None:
    held = post(mod, expect=202)["comment"]["id"]
    response = mod.post(
        f"/api/v1/admin/comments/{held}/approve", json={"site": "blog", "uri": "/post/"}
    )
    assert response.status_code == 401
    assert queue(mod)["comments"][0]["id"] == held
    assert TOKEN not in response.text


def test_counts_per_status(mod: TestClient, clock: Clock) -> None:
    held = [post(mod, expect=202, text=f"held {i}")["comment"] for i in range(3)]
    act(mod, held[0]["id"], "approve")
    act(mod, held[1]["id"], "spam")
    response = mod.get("/api/v1/admin/counts", params={"site": "blog"}, headers=auth())
    assert response.status_code == 200
    assert response.json() == {"counts": {"pending": 1, "approved": 1, "spam": 1, "deleted": 0}}
    assert response.headers["cache-control"] == "no-store"
    refused = mod.get("/api/v1/admin/counts", params={"site": "blog"}, headers=auth("wrong"))
    assert refused.status_code == 401 and error_of(refused)
