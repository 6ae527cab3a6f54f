"""The owner's search over HTTP, on both stores: by words of the text, author, exact email and
page, combined, paged with a signed cursor bound to the search; edits, a reader's delete and
erasure change what it finds, and an erased comment leaves no posting behind (DynamoDB)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain import errors
from backend.domain.ids import new_ulid
from backend.domain.models import Comment, Status
from backend.domain.search import index_keys
from backend.settings import StoreURL
from backend.store.base import Store
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from tests.conftest import ORIGIN, Clock
from tests.helpers import error_of, new_key, proof
from tests.moderation_support import OTHER_TOKEN, TOKEN, auth, settings_for, sites


@pytest.fixture
def client(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    store, url = store_and_url
    app = create_app(settings_for(url, sites()), store, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as c:
        yield c


def say(
    c: TestClient,
    text: str,
    *,
    site: str = "open",
    author: str = "Ann",
    email: str = "ann@example.com",
    uri: str = "/post/",
) -> Any:
    body = {"site": site, "uri": uri, "author": author, "email": email, "text": text,
            "key": new_key(), "proof": proof(c, site)}  # fmt: skip
    response = c.post("/api/v1/comments", json=body)
    assert response.status_code in (201, 202), response.text
    return response.json()


def find(c: TestClient, site: str = "open", token: str = OTHER_TOKEN, **fields: Any) -> Any:
    response = c.post("/api/v1/admin/search", json={"site": site, **fields}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def texts(found: Any) -> list[str]:
    return [c["text"] for c in found["comments"]]


def test_search_by_words_author_exact_email_and_page_newest_first(client: TestClient) -> None:
    say(client, "Lambda cold starts are slow.", author="Ann")
    say(client, "I run it on a Raspberry Pi.", author="Bo Li", email="bo@example.org")
    say(client, "Cold? Mine starts warm.", author="bo  li", email="Bo@Example.org", uri="/b/")
    say(client, "Nothing to see.", author="Cy", email="cy@example.net", uri="/b/")

    assert texts(find(client, text="cold")) == [
        "Cold? Mine starts warm.",
        "Lambda cold starts are slow.",
    ]
    assert texts(find(client, text="COLD starts lambda")) == ["Lambda cold starts are slow."]
    assert texts(find(client, text="col")) == []  # whole words, never a part of one
    assert texts(find(client, author="BO LI")) == [
        "Cold? Mine starts warm.",
        "I run it on a Raspberry Pi.",
    ]
    both = find(client, email="bo@example.org")
    assert [c["email"] for c in both["comments"]] == ["Bo@Example.org", "bo@example.org"]
    assert find(client, email="bo@example")["comments"] == []  # exact: never a part of one
    assert find(client, email="example.org")["comments"] == []
    assert texts(find(client, uri="/b/")) == ["Nothing to see.", "Cold? Mine starts warm."]
    assert texts(find(client, uri="/b/", text="starts")) == ["Cold? Mine starts warm."]
    assert texts(find(client, author="Cy", text="cold")) == []
    assert find(client, text="cold")["next"] is None


def test_search_spans_queues_and_narrows_by_status(client: TestClient) -> None:
    held = say(client, "Held words here.", site="blog")  # blog holds every comment
    assert held["comment"]["status"] == "pending"
    found = find(client, site="blog", token=TOKEN, text="held words")
    assert [c["id"] for c in found["comments"]] == [held["comment"]["id"]]
    assert found["comments"][0]["status"] == "pending"
    approved = find(client, site="blog", token=TOKEN, text="held", status="approved")
    assert approved["comments"] == []


def test_pages_follow_a_signed_cursor_bound_to_the_search(client: TestClient) -> None:
    for n in range(25):
        say(client, f"Kubernetes note number {n}.")
    say(client, "Unrelated.")
    seen: list[str] = []
    found = find(client, text="kubernetes", limit=10)
    pages = 1
    while True:
        seen += texts(found)
        if found["next"] is None:
            break
        following = found["next"]
        found = find(client, text="kubernetes", limit=10, after=following)
        pages += 1
    assert pages == 3
    assert seen == [f"Kubernetes note number {n}." for n in reversed(range(25))]

    first = find(client, text="kubernetes", limit=10)
    forged = client.post(
        "/api/v1/admin/search",
        json={"site": "open", "text": "kubernetes", "after": first["next"] + "x"},
        headers=auth(OTHER_TOKEN),
    )
    assert forged.status_code == 400 and error_of(forged)["code"] == "invalid_cursor"
    other = client.post(
        "/api/v1/admin/search",
        json={"site": "open", "text": "note", "after": first["next"]},
        headers=auth(OTHER_TOKEN),
    )
    assert other.status_code == 400  # a cursor of one search never continues another


def test_refusals_have_the_documented_shape(client: TestClient) -> None:
    nothing = client.post("/api/v1/admin/search", json={"site": "open"}, headers=auth(OTHER_TOKEN))
    assert nothing.status_code == 422 and "text" in error_of(nothing)["fields"]
    symbols = client.post(
        "/api/v1/admin/search", json={"site": "open", "text": "?!"}, headers=auth(OTHER_TOKEN)
    )
    assert symbols.status_code == 422
    stranger = client.post("/api/v1/admin/search", json={"site": "open", "text": "cold"})
    assert stranger.status_code == 401
    wrong_site = client.post(
        "/api/v1/admin/search", json={"site": "blog", "text": "cold"}, headers=auth(OTHER_TOKEN)
    )
    assert wrong_site.status_code in (401, 403)
    ok = client.post(
        "/api/v1/admin/search", json={"site": "open", "text": "cold"}, headers=auth(OTHER_TOKEN)
    )
    assert ok.headers["cache-control"] == "no-store"


def test_an_edit_a_reader_delete_and_an_erase_change_what_is_found(
    client: TestClient, store: Store
) -> None:
    made = say(client, "Apples and pears.", email="gone@example.com", author="Gone")
    comment, token = made["comment"], made["token"]
    edited = client.patch(
        f"/api/v1/comments/{comment['id']}",
        json={"site": "open", "uri": "/post/", "text": "Pears and plums."},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert edited.status_code == 200, edited.text
    assert texts(find(client, text="apples")) == []
    assert texts(find(client, text="plums")) == ["Pears and plums."]

    deleted = client.request(
        "DELETE",
        f"/api/v1/comments/{comment['id']}",
        params={"site": "open", "uri": "/post/"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert deleted.status_code == 204, deleted.text
    assert find(client, text="plums")["comments"] == []  # its words went with its text
    assert [c["status"] for c in find(client, author="gone")["comments"]] == ["deleted"]

    kept = say(client, "Kept apples.", email="gone@example.com", author="Gone", uri="/k/")
    erased = client.post(
        "/api/v1/admin/erase",
        json={"site": "open", "email": "gone@example.com"},
        headers=auth(OTHER_TOKEN),
    )
    assert erased.status_code == 200 and erased.json()["erased"] == 2
    for query in ({"email": "gone@example.com"}, {"author": "gone"}, {"text": "kept apples"},
                  {"uri": "/k/"}):  # fmt: skip
        assert find(client, **query)["comments"] == [], query
    if isinstance(store, DynamoStore):
        gone = [
            (comment["id"], "/post/", "Pears and plums.", "Apples and pears."),
            (kept["comment"]["id"], "/k/", "Kept apples.", ""),
        ]
        assert postings_of(store, gone) == []


def postings_of(store: DynamoStore, comments: list[tuple[str, str, str, str]]) -> list[Any]:
    """Every posting item left under any key these comments ever had (each text they held)."""
    left: list[Any] = []
    for cid, uri, *bodies in comments:
        keys = {key for body in bodies for key in index_keys(_comment(cid, uri, body))}
        for key in keys:
            out = store.client.query(
                TableName=store.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": it.s(it.posting_pk("open", key))},
                ConsistentRead=True,
            )
            left += [i for i in out["Items"] if i["id"]["S"] == cid]
    return left


def _comment(cid: str, uri: str, text: str) -> Comment:
    return Comment(
        site="open", uri=uri, id=cid, parent=None, author="Gone", email="gone@example.com",
        website=None, text=text, html="", status=Status.APPROVED,
        created=datetime(2026, 1, 1, tzinfo=UTC), edited=None, likes=0, replies=0,
    )  # fmt: skip


def test_imported_comments_are_found(store: Store) -> None:
    from backend.domain.models import Thread
    from backend.domain.search import SearchQuery

    at = datetime(2026, 1, 1, tzinfo=UTC)
    thread = Thread(site="open", uri="/old/", title="", count=0, locked=False, created=at)
    old = [
        _comment(new_ulid(1_767_225_600.0 + n), "/old/", f"Imported words {n}.") for n in range(3)
    ]
    assert store.put_many([thread], old).comments == 3
    page = store.search("open", SearchQuery(text="imported"), after=None, limit=10)
    assert [c.id for c in page.comments] == [c.id for c in reversed(old)]
    assert page.next_after is None


def test_parley_reindex_indexes_comments_written_before_search(
    store_and_url: tuple[Store, StoreURL],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An upgraded DynamoDB table holds comments with no postings: `parley reindex` writes
    them (twice is harmless); SQLite searches its rows and has nothing to index."""
    from backend.cli import main
    from backend.domain.models import Thread
    from backend.domain.search import SearchQuery

    store, url = store_and_url
    at = datetime(2026, 1, 1, tzinfo=UTC)
    thread = Thread(site="open", uri="/before/", title="", count=0, locked=False, created=at)
    old = [_comment(new_ulid(1_767_225_600.0 + n), "/before/", f"Older words {n}.") for n in (0, 1)]
    store.put_many([thread], old)
    raw = (
        f"dynamodb://{url.table}?region={url.region}&endpoint={url.endpoint}"
        if url.scheme == "dynamodb"
        else f"sqlite:///{url.path}"
    )
    monkeypatch.setenv("PARLEY_STORE", raw)

    def found() -> list[str]:
        page = store.search("open", SearchQuery(text="older"), after=None, limit=10)
        return [c.id for c in page.comments]

    if not isinstance(store, DynamoStore):
        assert main(["reindex", "--site", "open"]) == 0
        assert "nothing to index" in capsys.readouterr().out
        assert found() == [c.id for c in reversed(old)]
        return
    for cid, uri, body in [(c.id, c.uri, c.text) for c in old]:  # as a table from before search
        for key in index_keys(_comment(cid, uri, body)):
            store.client.delete_item(
                TableName=store.table, Key=it.posting_key("open", key, cid, uri)
            )
    assert found() == []
    for _ in range(2):
        assert main(["reindex", "--site", "open"]) == 0
        assert "2 comments of 1 threads indexed" in capsys.readouterr().out
        assert found() == [c.id for c in reversed(old)]


@pytest.mark.parametrize("store_kind", ["dynamodb_local"])  # SQLite: one transaction
def test_a_retried_post_writes_the_postings_its_first_try_lost(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB writes a post's postings after its transaction: when they fail, the reader gets
    a 503 and retries with the same key; the retry gets the stored comment and writes them."""
    real = DynamoStore._post_index
    failed: list[str] = []

    def once(self: DynamoStore, c: Comment, keys: list[str]) -> None:
        if not failed:
            failed.append(c.id)
            raise errors.StoreUnavailable(retry_after=1)
        real(self, c, keys)

    monkeypatch.setattr(DynamoStore, "_post_index", once)
    body = {"site": "open", "uri": "/post/", "author": "Ann", "email": "ann@example.com",
            "text": "Retried words survive.", "key": new_key()}  # fmt: skip
    body["proof"] = proof(client, "open")
    assert client.post("/api/v1/comments", json=body).status_code == 503
    assert texts(find(client, text="retried")) == []
    body["proof"] = proof(client, "open")
    again = client.post("/api/v1/comments", json=body)
    assert again.status_code in (200, 201, 202), again.text
    assert again.json()["comment"]["id"] == failed[0]
    assert texts(find(client, text="retried")) == ["Retried words survive."]
