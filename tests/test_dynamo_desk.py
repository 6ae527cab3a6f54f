"""What the owner's desk costs on DynamoDB Local, in requests and read units: a pinned comment
on a later page is one GetItem more on the first page (0.5 read unit: an eventually consistent
read of an item up to 4 KB); a pin on the page itself costs nothing; a post asks for its two
block keys (2 GetItems, 1 read unit); a recent box of 5 comments is 3 read units."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.store.dynamo import DynamoStore
from tests.conftest import ORIGIN, Clock, make_settings
from tests.stores import dynamodb_local_store
from tests.test_dynamo_requests import SITE, Requests, seed


class Units:
    """Read units DynamoDB reports for each call (ReturnConsumedCapacity=TOTAL on reads)."""

    READS = ("GetItem", "Query", "BatchGetItem", "Scan")

    def __init__(self, store: DynamoStore) -> None:
        self.read = 0.0
        events = store.client.meta.events
        for op in self.READS:
            events.register(f"provide-client-params.dynamodb.{op}", self._ask)
            events.register(f"after-call.dynamodb.{op}", self._count)

    def _ask(self, params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def _count(self, parsed: dict[str, Any], **_: Any) -> None:
        used = parsed.get("ConsumedCapacity")
        for entry in used if isinstance(used, list) else [used] if used else []:
            self.read += float(entry.get("CapacityUnits", 0))

    def take(self) -> float:
        read, self.read = self.read, 0.0
        return read


@pytest.fixture
def dynamo(tmp_path: Path) -> Iterator[DynamoStore]:
    with dynamodb_local_store(tmp_path) as (store, _):
        assert isinstance(store, DynamoStore)
        yield store


@pytest.fixture
def api(dynamo: DynamoStore, clock: Clock) -> Iterator[TestClient]:
    app = create_app(make_settings("dynamodb://parley?region=us-east-1"), dynamo, clock=clock)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client


def test_a_pin_on_a_later_page_costs_one_getitem_of_half_a_read_unit(
    api: TestClient, dynamo: DynamoStore, clock: Clock
) -> None:
    ids = seed(dynamo, "/p/", 30)
    requests, units = Requests(dynamo), Units(dynamo)
    query = {"site": SITE, "uri": "/p/", "limit": 10}
    assert api.get("/api/v1/comments", params=query).json()["pinned"] is None
    assert requests.take() == ["Query"]
    plain = units.take()
    assert plain > 0  # DynamoDB Local reports it

    dynamo.set_pinned(SITE, "/p/", ids[24], 25, clock_now(clock))
    requests.take(), units.take()
    first = api.get("/api/v1/comments", params=query).json()
    assert first["pinned"]["id"] == ids[24] and first["pinned"]["number"] == 25
    # The thread's stamp first (the page kept from the read above went stale: 0.5), then the
    # page, then the pinned comment.
    assert requests.take() == ["GetItem", "Query", "GetItem"]
    assert units.take() - plain == 0.5 + 0.5

    dynamo.set_pinned(SITE, "/p/", ids[3], 4, clock_now(clock))  # on the first page itself
    requests.take(), units.take()
    assert api.get("/api/v1/comments", params=query).json()["pinned"]["number"] == 4
    # The stamp (the first read's page is still kept, stale), then the page alone.
    assert requests.take() == ["GetItem", "Query"] and units.take() == plain + 0.5


def test_a_recent_box_of_5_costs_3_read_units(api: TestClient, dynamo: DynamoStore) -> None:
    seed(dynamo, "/p/", 12)
    units = Units(dynamo)
    got = api.get("/api/v1/recent", params={"site": SITE, "limit": 5}).json()["comments"]
    assert len(got) == 5
    # The Query of 5 keys on gsi1 (0.5: eventually consistent, under 4 KB) and the BatchGetItem
    # of 5 comments' public parts (0.5 each): bench/page_view.py's "recent" line.
    assert units.take() == 3.0


def clock_now(clock: Clock) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock(), UTC)
