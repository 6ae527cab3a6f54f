"""Issue 11, item 5: a one-click link acts on the comment as the moderator was shown it, once.

An approve link replayed after the admin marked the comment spam used to publish it again; so
could anyone in the chat channel the link was posted to. Links are now bound to the comment's
state when issued (status and last edit) and spent in the store on first use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from backend.settings import StoreURL
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import read
from tests.moderation_support import act, app_client
from tests.test_moderate_links import held_comment, links, no_origin, status_of


@pytest.fixture
def mod(store_and_url: tuple[Store, StoreURL], clock: Clock) -> Iterator[TestClient]:
    with app_client(store_and_url, clock) as client:
        yield client


def follow(client: TestClient, url: str, action: str) -> int:
    return no_origin(client).post(url, data={"action": action}).status_code


def test_approve_link_replayed_after_spam_does_nothing(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    approve = links(mod, comment)["approve"]
    act(mod, comment.id, "spam")
    assert follow(mod, approve, "approve") == 409
    assert no_origin(mod).get(approve).status_code == 409  # the confirm page says so too
    assert status_of(mod, comment.id) == "spam"
    assert read(mod, "/post/", site="blog")["comments"] == []


def test_a_link_works_once(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    made = links(mod, comment)
    assert follow(mod, made["approve"], "approve") == 200
    assert status_of(mod, comment.id) == "approved"
    # the same link again, and the notification's other links: all spent
    assert follow(mod, made["approve"], "approve") == 409
    assert follow(mod, made["delete"], "delete") == 409
    assert status_of(mod, comment.id) == "approved"


def test_a_link_does_not_survive_a_round_trip_of_decisions(mod: TestClient, store: Store) -> None:
    comment = held_comment(mod, store)
    delete = links(mod, comment)["delete"]
    act(mod, comment.id, "approve")
    act(mod, comment.id, "delete")
    act(mod, comment.id, "restore")
    assert follow(mod, delete, "delete") == 409
    assert status_of(mod, comment.id) == "approved"


def test_spending_is_recorded_in_the_store(mod: TestClient, store: Store) -> None:
    """Two apps over one store (two Lambda instances): the second finds the link spent."""
    comment = held_comment(mod, store)
    made = links(mod, comment)
    # Spend the record as the first instance would, without acting.
    spent = mod.app.state.parley.signer.keyed_hash(  # type: ignore[attr-defined]
        "moderation-link", f"{comment.uri}\0{comment.id}\0pending.0"
    )
    assert store.use_once("blog", spent, 2_000_000_000)
    assert follow(mod, made["approve"], "approve") == 409
    assert status_of(mod, comment.id) == "pending"
