"""Hot items on AWS's DynamoDB Local: parallel writers on one thread, one comment, one parent.

    .venv/bin/python bench/hot_items.py [--parallel 50] [--replies 30] [--rounds 3]

Starts DynamoDB Local (in memory, a free port on 127.0.0.1), serves the real app under uvicorn
on another free port, and fires, over real HTTP from `--parallel` threads at once:

  posts    `--parallel` posts to one thread
  likes    `--parallel` likes of one comment by as many distinct readers (X-Forwarded-For from
           distinct networks, one trusted proxy hop)
  replies  `--replies` replies to one parent

For each: the HTTP statuses, the transactions DynamoDB cancelled for a conflict
(TransactionConflict: lost a race on a hot item), and whether the counts came out exact. Every
request is bounded (30 s timeout); the servers stop when the script ends.

DynamoDB Local is not DynamoDB: it runs on one machine and does not reproduce AWS's
per-partition throughput limits, so these figures show conflicts and exactness, not capacity
(docs/dynamodb.md has the load model).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.app import create_app  # noqa: E402
from backend.settings import Settings, StoreURL  # noqa: E402
from backend.store.dynamo import DynamoStore  # noqa: E402
from scripts.dynamodb_local import DynamoDBLocal, free_port  # noqa: E402

ORIGIN = "http://blog.test"
# Writes without proof of work: bench/proof_solve.py measures that.
SITES = {
    "blog": {
        "origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 100000, "proof": "off"
    }
}  # fmt: skip


def _keys(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The item keys one write request touches."""
    if operation == "TransactWriteItems":
        entries = [next(iter(entry.values())) for entry in params["TransactItems"]]
    elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
        entries = [params]
    else:
        return []
    keys = []
    for entry in entries:
        key = entry.get("Key") or entry.get("Item") or {}
        keys.append((key["pk"]["S"], key["sk"]["S"]))
    return keys


class Conflicts:
    """What AWS would cancel: writes that overlap in time with a transaction on the same item.

    DynamoDB Local serializes requests, so it never answers TransactionConflict; DynamoDB
    cancels a transaction when another transaction on one of its items is in flight, and
    refuses a single-item write to an item an in-flight transaction holds. This counts the
    writes that overlapped such a transaction here (client-side, from send to answer), and
    any error DynamoDB Local did answer.
    """

    def __init__(self, store: DynamoStore) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.in_transaction: Counter[tuple[str, str]] = Counter()
        events = store.client.meta.events
        events.register("before-parameter-build.dynamodb", self._sent)
        events.register("after-call.dynamodb", self._answered)
        events.register("after-call-error.dynamodb", self._failed)

    def _sent(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        keys = _keys(model.name, params)
        transaction = model.name == "TransactWriteItems"
        with self.lock:
            self.counts[model.name] += 1
            if transaction:
                self.counts["transactions"] += 1
            if any(self.in_transaction[k] for k in keys):
                self.counts["overlapping a transaction on the same item"] += 1
            if transaction:
                self.in_transaction.update(keys)
        context["bench_keys"] = keys if transaction else []

    def _done(self, context: dict[str, Any]) -> None:
        with self.lock:
            self.in_transaction.subtract(context.get("bench_keys", []))

    def _answered(self, parsed: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        self._done(context)
        error = parsed.get("Error", {}).get("Code")
        if error:
            reasons = [r.get("Code") for r in parsed.get("CancellationReasons", [])]
            with self.lock:
                self.counts[f"{model.name}:{error}:{','.join(map(str, reasons))}"] += 1

    def _failed(self, context: dict[str, Any], **_: Any) -> None:
        self._done(context)

    def take(self) -> dict[str, int]:
        with self.lock:
            out, self.counts = dict(self.counts), Counter()
        return out


@contextmanager
def serve(store: DynamoStore, settings: Settings) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, store), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def body(uri: str, i: int, **extra: Any) -> dict[str, Any]:
    return {
        "site": "blog", "uri": uri, "author": f"reader {i}", "email": f"r{i}@example.com",
        "text": f"comment {i}", "key": f"bench-{uuid.uuid4().hex[:16]}", "hp": "", **extra,
    }  # fmt: skip


def reader(i: int) -> dict[str, str]:
    # A distinct network per reader (voters are hashed by network prefix).
    return {"Origin": ORIGIN, "X-Forwarded-For": f"10.{i // 250}.{i % 250}.7"}


def seed(http: httpx.Client, uri: str) -> str:
    """One comment to like or reply to (retried: a cold JVM may time a request out)."""
    for _ in range(5):
        answer = http.post("/api/v1/comments", json=body(uri, 0))
        if answer.status_code == 201:
            return str(answer.json()["comment"]["id"])
    raise RuntimeError(f"could not post: {answer.text}")


def run(http: httpx.Client, parallel: int, call: Any) -> Counter[int]:
    with ThreadPoolExecutor(parallel) as pool:
        return Counter(pool.map(lambda i: call(i).status_code, range(parallel)))


def one_round(base: str, conflicts: Conflicts, parallel: int, replies: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tag = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=base, timeout=30, headers={"Origin": ORIGIN}) as http:
        uri = f"/busy-{tag}/"
        statuses = run(http, parallel, lambda i: http.post("/api/v1/comments", json=body(uri, i)))
        count = http.get("/api/v1/counts", params={"site": "blog", "uri": uri}).json()
        out["posts"] = {
            "statuses": dict(statuses),
            "dynamodb": conflicts.take(),
            "exact": count["counts"][uri] == statuses[201],
        }

        uri = f"/liked-{tag}/"
        target = seed(http, uri)
        conflicts.take()
        thread = {"site": "blog", "uri": uri}
        statuses = run(
            http,
            parallel,
            lambda i: http.post(f"/api/v1/comments/{target}/likes", json=thread, headers=reader(i)),
        )
        page = http.get("/api/v1/comments", params=thread).json()
        likes = page["comments"][0]["likes"]
        out["likes"] = {
            "statuses": dict(statuses),
            "dynamodb": conflicts.take(),
            "exact": likes == statuses[200],
        }

        uri = f"/parent-{tag}/"
        parent = seed(http, uri)
        conflicts.take()
        statuses = run(
            http,
            replies,
            lambda i: http.post("/api/v1/comments", json=body(uri, i + 1, parent=parent)),
        )
        page = http.get("/api/v1/comments", params={**thread, "uri": uri}).json()
        first = page["comments"][0]
        out["replies"] = {
            "statuses": dict(statuses),
            "dynamodb": conflicts.take(),
            "exact": first["replies"] == statuses[201]
            and page["thread"]["count"] == 1 + statuses[201],
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parallel", type=int, default=50)
    parser.add_argument("--replies", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first, not reported")
    args = parser.parse_args()
    with DynamoDBLocal() as local:
        url = StoreURL("dynamodb", table="bench", region="us-east-1", endpoint=local.endpoint)
        store = DynamoStore.from_url(url)
        store.setup()
        settings = Settings.from_env(
            {
                "PARLEY_STORE": f"dynamodb://bench?region=us-east-1&endpoint={local.endpoint}",
                "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789",
                "PARLEY_SITES": json.dumps(SITES),
                "PARLEY_TRUSTED_PROXIES": "1",
            }
        )
        conflicts = Conflicts(store)
        rounds = []
        with serve(store, settings) as base:
            for i in range(args.warmup + args.rounds):  # the JVM compiles as it goes: warm it
                result = one_round(base, conflicts, args.parallel, args.replies)
                if i >= args.warmup:
                    rounds.append(result)
        store.close()
    print(json.dumps({"parallel": args.parallel, "replies": args.replies, "rounds": rounds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
