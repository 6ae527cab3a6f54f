"""Every key the stores build fits at the largest values the API accepts: a 64-character site
name and a page path of `URI_BYTES` (four bytes a character where it can be).

DynamoDB refuses a partition key over 2,048 bytes and a sort key over 1,024 (ValidationException;
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html, "Partition
key value" / "Sort key value"); so do its indexes' keys. Each key type is written and read back
on DynamoDB Local; then the whole life of a comment (post with notify, its confirmation, a
reply and its mail, the owner's mail and webhook, a like, a one-click link, an erase) runs on
both stores at those sizes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.domain import search
from backend.domain.ids import new_ulid
from backend.domain.limits import PARTITION_KEY_BYTES, SORT_KEY_BYTES, URI_BYTES, utf8_bytes
from backend.domain.models import Status
from backend.domain.moderation import token_hash
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from backend.store.dynamo import outbox as dynamo_outbox
from backend.store.dynamo.outbox import event_item
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.moderation_support import TOKEN, auth
from tests.notify_support import (
    Mailbox,
    drain,
    link_path,
    mail_client,
    smtp_server,
    text_of,
    webhook_server,
)
from tests.stores import dynamodb_local_store

SITE = "s" * 64
# The longest uri: "/" then four-byte characters up to URI_BYTES (one ASCII byte to spare).
URI = "/" + "\U0001f600" * ((URI_BYTES - 1) // 4) + "x" * ((URI_BYTES - 1) % 4)
EMAIL = "a" * 64 + "@" + ("b" * 62 + ".") * 2 + "c" * 63  # 254 characters
VOTER = "v" * 64
KEY = "k" * 64


def test_the_longest_uri_is_the_limit() -> None:
    assert utf8_bytes(URI) == URI_BYTES and len(EMAIL) == 254


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


def _keys_at_their_largest() -> dict[str, it.Item]:
    """One item per key type, built by the store's own key functions with the largest values
    the API accepts, index keys included."""
    cid = new_ulid(1_767_225_600.0)
    marks = it.mark_attributes(SITE, URI, 2**53)
    event = event_item(
        dynamo_outbox.OutboxEvent(
            id=f"digest-{cid}-{'h' * 64}", kind="digest.item", site=SITE, uri=URI,
            comment_id=cid, due=4_102_444_800.0, data={"to": EMAIL},
        )
    )  # fmt: skip
    return {
        "thread_key": {**it.thread_key(SITE, URI), **marks},
        "comment_key": {
            **it.comment_key(SITE, URI, cid),
            "gsi1pk": it.s(it.status_pk(SITE, Status.APPROVED)),
            "gsi1sk": it.s(cid),
        },
        "private_key": it.private_key(SITE, URI, cid),
        "like_key": it.like_key(SITE, URI, cid, VOTER),
        "idempotency_key": it.idempotency_key(SITE, KEY),
        "rate_key": it.rate_key(SITE, "mail:" + VOTER + ":like", 2**40),
        "used_key": it.used_key(SITE, VOTER),
        "model_key": it.model_key(SITE, "words"),  # the spam filter's model (backend/spam/)
        # A block's key is "network:" + a voter's hash or "email:" + a keyed hash.
        "block_key": it.block_key(SITE, "network:" + VOTER),
        "author_key": it.author_key(SITE, EMAIL),
        # The owner's search: an index key is a hash whatever it hashes (a word, an email).
        "posting_key": {
            **it.posting_key(SITE, search.index_key(search.WORD, "w" * 10_000), cid, URI),
            "uri": it.s(URI),
        },
        "event_key": event,
        "_subscription_key": dynamo_outbox._subscription_key(SITE, URI, cid),
        "_opt_out_key": dynamo_outbox._opt_out_key(SITE, VOTER),
        "_sent_key": dynamo_outbox._sent_key(f"{cid}:owner:{EMAIL}"),
    }


def _key_functions() -> set[str]:
    """Every function of the item modules that builds a table key."""
    names = set()
    for module in (it, dynamo_outbox):
        for name, value in inspect.getmembers(module, inspect.isfunction):
            if value.__module__ == module.__name__ and re.fullmatch(r"_?[a-z_]+_key", name):
                names.add(name)
    return names


def test_every_key_type_is_proved() -> None:
    assert _key_functions() == set(_keys_at_their_largest())


def test_every_key_fits_at_the_largest_sizes_on_dynamodb_local(dynamo: DynamoStore) -> None:
    for name, item in _keys_at_their_largest().items():
        for attr in ("pk", "gsi1pk", "gsi2pk"):
            if attr in item:
                assert utf8_bytes(item[attr]["S"]) <= PARTITION_KEY_BYTES, (name, attr)
        for attr in ("sk", "gsi1sk"):
            if attr in item:
                assert utf8_bytes(item[attr]["S"]) <= SORT_KEY_BYTES, (name, attr)
        dynamo.client.put_item(TableName=dynamo.table, Item=item)
        got = dynamo.client.get_item(
            TableName=dynamo.table, Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True
        )
        assert got.get("Item") == item, name


# -- the whole life of a comment at the limits, on every store -----------------------------------


def _sites(hook_url: str) -> dict[str, Any]:
    return {
        SITE: {
            "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 1000,
            "admin_token_hashes": [token_hash(TOKEN)], "notify": "all",
            "notify_emails": [EMAIL], "webhook": hook_url,
        }
    }  # fmt: skip


@pytest.fixture(scope="module")
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def test_a_comment_lives_its_whole_life_at_the_largest_sizes(
    store_and_url: Any, clock: Clock, smtp: Mailbox
) -> None:
    smtp.messages.clear()
    smtp.recipients.clear()
    alice, bob = "alice@example.com", "bob@example.com"
    with (
        webhook_server() as hook,
        mail_client(store_and_url, clock, _sites(hook.url), smtp.url) as c,
    ):
        first = post(c, site=SITE, uri=URI, email=alice, notify=True, title="T" * 200)
        cid = first["comment"]["id"]
        drain(c)
        [confirm] = [m for m in smtp.to(alice) if "Confirm" in str(m["Subject"])]
        links = re.findall(r"https?://\S+", text_of(confirm))
        link = next(u for u in links if "/subscriptions/" in u)
        assert c.post(link_path(link), data={"action": "yes"}).status_code == 200

        post(c, site=SITE, uri=URI, email=bob, parent=cid, text="An answer.")
        assert drain(c) >= 1
        assert [m for m in smtp.to(alice) if "replied" in str(m["Subject"])]
        assert len(smtp.to(EMAIL)) == 2 and len(hook.received) == 2
        liked = c.post(f"/api/v1/comments/{cid}/likes", json={"site": SITE, "uri": URI})
        assert liked.status_code == 200, liked.text

        erased = c.post(
            "/api/v1/admin/erase", json={"site": SITE, "email": alice}, headers=auth(TOKEN)
        )
        assert erased.status_code == 200, erased.text
        assert erased.json() == {"erased": 1}
        store = store_and_url[0]
        assert store.subscriber(SITE, URI, cid) is None
        assert store.due_events(clock() + 10**6, 50) == []
