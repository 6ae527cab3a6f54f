"""Comments from the open web (Webmentions, Mastodon and Bluesky replies: backend/inbound/)
meet the site's learning spam filter as any comment does: held with the reason, or kept
published when the filter has no quarrel with them. On every store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backend.domain.models import Comment, Origin, OriginKind, Status
from backend.domain.tokens import Signer
from backend.inbound.keep import Incoming, Keeper
from backend.spam.guard import SpamGuard
from backend.store.base import Store
from tests.moderation_support import settings_for, sites

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
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _comment(text: str) -> Comment:
    return Comment(
        site="open", uri="/p/", id="01JGZZZZZZZZZZZZZZZZZZZZZZ", parent=None, author="A",
        email="", website=None, text=text, html="", status=Status.PENDING, created=WHEN,
    )  # fmt: skip


def incoming(n: int, text: str, kind: OriginKind) -> Incoming:
    url = f"https://elsewhere.example/{kind.value}/{n}"
    return Incoming(
        key=f"inbound-key-{kind.value}-{n:04d}", origin=Origin(kind, url), author="Someone",
        website=None, html=f"<p>{text}</p>", text=text, created=WHEN,
    )  # fmt: skip


@pytest.mark.parametrize("kind", list(OriginKind))
def test_the_filter_judges_what_comes_in_from_the_open_web(
    store_and_url: tuple[Store, Any], kind: OriginKind
) -> None:
    store, url = store_and_url
    settings = settings_for(url, sites())  # `open`: moderation none
    SpamGuard(settings, store).learn_many(
        "open", [(_comment(t), True) for t in SPAM] + [(_comment(t), False) for t in HAM]
    )
    keeper = Keeper(settings, store, Signer(settings.secret_keys))
    now = WHEN.timestamp() + 60
    spam = keeper.keep("open", "/p/", incoming(1, "cheap watches!!! deals.example.biz", kind), now)
    ham = keeper.keep("open", "/p/", incoming(2, "Your sauce recipe was lovely.", kind), now)
    assert spam is not None and ham is not None
    assert (spam.status, ham.status) == (Status.PENDING, Status.APPROVED)
    stored = store.get_comment("open", "/p/", spam.id)
    assert stored is not None and stored.reason.startswith("score ")
    assert "watches" in stored.reason and stored.origin is not None
