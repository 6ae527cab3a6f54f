"""One-click moderation links: GET shows and changes nothing, POST acts, and a link is bound to
its comment and its action and expires after 7 days."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from backend.domain.models import Comment
from backend.domain.tokens import Signer
from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import parse_tags, post, read
from tests.moderation_support import app_client, queue

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture
def mod(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    with app_client(store_and_url, clock) as client:
        yield client


def held_comment(client: TestClient, store: Store, **fields: str) -> Comment:
    cid = post(client, expect=202, **fields)["comment"]["id"]
    comment = store.get_comment("blog", "/post/", cid)
    assert comment is not None
    return comment


def links(client: TestClient, comment: Comment) -> dict[str, str]:
    made: dict[str, str] = client.app.state.parley.moderation.links(comment)  # type: ignore[attr-defined]
    return {a: url.removeprefix("http://api.test") for a, url in made.items()}


def no_origin(client: TestClient) -> TestClient:
    """A mail client or chat app following the link: no Origin, no token."""
    return TestClient(client.app, base_url="http://api.test")


def status_of(client: TestClient, cid: str) -> str:
    for status in ("pending", "approved", "spam", "deleted"):
        if cid in [c["id"] for c in queue(client, status)["comments"]]:
            return status
    return "gone"


def test_links_point_at_the_public_url_for_three_actions(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    made = mod.app.state.parley.moderation.links(comment)  # type: ignore[attr-defined]
    assert set(made) == {"approve", "spam", "delete"}
    assert all(url.startswith("http://api.test/moderate/") for url in made.values())
    assert len(set(made.values())) == 3


def test_get_shows_a_confirm_page_and_changes_nothing(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store, author=HOSTILE, text=HOSTILE)
    scanner = no_origin(mod)
    for _ in range(3):  # a link scanner may fetch it several times
        page = scanner.get(links(mod, comment)["approve"])
        assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    tags = parse_tags(page.text)
    assert not [t for t, _ in tags if t in ("script", "img")]
    assert "&lt;script&gt;" in page.text and "&amp;" in page.text
    forms = [attrs for tag, attrs in tags if tag == "form"]
    assert forms == [{"method": "post"}]
    assert ("input", {"type": "hidden", "name": "action", "value": "approve"}) in tags
    assert status_of(mod, comment.id) == "pending"
    assert read(mod)["comments"] == []


@pytest.mark.parametrize(("action", "status"), [("approve", "approved"), ("spam", "spam"),
                                                 ("delete", "deleted")])  # fmt: skip
def test_post_acts(mod: TestClient, store: Store, action: str, status: str) -> None:
    comment = held_comment(mod, store)
    done = no_origin(mod).post(links(mod, comment)[action], data={"action": action})
    assert done.status_code == 200, done.text
    assert status_of(mod, comment.id) == status
    visible = [c["id"] for c in read(mod)["comments"]]
    assert visible == ([comment.id] if action == "approve" else [])


def test_a_link_cannot_be_reused_for_another_action(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    approve = links(mod, comment)["approve"]
    client = no_origin(mod)
    for form in ({"action": "delete"}, {"action": "spam"}, {"action": "restore"}, {}):
        refused = client.post(approve, data=form)
        assert refused.status_code == 403, form
        assert "another action" in refused.text
    assert status_of(mod, comment.id) == "pending"


def test_an_expired_link_is_refused(mod: TestClient, store: Store, clock: Clock) -> None:
    comment = held_comment(mod, store)
    approve = links(mod, comment)["approve"]
    clock.advance(7 * 86400 - 1)
    assert no_origin(mod).get(approve).status_code == 200
    clock.advance(1)
    for response in (
        no_origin(mod).get(approve),
        no_origin(mod).post(approve, data={"action": "approve"}),
    ):
        assert response.status_code == 401
        assert "expired" in response.text
    assert status_of(mod, comment.id) == "pending"


def test_a_tampered_or_foreign_link_is_refused(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    other = held_comment(mod, store)
    approve = links(mod, comment)["approve"]
    signed = approve.removeprefix("/moderate/")
    body, _, sig = signed.rpartition(".")
    # The first character: the last one of a 27-character signature carries only 2 bits, so
    # "A" and "B" there decode to the same bytes and the "tampered" link would still verify.
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    foreign = Signer(["another-secret-key-0123456789"]).moderation_link(
        "blog", "/post/", other.id, "approve", state="pending.0", expires=2_000_000_000
    )
    # a valid signature over another comment's payload, glued to this one's: still invalid
    spliced = links(mod, other)["approve"].removeprefix("/moderate/").rpartition(".")[0]
    for bad in (f"{body}.{flipped}", foreign, f"{spliced}.{sig}", "x", "a.b.c"):
        response = no_origin(mod).post(f"/moderate/{bad}", data={"action": "approve"})
        assert response.status_code == 401, bad
        assert no_origin(mod).get(f"/moderate/{bad}").status_code == 401
    assert status_of(mod, comment.id) == status_of(mod, other.id) == "pending"


def test_a_link_to_an_erased_comment_is_a_404_page(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    approve = links(mod, comment)["approve"]
    store.erase("blog", "/post/", comment.id)
    response = no_origin(mod).post(approve, data={"action": "approve"})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


def test_an_oversized_form_is_refused(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    response = no_origin(mod).post(
        links(mod, comment)["approve"], data={"action": "approve", "pad": "x" * 5000}
    )
    assert response.status_code == 413
    assert status_of(mod, comment.id) == "pending"
