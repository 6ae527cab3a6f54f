"""What the scheduled counter repair costs, in DynamoDB requests and capacity units.

    .venv/bin/python bench/repair_cost.py [--threads 20] [--comments 50]

AWS's DynamoDB Local (in memory on 127.0.0.1, scripts/dynamodb_local.py); every request asks
for `ReturnConsumedCapacity: INDEXES` and the units DynamoDB Local reports are summed per
operation (table and each index apart). Measured:

- one scheduled run (`repair_marked`, what the worker function does every 5 minutes per site)
  on a site with no marker left, next to the Scan `parley repair --scan` makes (what finding
  markers cost before the marks index);
- the same run when a few threads hold stale markers (cut-short posts), which it repairs;
- what the marks index adds to each marked write: a post, a like, an un-like, a moderation
  status move (the index's share of the write units).

Seeds `--threads` threads of `--comments` approved comments each (text of a few hundred
characters, as posted), through the store.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.domain.ids import new_ulid
from backend.domain.models import Comment, NewComment, Status
from backend.settings import StoreURL
from backend.store.dynamo import DynamoStore
from backend.store.dynamo import items as it
from backend.store.dynamo.counters import STALE_MS, now_ms
from scripts.dynamodb_local import DynamoDBLocal

SITE = "blog"
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "readers",
    "argue",
    "about",
    "tabs",
]


class Units:
    """Requests and the capacity DynamoDB Local reports, per operation and per table/index."""

    def __init__(self, client: Any) -> None:
        self.requests: dict[str, int] = defaultdict(int)
        self.units: dict[str, float] = defaultdict(float)
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._ask)
        events.register("after-call.dynamodb.*", self._after)

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "INDEXES"

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests[model.name] += 1
        consumed = parsed.get("ConsumedCapacity") or []
        for c in [consumed] if isinstance(consumed, dict) else consumed:
            self.units["table"] += float(c.get("Table", {}).get("CapacityUnits", 0))
            for name, index in (c.get("GlobalSecondaryIndexes") or {}).items():
                self.units[name] += float(index.get("CapacityUnits", 0))

    def take(self) -> dict[str, Any]:
        out = {"requests": dict(self.requests), "units": dict(self.units)}
        self.requests.clear()
        self.units.clear()
        return out


def comment(uri: str, n: int, at: float) -> Comment:
    text = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(60))
    return Comment(
        site=SITE, uri=uri, id=new_ulid(at), parent=None, author=f"Reader {n}",
        email=f"r{n}@example.com", website=None, text=text, html=f"<p>{text}</p>",
        status=Status.APPROVED, created=datetime.fromtimestamp(at, UTC),
    )  # fmt: skip


def post(store: DynamoStore, uri: str, n: int) -> Comment:
    at = time.time()
    c = comment(uri, n, at)
    return store.create_comment(NewComment(c, "T", f"k-{uri}-{n}", int(at) + 86400))


def cut_short_post(store: DynamoStore, uri: str, n: int) -> None:
    """A post whose writer died after its transaction: the comment stays marked."""
    events = store.client.meta.events

    def die(model: Any, **_: Any) -> None:
        if model.name == "UpdateItem":
            raise RuntimeError("the function timed out")

    events.register("before-call.dynamodb.UpdateItem", die)
    try:
        post(store, uri, n)
    except RuntimeError:
        pass
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", die)


def row(label: str, m: dict[str, Any]) -> str:
    reqs = ", ".join(f"{k} {v}" for k, v in sorted(m["requests"].items()))
    units = ", ".join(f"{k} {v:g}" for k, v in sorted(m["units"].items())) or "0"
    return f"| {label} | {reqs} | {units} |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--comments", type=int, default=50)
    args = ap.parse_args()
    with ExitStack() as stack:
        local = stack.enter_context(DynamoDBLocal())
        url = StoreURL.parse(f"dynamodb://repair-bench?region=us-east-1&endpoint={local.endpoint}")
        store = DynamoStore.from_url(url)
        store.init_table()
        uris = [f"/post/{t}/" for t in range(args.threads)]
        for uri in uris:
            for n in range(args.comments):
                post(store, uri, n)
        units = Units(store.client)
        rows = []
        later = now_ms() + STALE_MS + 1000

        store.repair_marked(SITE, limit=25, now=later)
        rows.append(row("scheduled run, no marker (1 site)", units.take()))
        store.repair_site(SITE, scan=True)
        rows.append(row("`parley repair --scan` (the old way), no marker", units.take()))

        for uri in uris[:3]:
            cut_short_post(store, uri, 999)
        units.take()
        done = store.repair_marked(SITE, limit=25, now=now_ms() + STALE_MS + 1000)
        assert len(done.repaired) == 3, done
        rows.append(row("scheduled run, 3 threads with a stale marker", units.take()))

        c = post(store, "/post/writes/", 1)
        rows.append(row("a post (comment marked, then unmarked)", units.take()))
        store.add_like(SITE, c.uri, c.id, "voter")
        rows.append(row("a like", units.take()))
        store.remove_like(SITE, c.uri, c.id, "voter")
        rows.append(row("an un-like", units.take()))
        store.set_status(SITE, c.uri, c.id, Status.SPAM)
        rows.append(row("a status move (approved to spam)", units.take()))
        store.close()

    total = args.threads * args.comments
    print(f"DynamoDB Local, {args.threads} threads x {args.comments} comments ({total} items)")
    print("| run | requests | capacity units (table; per index) |")
    print("|---|---|---|")
    print("\n".join(rows))
    print(f"marks index: {it.MARKS_INDEX}, {it.MARK_SHARDS} shards per site")


if __name__ == "__main__":
    main()
