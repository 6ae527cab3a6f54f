"""How bench/cost.py measures one request: API Gateway payload-2.0 events through the Lambda
handler in this process, every DynamoDB call's consumed units and wait (a botocore hook), the
bytes the client receives, and Parley's CPU scaled to what Lambda's 1,024 MB gets. The prices,
the page-view model and the tables are cost.py's; bench/flood.py and bench/fragment_cost.py
measure with these too.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import corpus
import lib

sys.path.insert(0, str(lib.ROOT))
from backend.api.compress import LEVEL as GZIP_LEVEL

SITE = "blog"
ORIGIN = "https://blog.example.com"
URI = "/2026/11/a-post-with-comments/"
LAMBDA_CPU_SHARE = 1024 / 1769  # Lambda gives one full vCPU at 1,769 MB
DYNAMODB_LATENCY_MS = 4.0  # assumed round trip Lambda -> DynamoDB, same region
# Bytes on the wire are the body plus the status line and headers the handler returns
# (measured) plus what the front door adds (Date, x-amzn-RequestId, X-Amzn-Trace-Id,
# Connection): assumed 150 bytes. TLS and TCP framing are not counted.
FRONT_HEADER_BYTES = 150
BROWSER_ACCEPT = "gzip, deflate, br"  # what browsers send over HTTPS


@dataclass
class Call:
    operation: str
    units: float
    kind: str  # "read" or "write"
    wait_ms: float


class Recorder:
    """Every DynamoDB call of the store's client: its consumed units and its wall time."""

    def __init__(self, client: Any) -> None:
        self.calls: list[Call] = []
        self._started: dict[int, float] = {}
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._ask_for_capacity)
        events.register("before-call.dynamodb.*", self._before)
        events.register("after-call.dynamodb.*", self._after)

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _before(self, model: Any, context: Any, **_: Any) -> None:
        self._started[id(context)] = time.perf_counter()

    def _after(self, parsed: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        started = self._started.pop(id(context), time.perf_counter())
        consumed = parsed.get("ConsumedCapacity") or []
        if isinstance(consumed, dict):
            consumed = [consumed]
        units = sum(float(c.get("CapacityUnits", 0)) for c in consumed)
        kind = "read" if model.name in {"Query", "GetItem", "BatchGetItem"} else "write"
        wait = (time.perf_counter() - started) * 1000
        self.calls.append(Call(model.name, units, kind, wait))

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls


def start_dynamodb(stack: ExitStack) -> tuple[str, str]:
    from scripts.dynamodb_local import DynamoDBLocal

    local = stack.enter_context(DynamoDBLocal())
    return local.endpoint, "DynamoDB Local (in memory, 127.0.0.1)"


def event(
    method: str,
    path: str,
    query: dict[str, Any],
    gzip_ok: bool,
    body: Any = None,
    *,
    accept: str = BROWSER_ACCEPT,
    etag: str = "",
) -> Any:
    headers = {"origin": ORIGIN, "user-agent": "bench", "accept": "*/*"}
    if gzip_ok:
        headers["accept-encoding"] = accept
    if etag:
        headers["if-none-match"] = etag
    ev: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query, doseq=True),
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "bench",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "bench",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": "30/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1796040000000,
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        headers["content-type"] = "application/json"
        ev["body"] = json.dumps(body)
    return ev


class LambdaContext:
    function_name = "parley-bench-api"
    aws_request_id = "bench"


def client_bytes(answer: dict[str, Any]) -> int:
    raw = answer.get("body") or ""
    return len(base64.b64decode(raw)) if answer.get("isBase64Encoded") else len(raw.encode())


def header_bytes(answer: dict[str, Any]) -> int:
    """The status line and headers as HTTP/1.1 writes them, plus the front door's own."""
    headers = dict(answer.get("headers") or {})
    multi = answer.get("multiValueHeaders") or {}
    lines = [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"{k}: {v}" for k, values in multi.items() for v in values]
    lines += [f"set-cookie: {c}" for c in answer.get("cookies") or []]
    return (
        len("HTTP/1.1 200 OK\r\n\r\n") + sum(len(line) + 2 for line in lines) + FRONT_HEADER_BYTES
    )


def measure(
    handler: Any, recorder: Recorder, ev: Any, runs: int, before: Any = None
) -> dict[str, Any]:
    """Median handler time, Parley's CPU time, DynamoDB wait, units and bytes of one kind of
    request. CPU time (this process's, so DynamoDB Local's JVM is not in it) is what carries
    over to Lambda: wall time here is mostly waiting for a shared, busy machine. `before()`
    runs ahead of each request, untimed (e.g. forgetting the pages a sandbox keeps)."""
    totals, cpus, waits, units = [], [], [], []
    answer: dict[str, Any] = {}
    calls: list[Call] = []
    for i in range(runs + 3):
        if before is not None:
            before()
        recorder.take()
        t0, c0 = time.perf_counter(), time.process_time()
        answer = handler(ev, LambdaContext())
        cpu = (time.process_time() - c0) * 1000
        elapsed = (time.perf_counter() - t0) * 1000
        calls = recorder.take()
        if i < 3:
            continue  # warm-up: first use of each code path
        totals.append(elapsed)
        cpus.append(cpu)
        waits.append(sum(c.wait_ms for c in calls))
        units.append(sum(c.units for c in calls))
    assert answer["statusCode"] in (200, 201, 202, 204, 304), answer
    cpu_ms = statistics.median(cpus)
    compress_ms = 0.0
    if (answer.get("headers") or {}).get("content-encoding") == "gzip":
        # Repeated reads of one unchanged body hit the middleware's cache of compressed
        # bodies; count the compression every time (a sandbox serving many threads).
        body = gzip.decompress(base64.b64decode(answer["body"]))
        c0 = time.process_time()
        for _ in range(50):
            gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        compress_ms = (time.process_time() - c0) * 1000 / 50
        cpu_ms += compress_ms
    lambda_ms = cpu_ms / LAMBDA_CPU_SHARE + DYNAMODB_LATENCY_MS * len(calls)
    codings = {}
    if answer["statusCode"] == 200 and not (answer.get("headers") or {}).get("content-encoding"):
        codings = other_codings(base64.b64decode(answer["body"]) if answer.get("isBase64Encoded")
                                else answer["body"].encode())  # fmt: skip
    return {
        "codings": codings,
        "status": answer["statusCode"],
        "bytes": client_bytes(answer),
        "header_bytes": header_bytes(answer),
        "etag": (answer.get("headers") or {}).get("etag", ""),
        "coding": (answer.get("headers") or {}).get("content-encoding", ""),
        "gzip": (answer.get("headers") or {}).get("content-encoding") == "gzip",
        "requests": [c.operation for c in calls],
        "units": statistics.median(units) if units else 0.0,
        "unit_kind": calls[0].kind if calls else "read",
        "handler_wall_ms": statistics.median(totals),
        "dynamodb_wait_ms": statistics.median(waits),
        "parley_cpu_ms": cpu_ms,
        "gzip_compress_ms": compress_ms,
        "lambda_ms": lambda_ms,
    }


def other_codings(body: bytes) -> dict[str, int]:
    """What the same body would weigh in other codings (a lever of the cost model, not what
    Parley sends today): gzip 9, and brotli at qualities 5 and 11 (node's zlib, as the widget's
    build uses; no brotli library in the function)."""
    sizes = {"gzip6": len(gzip.compress(body, 6, mtime=0)),
             "gzip9": len(gzip.compress(body, 9, mtime=0))}  # fmt: skip
    node = shutil.which("node", path=f"{lib.ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}")
    if node is None:
        return sizes
    script = ("const z=require('zlib'),b=require('fs').readFileSync(0);for(const q of [5,11])"
              "console.log(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:q}})"
              ".length)")  # fmt: skip
    out = subprocess.run([node, "-e", script], input=body, capture_output=True, check=True)
    br5, br11 = (int(x) for x in out.stdout.split())
    return {**sizes, "br5": br5, "br11": br11}


def seed(handler: Any, recorder: Recorder) -> dict[str, Any]:
    comments = corpus.load()[:100]
    ids: list[str] = []
    posts: list[dict[str, Any]] = []
    for c in comments:
        parent = c["parent"]
        body = {
            "site": SITE,
            "uri": URI,
            "title": "A post with comments",
            "author": c["author"],
            "email": c["email"],
            "website": c["website"],
            "text": c["text"],
            "key": f"cost-{c['n']:06d}",
            "hp": "",
        }
        if isinstance(parent, int) and parent < len(ids):
            body["parent"] = ids[parent]
        recorder.take()
        c0 = time.process_time()
        answer = handler(event("POST", "/api/v1/comments", {}, False, body), LambdaContext())
        cpu = (time.process_time() - c0) * 1000
        calls = recorder.take()
        assert answer["statusCode"] == 201, answer
        ids.append(json.loads(answer["body"])["comment"]["id"])
        posts.append(
            {
                "wru": sum(c.units for c in calls if c.kind == "write"),
                "rru": sum(c.units for c in calls if c.kind == "read"),
                "requests": [c.operation for c in calls],
                "units": [c.units for c in calls],
                "lambda_ms": cpu / LAMBDA_CPU_SHARE + DYNAMODB_LATENCY_MS * len(calls),
            }
        )
    return {
        "wru_median": statistics.median(p["wru"] for p in posts),
        "rru_median": statistics.median(p["rru"] for p in posts),
        "lambda_ms_median": statistics.median(p["lambda_ms"] for p in posts),
        "requests": posts[-1]["requests"],
        "units_by_request": posts[-1]["units"],
        "posts": len(posts),
    }


def item_bytes(store: Any) -> dict[str, Any]:
    """What the thread's items weigh (DynamoDB's item size: names plus values): the public
    parts a page view reads and the private parts it does not. Read with the store's own
    client after the timed runs, so it is in no figure above."""
    from dynamo_cost import item_size

    client = store.client
    items: list[Any] = []
    params: dict[str, Any] = {
        "TableName": store.table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"T#{SITE}#{URI}"}},
    }
    while True:
        out = client.query(**params)
        items += out["Items"]
        if "LastEvaluatedKey" not in out:
            break
        params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    public = [item_size(i) for i in items if i["sk"]["S"].startswith("C#")]
    private = [item_size(i) for i in items if i["sk"]["S"].startswith("P#")]
    thread = [item_size(i) for i in items if i["sk"]["S"] == "#"]
    return {
        "thread": thread[0] if thread else 0,
        "public_median": statistics.median(public),
        "public_first_20": sum(public[:20]),
        "private_median": statistics.median(private) if private else 0,
        "private_first_20": sum(private[:20]),
    }
