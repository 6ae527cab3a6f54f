"""The owner's decisions teach the site's spam filter, wherever they are made (admin API,
one-click links; the admin page calls the admin API): spam teaches spam, approve and restore
teach legitimate, reject and delete teach nothing. A taught filter holds new spam, with its
reason, on a site that publishes everything at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.sites import SiteConfig
from backend.spam.guard import MODEL
from backend.spam.model import Model
from backend.store.base import Store
from tests.conftest import Clock
from tests.helpers import post, read
from tests.moderation_support import OTHER_TOKEN, act, app_client, auth, sites

SPAM = [
    "Cheap watches at http://deals.example.biz/shop buy now!!!",
    "Buy cheap watches today, best deals http://www.deals.example.biz",
    "BEST CHEAP WATCHES, CLICK THE LINK NOW http://deals.example.biz/x",
]
HAM = [
    "I tried the recipe last night and the sauce came out a bit thin.",
    "Thanks for the write-up; the part about the sauce helped a lot.",
    "Does the recipe work with brown rice instead of white?",
]


@pytest.fixture
def mod(store_and_url: tuple[Store, Any], clock: Clock) -> Iterator[TestClient]:
    with app_client(store_and_url, clock) as client:
        yield client


def lessons(store: Store, site: str = "blog") -> tuple[int, int]:
    stored = store.read_model(site, MODEL)
    if stored is None:
        return 0, 0
    model = Model.load(stored[0])
    return model.spam, model.ham


def held(client: TestClient, text: str = "Some words.") -> str:
    return str(post(client, expect=202, text=text)["comment"]["id"])


def test_admin_api_spam_teaches_spam_approve_and_restore_teach_legitimate(
    mod: TestClient, store: Store
) -> None:
    act(mod, held(mod), "spam")
    assert lessons(store) == (1, 0)
    act(mod, held(mod), "approve")
    assert lessons(store) == (1, 1)
    restored = held(mod)
    act(mod, restored, "spam")
    act(mod, restored, "restore")
    assert lessons(store) == (2, 2)


def test_reject_and_delete_teach_nothing(mod: TestClient, store: Store) -> None:
    act(mod, held(mod), "reject")
    act(mod, held(mod), "delete")
    approved = held(mod)
    act(mod, approved, "approve")
    act(mod, approved, "delete")
    assert lessons(store) == (0, 1)


def test_one_click_links_teach_as_the_admin_api_does(mod: TestClient, store: Store) -> None:
    links = mod.app.state.parley.moderation.links  # type: ignore[attr-defined]
    scanner = TestClient(mod.app, base_url="http://api.test")  # a mail client: no Origin
    for action, taught in (("spam", (1, 0)), ("approve", (1, 1)), ("delete", (1, 1))):
        comment = store.get_comment("blog", "/post/", held(mod))
        assert comment is not None
        url = links(comment)[action].removeprefix("http://api.test")
        assert scanner.get(url).status_code == 200  # looking teaches nothing
        assert lessons(store) == (taught[0] - (action == "spam"), taught[1] - (action == "approve"))
        assert scanner.post(url, data={"action": action}).status_code == 200
        assert lessons(store) == taught, action


def open_queue(client: TestClient, status: str = "pending") -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/admin/comments",
        params={"site": "open", "status": status},
        headers=auth(OTHER_TOKEN),
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["comments"]
    return found


def _teach_open(store_and_url: tuple[Store, Any], clock: Clock) -> None:
    """While `open` still holds every comment, its owner marks three spam and approves three
    (approving a published comment is no decision, so nothing to learn from)."""
    with app_client(store_and_url, clock, sites(open={"moderation": "all"})) as client:
        for text, action in [*((t, "spam") for t in SPAM), *((t, "approve") for t in HAM)]:
            cid = post(client, site="open", text=text, expect=202)["comment"]["id"]
            act(client, cid, action, site="open", token=OTHER_TOKEN)
    assert lessons(store_and_url[0], "open") == (3, 3)


def test_a_taught_filter_holds_spam_on_a_site_that_publishes_at_once(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    _teach_open(store_and_url, clock)
    with app_client(store_and_url, clock) as client:  # `open` now publishes at once
        spam = post(
            client, site="open", text="cheap watches!!! http://deals.example.biz/sale", expect=202
        )
        ham = post(client, site="open", text="The sauce in this recipe was lovely, thanks.")
        assert (spam["comment"]["status"], ham["comment"]["status"]) == ("pending", "approved")
        held = open_queue(client)
        assert [c["id"] for c in held] == [spam["comment"]["id"]]
        reason = held[0]["reason"]
        assert reason.startswith("score ") and "watches" in reason
        # Shown to nobody else: the public read has the legitimate one only.
        shown = [c["id"] for c in read(client, site="open")["comments"]]
        assert spam["comment"]["id"] not in shown and ham["comment"]["id"] in shown


def test_a_high_enough_score_goes_straight_to_spam(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    _teach_open(store_and_url, clock)
    with app_client(store_and_url, clock, sites(open={"filter_spam_at": 0.9})) as client:
        spam = post(
            client, site="open", text="cheap watches!!! http://deals.example.biz/sale", expect=202
        )
        assert spam["comment"]["status"] == "pending"  # the sender sees it held, no more
        found = [c for c in open_queue(client, "spam") if c["id"] == spam["comment"]["id"]]
        assert len(found) == 1 and found[0]["reason"].startswith("score ")


def test_a_published_comment_has_no_reason(mod: TestClient) -> None:
    cid = post(mod, site="open")["comment"]["id"]
    assert [(c["id"], c["reason"]) for c in open_queue(mod, "approved")] == [(cid, "")]


def test_the_verdict_is_the_same_whatever_the_proof_costs(
    store_and_url: tuple[Store, Any], clock: Clock
) -> None:
    """The filter judges the words alone: the same comments get the same statuses and the same
    scores with no proof, an easy one and one at the site default (what bench/spam_eval.py's
    `--proof-cost` relies on)."""
    _teach_open(store_and_url, clock)
    texts = ["cheap watches!!! http://deals.example.biz/sale", "The sauce was lovely, thanks."]
    default = SiteConfig()
    verdicts = []
    for proof in (
        {"proof": "off"},
        {"proof": "required"},  # the tests' easy difficulty
        {"proof": "required", "proof_cost": default.proof_cost, "proof_max": default.proof_max},
    ):
        with app_client(store_and_url, clock, sites(open=proof)) as client:
            posted = [post(client, site="open", text=t, expect=None) for t in texts]
            reasons = {c["id"]: c["reason"] for c in open_queue(client)}
            verdicts.append(
                [(p["comment"]["status"], reasons.get(p["comment"]["id"])) for p in posted]
            )
    assert verdicts[0][0][0] == "pending" and verdicts[0][0][1].startswith("score ")
    assert verdicts[0][1] == ("approved", None)
    assert verdicts[0] == verdicts[1] == verdicts[2]
