"""Each reply names the comment it answers (author and number) in the thread's reads, under
every sort and on every page, so "@Parent:" reads right before the parent is loaded."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers import post, read


def test_replies_name_their_parent_under_every_sort(client: TestClient) -> None:
    a = post(client, author="Ann", text="first")["comment"]
    for i in range(4):
        post(client, author=f"P{i}", text=f"filler {i}")
    b = post(client, author="Bob", text="to Ann", parent=a["id"])["comment"]
    c = post(client, author="Cy", text="to Bob", parent=b["id"])["comment"]
    client.post(f"/api/v1/comments/{c['id']}/likes", json={"site": "blog", "uri": "/post/"})
    expected = {b["id"]: ("Ann", 1), c["id"]: ("Bob", 6)}
    for sort in ("oldest", "newest", "top"):
        seen = {}
        data = read(client, sort=sort, limit=2)
        pages = [data]
        while data["next"]:
            data = read(client, sort=sort, limit=2, after=data["next"])
            pages.append(data)
        for page in pages:
            for x in page["comments"]:
                if x["parent"]:
                    seen[x["id"]] = (x["parent_author"], x["parent_number"])
                else:
                    assert x["parent_author"] is None and x["parent_number"] is None
        assert seen == expected, sort
