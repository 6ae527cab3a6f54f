"""Issue 11, item 11: a page is bounded in bytes, not only in count. 100 comments of 10,000
characters used to make one page view read and send megabytes (about 500 read units on
DynamoDB): an abuse lever on the bill."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from backend.domain.ids import new_ulid
from backend.domain.models import PAGE_CHARS, Comment, Status, Thread
from backend.store.base import Store
from tests.helpers import post, read

LONG = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 180)[:10_000]


def test_a_page_of_long_comments_stops_at_its_byte_budget(client: TestClient) -> None:
    ids = [post(client, text=f"{n:02d} {LONG[:9_990]}")["comment"]["id"] for n in range(30)]
    seen: list[str] = []
    numbers: list[int] = []
    page = read(client, limit=100)
    pages = 1
    while True:
        chars = sum(len(c["html"]) for c in page["comments"])
        assert chars <= PAGE_CHARS  # the budget counts the html a page carries
        assert len(page["comments"]) < 30 or page["next"] is None
        seen += [c["id"] for c in page["comments"]]
        numbers += [c["number"] for c in page["comments"]]
        if page["next"] is None:
            break
        page = read(client, limit=100, after=page["next"])
        pages += 1
    assert pages >= 3  # 30 x ~10,000 characters of html in pages of at most 128 Ki
    assert seen == ids  # nothing lost or repeated at the seams
    assert numbers == list(range(1, 31))
    assert page["thread"]["count"] == 30


def test_one_huge_comment_still_gets_its_own_page(client: TestClient) -> None:
    post(client, text=LONG)
    post(client, text="short")
    page = read(client, limit=100)
    assert len(page["comments"][0]["html"]) > 9000
    assert len(page["comments"]) == 2 and page["next"] is None


def test_the_store_counts_html_only_as_the_service_does(store: Store) -> None:
    # A page on a ~1,900-byte uri, visible comments among held ones: the uri (twice an item)
    # is not what a page carries, so it must not end the page early (one more request).
    uri = "/" + "u" * 1_900
    at = 1_767_225_600.0
    comments = [
        Comment(
            site="blog", uri=uri, id=new_ulid(at + n), parent=None, author="A",
            email="a@example.com", website=None, text="t", html="<p>t</p>",
            status=Status.PENDING if n % 2 else Status.APPROVED,
            created=datetime.fromtimestamp(at + n, UTC),
        )
        for n in range(200)
    ]  # fmt: skip
    store.put_many([Thread("blog", uri, "", 100, False, comments[0].created)], comments)
    page = store.read_page("blog", uri, after=None, limit=100)
    assert len(page.comments) == 100 and page.next_after is None
