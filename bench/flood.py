"""What a flood of the public endpoint costs the owner at the defaults, before and after the
flood ceiling and breaker, from the same prices and assumptions as bench/cost.py.

    ../.venv/bin/python flood.py [--runs 200]       (from bench/; writes results/flood.json)

Measured here: for every public answer an attacker can ask for without a token (GET, no
Accept-Encoding, so the largest body), the bytes on the wire and the handler's CPU time through
`backend.lambda_handler.handler` (a Function URL event, payload 2.0), scaled to what Lambda's
1,024 MB gets (cost.LAMBDA_CPU_SHARE), on a SQLite store (no table read in any of them).

Assumed (stated in the output): the prices (cost.PRICES); INVOKE_OVERHEAD_MS, the time a
sandbox is busy per invocation beyond the handler (Lambda's runtime API round trip: not
billed, but it bounds how many requests one sandbox takes a second); the breaker's delay
(its alarm's minutes plus CloudWatch's metric and evaluation lag).

The attacker picks the answer that costs most per sandbox-second; a flood fills every sandbox
the reserved concurrency allows, so the worst hour is concurrency x that. DynamoDB is bounded
separately by the table's on-demand ceiling (tableMaxReadUnits, tableMaxWriteUnits), whatever
the concurrency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

import cost
import lib

PRICES = cost.PRICES
INVOKE_OVERHEAD_MS = 1.0  # assumed; not measurable without an AWS account
CLOUDWATCH_LAG_MIN = 3.0  # assumed: metrics land ~1-2 min late, alarms evaluate each minute
# The defaults (serverless.yml params), before (f86e707) and now.
BEFORE = {"reservedConcurrency": 20, "breakerMinutes": None}
AFTER = {"reservedConcurrency": 2, "breakerMinutes": 5}
TABLE = {"tableMaxReadUnits": 400, "tableMaxWriteUnits": 100}
PUBLIC = [
    ("/api/v1/openapi.json", {}),
    ("/embed.js", {}),
    ("/widget/de.js", {}),
    ("/demo/", {}),
    ("/admin", {}),
    ("/", {}),
    ("/healthz", {}),
    ("/no-such-page", {}),
]


def url_event(path: str, query: dict[str, Any]) -> Any:
    ev = cost.event("GET", path, query, gzip_ok=False)
    ev["requestContext"]["domainName"] = "abc123.lambda-url.us-east-1.on.aws"
    ev["requestContext"]["apiId"] = "abc123"
    return ev


def measure(handler: Any, path: str, query: dict[str, Any], runs: int) -> dict[str, Any]:
    ev = url_event(path, query)
    for _ in range(3):
        answer = handler(ev, cost.LambdaContext())
    cpus = []
    for _ in range(runs):
        c0 = time.process_time()
        answer = handler(ev, cost.LambdaContext())
        cpus.append((time.process_time() - c0) * 1000)
    lambda_ms = statistics.median(cpus) / cost.LAMBDA_CPU_SHARE
    wire = cost.client_bytes(answer) + cost.header_bytes(answer)
    return {
        "path": path,
        "status": answer["statusCode"],
        "bytes": wire,
        "lambda_ms": lambda_ms,
        **per_sandbox_hour(lambda_ms, wire),
    }


def per_sandbox_hour(lambda_ms: float, wire_bytes: int) -> dict[str, float]:
    """Dollars one sandbox costs in an hour spent answering only this, back to back."""
    billed_ms = max(1.0, float(int(lambda_ms) + (lambda_ms % 1 > 0)))  # 1 ms increments
    per_second = 1000.0 / (lambda_ms + INVOKE_OVERHEAD_MS)
    one = cost.request_cost("function_url", False, 0.0, billed_ms, 0.0, wire_bytes)
    hour = {k: v * per_second * 3600 for k, v in one.items()}
    return {
        "requests_per_s": per_second,
        "usd_per_sandbox_hour": sum(hour.values()),
        "lambda_usd": hour["lambda"],
        "transfer_usd": hour["transfer"],
    }


def table_ceiling_hour() -> float:
    reads = TABLE["tableMaxReadUnits"] * PRICES["dynamodb_per_million_rru"] / 1e6
    writes = TABLE["tableMaxWriteUnits"] * PRICES["dynamodb_per_million_wru"] / 1e6
    return (reads + writes) * 3600


def scenario(defaults: dict[str, Any], worst: float) -> dict[str, Any]:
    """The worst flood at these defaults: per hour while it runs, per day and per month."""
    hour = defaults["reservedConcurrency"] * worst + table_ceiling_hour()
    minutes = defaults["breakerMinutes"]
    if minutes is None:  # nothing stops it: it lasts as long as the attacker likes
        return {"hour": hour, "day": 24 * hour, "month": 30 * 24 * hour, "stops_after_min": None}
    stops = minutes + CLOUDWATCH_LAG_MIN
    episode = hour * stops / 60
    # Once tripped, the endpoint refuses everything (unbilled) until the owner restores it;
    # the month's worst case assumes the owner restores once a day and the flood resumes.
    return {"hour": hour, "day": episode, "month": 30 * episode, "stops_after_min": stops}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200, help="timed requests per answer")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="parley-flood-")
    os.environ.update(
        {
            "AWS_REGION": "us-east-1",
            "PARLEY_STORE": f"sqlite:///{folder}/flood.db",
            "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789abcdef",
            "PARLEY_SITES": json.dumps({cost.SITE: {"origins": [cost.ORIGIN]}}),
            "PARLEY_PUBLIC_URL": "https://comments.example.com",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }
    )
    sys.path.insert(0, str(lib.ROOT))
    import backend.lambda_handler as lh

    answers = [measure(lh.handler, path, query, args.runs) for path, query in PUBLIC]
    worst = max(answers, key=lambda a: a["usd_per_sandbox_hour"])
    result = {
        "assumptions": {
            "prices": PRICES,
            "invoke_overhead_ms": INVOKE_OVERHEAD_MS,
            "cloudwatch_lag_min": CLOUDWATCH_LAG_MIN,
            "lambda_cpu_share": cost.LAMBDA_CPU_SHARE,
            "table": TABLE,
        },
        "answers": answers,
        "worst": worst["path"],
        "table_ceiling_usd_per_hour": table_ceiling_hour(),
        "before": {**BEFORE, **scenario(BEFORE, worst["usd_per_sandbox_hour"])},
        "after": {**AFTER, **scenario(AFTER, worst["usd_per_sandbox_hour"])},
    }
    lib.save("flood", result)
    print(markdown(result))


def markdown(r: dict[str, Any]) -> str:
    head = "| answer | status | bytes (no gzip) | Lambda ms | requests/s a sandbox |"
    lines = [head + " $ a sandbox-hour |", "|---|---|---|---|---|---|"]
    for a in r["answers"]:
        lines.append(
            f"| `{a['path']}` | {a['status']} | {a['bytes']:,} | {a['lambda_ms']:.2f} |"
            f" {a['requests_per_s']:.0f} | {a['usd_per_sandbox_hour']:.2f} |"
        )
    lines += [
        "",
        "| defaults | concurrency | per hour | per day | per month |",
        "|---|---|---|---|---|",
    ]
    for name in ("before", "after"):
        s = r[name]
        lines.append(
            f"| {name} | {s['reservedConcurrency']} | ${s['hour']:.2f} | ${s['day']:.2f} |"
            f" ${s['month']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
