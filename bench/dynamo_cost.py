"""DynamoDB request units per operation, and what a million page views cost on AWS.

    .venv/bin/python bench/dynamo_cost.py

Runs Parley's app (create_app + DynamoStore) against moto in process, through Starlette's
TestClient, and records every DynamoDB call with botocore events: the operation, the request,
the answer and the ConsumedCapacity moto reports (ReturnConsumedCapacity=TOTAL is added to
every call). It also computes the units from item sizes by DynamoDB's published rules, since
moto's figures are not DynamoDB's:

- item size: attribute names + values (strings as UTF-8, numbers ~1 byte per 2 digits + 1,
  booleans and nulls 1 byte, maps/lists 3 bytes + their contents);
- reads: 4 KB units; eventually consistent reads cost half; a Query sums the sizes of the
  items it read, then rounds; GetItem and each BatchGetItem key round per item (a missing
  item still costs the minimum);
- writes: 1 KB units of the larger of the old and new item; inside TransactWriteItems every
  action costs twice (ConditionCheck counted like a write, an assumption); a write to an item
  carrying gsi1pk also writes the GSI (projection ALL) once more at the standard rate.

The operations: a page view (first page of a 100-comment thread, limit 50 as the widget asks,
and limit 100), a count batch of 100 uris, a post (the 101st comment of a thread), a like.
Lambda duration per operation = the app's own time here (TestClient, moto's time excluded)
plus an assumed DynamoDB latency per request (stated below). Writes results/dynamo_cost.json.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import statistics
import time
from decimal import Decimal
from typing import Any

import lib

TABLE = "parley-bench"
# Assumed round trips from Lambda to DynamoDB in the same region (not measured here).
LATENCY_MS = {"read": 5.0, "write": 8.0}

# AWS list prices, us-east-1, as published on the AWS pricing pages (DynamoDB on-demand after
# the 2024-11-01 price cut); from the engineer's knowledge of those pages in 2025, not fetched
# in this session (no network beyond package registries): check before relying on them.
PRICES: dict[str, Any] = {
    "as_of": "2025 list prices (DynamoDB on-demand since 2024-11-01), us-east-1, no free tier",
    "dynamodb_per_million_rru": 0.125,
    "dynamodb_per_million_wru": 0.625,
    "lambda_arm64_per_gb_s": 0.0000133334,
    "lambda_per_million_requests": 0.20,
    "http_api_per_million_requests": 1.00,
    "function_url_per_million_requests": 0.0,
    "cloudfront_per_million_https_requests": 1.00,  # $0.0100 per 10,000, North America
    "data_transfer_out_per_gb": 0.09,  # Lambda / API Gateway to the internet, first 10 TB
    "cloudfront_transfer_out_per_gb": 0.085,  # North America, first 10 TB
}
LAMBDA_MEMORY_GB = 1.0  # serverless.yml: memorySize 1024
CDN_HIT_RATIO = 0.9  # assumed share of reads CloudFront answers within s-maxage=10


def attr_size(value: dict[str, Any]) -> int:
    (kind, v), *_ = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = len(str(v).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attr_size(x) for k, x in v.items())
    if kind == "L":
        return 3 + sum(1 + attr_size(x) for x in v)
    if kind in ("SS", "NS", "BS"):
        return sum(attr_size({kind[0]: x}) for x in v)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(k.encode()) + attr_size(v) for k, v in item.items())


class Recorder:
    """Every DynamoDB call of the app's client: request, answer, time spent in it."""

    def __init__(self, client: Any, probe: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        self.probe = probe
        self.moto_s = 0.0
        self._t0 = 0.0
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"
        self.calls.append({"op": model.name, "params": json.loads(json.dumps(params))})
        self._t0 = time.perf_counter()

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        call = self.calls[-1]
        call["moto_consumed"] = parsed.get("ConsumedCapacity")
        call["response"] = json.loads(json.dumps(parsed, default=str))
        call["written"] = self._written_sizes(call)
        # moto's time and the read-back above are not the app's: both leave its figure.
        self.moto_s += time.perf_counter() - self._t0

    def _written_sizes(self, call: dict[str, Any]) -> list[dict[str, Any]]:
        """Sizes of the items a write left behind (read back with a separate client)."""
        actions: list[tuple[str, dict[str, Any]]] = []
        p = call["params"]
        if call["op"] == "TransactWriteItems":
            for entry in p["TransactItems"]:
                ((kind, body),) = entry.items()
                actions.append((kind, body))
        elif call["op"] in ("PutItem", "UpdateItem", "DeleteItem"):
            actions.append((call["op"].replace("Item", ""), p))
        sizes = []
        for kind, body in actions:
            key = body.get("Key") or {"pk": body["Item"]["pk"], "sk": body["Item"]["sk"]}
            got = self.probe.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")
            sizes.append(
                {
                    "kind": kind,
                    "size": item_size(got) if got else item_size(body.get("Item", key)),
                    "gsi": bool(got and "gsi1pk" in got),
                }
            )
        return sizes

    def take(self) -> tuple[list[dict[str, Any]], float]:
        calls, self.calls = self.calls, []
        moto, self.moto_s = self.moto_s, 0.0
        return calls, moto


def units(call: dict[str, Any]) -> dict[str, float]:
    """Read and write request units of one call by DynamoDB's rules."""
    op, p, r = call["op"], call["params"], call["response"]
    half = 0.5
    if op == "Query":
        factor = 1.0 if p.get("ConsistentRead") else half
        total = sum(item_size(i) for i in r.get("Items", []))
        return {"rru": max(1, math.ceil(total / 4096)) * factor, "wru": 0.0}
    if op == "GetItem":
        factor = 1.0 if p.get("ConsistentRead") else half
        size = item_size(r["Item"]) if "Item" in r else 1
        return {"rru": max(1, math.ceil(size / 4096)) * factor, "wru": 0.0}
    if op == "BatchGetItem":
        (req,) = p["RequestItems"].values()
        factor = 1.0 if req.get("ConsistentRead") else half
        # Each key rounds up on its own; a projection does not lower the read size, so the
        # full thread item counts (thread items are well under 4 KB: 1 unit each).
        return {"rru": len(req["Keys"]) * factor, "wru": 0.0}
    wru = 0.0
    mult = 2.0 if op == "TransactWriteItems" else 1.0
    for w in call["written"]:
        wru += mult * max(1, math.ceil(w["size"] / 1024))
        if w["gsi"]:
            wru += max(1, math.ceil(w["size"] / 1024))
    return {"rru": 0.0, "wru": wru}


def summarize(calls: list[dict[str, Any]]) -> dict[str, Any]:
    rru = sum(units(c)["rru"] for c in calls)
    wru = sum(units(c)["wru"] for c in calls)
    reads = sum(1 for c in calls if c["op"] in ("Query", "GetItem", "BatchGetItem"))
    return {
        "requests": [c["op"] for c in calls],
        "computed_rru": rru,
        "computed_wru": wru,
        "moto_consumed": [c["moto_consumed"] for c in calls],
        "per_request": [{"op": c["op"], **units(c), "written": c["written"]} for c in calls],
        "assumed_dynamodb_ms": reads * LATENCY_MS["read"]
        + (len(calls) - reads) * LATENCY_MS["write"],
    }


def measure(
    client: Any, rec: Recorder, method: str, url: str, repeat: int = 1, **kw: Any
) -> dict[str, Any]:
    """Run one request `repeat` times (reads only); units from the last, the median app time."""
    app_ms = []
    for _ in range(repeat):
        rec.take()
        t0 = time.perf_counter()
        resp = client.request(method, url, **kw)
        total = time.perf_counter() - t0
        calls, moto_s = rec.take()
        assert resp.status_code < 300, (resp.status_code, resp.text[:300])
        app_ms.append((total - moto_s) * 1000)
    out = summarize(calls)
    out["status"] = resp.status_code
    out["response_bytes"] = len(resp.content)
    out["response_gzip_bytes"] = len(gzip.compress(resp.content, 6))
    out["app_ms"] = statistics.median(app_ms)
    out["app_ms_samples"] = len(app_ms)
    out["items_read"] = sum(
        len(c["response"].get("Items", [])) for c in calls if c["op"] == "Query"
    )
    return out


def cost_model(ops: dict[str, dict[str, Any]]) -> dict[str, Any]:
    pr = PRICES

    def per_million(op: dict[str, Any], front: str, cdn: bool) -> dict[str, float]:
        origin = (1 - CDN_HIT_RATIO) if cdn else 1.0
        ms = math.ceil(op["app_ms"] + op["assumed_dynamodb_ms"])
        # CloudFront compresses (infra/cdn.yml: gzip on); API Gateway and Function URLs do not.
        gb = op["response_gzip_bytes" if cdn else "response_bytes"] / 1e9 * 1e6
        c = {
            "dynamodb": origin
            * (
                op["computed_rru"] * pr["dynamodb_per_million_rru"]
                + op["computed_wru"] * pr["dynamodb_per_million_wru"]
            ),
            "lambda": origin
            * (
                pr["lambda_per_million_requests"]
                + ms / 1000 * LAMBDA_MEMORY_GB * 1e6 * pr["lambda_arm64_per_gb_s"]
            ),
            "front": origin * pr[f"{front}_per_million_requests"],
            "transfer": gb
            * (pr["cloudfront_transfer_out_per_gb"] if cdn else pr["data_transfer_out_per_gb"]),
            "cloudfront": pr["cloudfront_per_million_https_requests"] if cdn else 0.0,
        }
        c["total"] = sum(c.values())
        return {k: round(v, 4) for k, v in c.items()}

    model: dict[str, Any] = {}
    for front in ("http_api", "function_url"):
        for cdn in (False, True):
            name = f"{front}{'+cloudfront' if cdn else ''}"
            view = per_million(ops["page_view_limit50"], front, cdn)
            post = per_million(ops["post"], front, False)  # writes always reach the function
            model[name] = {
                "per_million_page_views": view,
                "per_thousand_comments": {k: round(v / 1000, 6) for k, v in post.items()},
            }
    return model


def plain(o: object) -> object:
    return float(o) if isinstance(o, Decimal) else str(o)


def main() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    import boto3
    from moto import mock_aws
    from starlette.testclient import TestClient

    from backend.app import create_app
    from backend.settings import Settings
    from backend.store.dynamo import DynamoStore

    sites = {lib.SITE: {"origins": [lib.ORIGIN], "moderation": "none"}}
    sites[lib.SITE]["rate_limit_per_minute"] = 100000  # type: ignore[assignment]
    sites[lib.SITE]["proof"] = "off"  # bench/proof_solve.py measures the proof of work
    settings = Settings.from_env(
        {
            "PARLEY_STORE": f"dynamodb://{TABLE}?region=us-east-1",
            "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789abcdef",
            "PARLEY_SITES": json.dumps(sites),
            "PARLEY_PUBLIC_URL": "https://api.example.com",
        }
    )
    with mock_aws():
        store = DynamoStore.from_url(settings.store)
        store.setup()
        probe = boto3.client("dynamodb", region_name="us-east-1")
        rec = Recorder(store.client, probe)
        app = create_app(settings, store)
        ops: dict[str, dict[str, Any]] = {}
        with TestClient(app, headers={"Origin": lib.ORIGIN}) as client:

            def post(uri: str, i: int) -> dict[str, Any]:
                body = {
                    "site": lib.SITE, "uri": uri, "title": "Bench thread",
                    "author": f"Reader {i}", "email": f"reader{i}@example.com",
                    "text": lib.comment_text(i), "key": f"cost-{i:06d}-{len(uri)}", "hp": "",
                }  # fmt: skip
                return measure(client, rec, "POST", "/api/v1/comments", json=body)

            lib.log("seeding 100 comments + 99 one-comment threads in moto")
            for i in range(100):
                post(lib.THREAD_URI, i)
            for u in range(1, 100):
                post(f"/bench/count/{u}/", 1000 + u)
            ops["post"] = post(lib.THREAD_URI, 100)  # the 101st comment
            ops["post"]["note"] = "101st comment of a thread (the thread exists)"
            ops["post_first_of_thread"] = post("/bench/new-thread/", 5000)
            read = f"/api/v1/comments?site={lib.SITE}&uri={lib.THREAD_URI}"
            ops["page_view_limit50"] = measure(client, rec, "GET", read + "&limit=50", 21)
            ops["page_view_limit100"] = measure(client, rec, "GET", read + "&limit=100", 21)
            uris = [lib.THREAD_URI] + [f"/bench/count/{u}/" for u in range(1, 100)]
            query = "&".join(f"uri={u}" for u in uris)
            counts = f"/api/v1/counts?site={lib.SITE}&{query}"
            ops["count_batch_100"] = measure(client, rec, "GET", counts, 21)
            first = client.get(read + "&limit=1").json()["comments"][0]["id"]
            ops["like"] = measure(
                client, rec, "POST", f"/api/v1/comments/{first}/likes",
                json={"site": lib.SITE, "uri": lib.THREAD_URI},
            )  # fmt: skip
        comment_item = probe.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues={
                ":pk": {"S": f"T#{lib.SITE}#{lib.THREAD_URI}"},
                ":c": {"S": "C#"},
            },
            Limit=1,
        )["Items"]
    result = {
        "operations": ops,
        "comment_item_bytes": item_size(comment_item[0]) if comment_item else None,
        "moto_reports_consumed_capacity": any(
            m for op in ops.values() for m in op["moto_consumed"] if m
        ),
        "prices": PRICES,
        "assumptions": {
            "dynamodb_latency_ms": LATENCY_MS,
            "lambda_memory_gb": LAMBDA_MEMORY_GB,
            "cloudfront_hit_ratio": CDN_HIT_RATIO,
            "lambda_duration": "app time measured here (moto excluded) + assumed latency, "
            "rounded up to 1 ms",
        },
        "cost_usd": cost_model(ops),
    }
    lib.save("dynamo_cost", json.loads(json.dumps(result, default=plain)))
    for name, op in ops.items():
        lib.log(
            f"{name}: {op['requests']} RRU {op['computed_rru']} WRU {op['computed_wru']} "
            f"moto {op['moto_consumed']} app {op['app_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
