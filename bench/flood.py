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
the reserved concurrency allows, so the worst hour is concurrency x that. With the sandbox
ceiling (backend/domain/ceiling.py, `sandboxCeiling`; its bounds are tests/test_ceiling.py's),
a sandbox answers at most R requests and B bytes a second and is busy (billed) the whole hour
at worst, so its hour is min(the worst answer's, R requests + B bytes + an hour of duration).
DynamoDB is bounded separately by the table's on-demand ceiling (tableMaxReadUnits,
tableMaxWriteUnits), whatever the concurrency; the HTTP API, which bills $1.00 per million
requests it passes to the function (not those its stage throttle refuses), by apiRateLimit.
The defaults are read from serverless.yml.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


def defaults() -> dict[str, str]:
    """serverless.yml's `params.default`, as written (the figures below follow them)."""
    text = (lib.ROOT / "serverless.yml").read_text("utf-8")
    return dict(re.findall(r'^    (\w+): "([^"]*)"', text, re.M))


_D = defaults()
# Before (f86e707: no ceiling, no breaker) and the defaults of this tree.
BEFORE: dict[str, Any] = {
    "reservedConcurrency": 20,
    "breakerMinutes": None,
    "ceiling": None,
    "apiRateLimit": 200,
    "table": (400, 100),
}
AFTER: dict[str, Any] = {
    "reservedConcurrency": int(_D["reservedConcurrency"]),
    "breakerMinutes": int(_D["breakerMinutes"]),
    "ceiling": [float(x) for x in _D["sandboxCeiling"].split(",")],
    "apiRateLimit": float(_D["apiRateLimit"]),
    "table": (int(_D["tableMaxReadUnits"]), int(_D["tableMaxWriteUnits"])),
}
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


def table_ceiling_hour(table: tuple[int, int]) -> float:
    reads = table[0] * PRICES["dynamodb_per_million_rru"] / 1e6
    writes = table[1] * PRICES["dynamodb_per_million_wru"] / 1e6
    return (reads + writes) * 3600


def ceiling_sandbox_hour(ceiling: list[float]) -> dict[str, float]:
    """The most one sandbox under the ceiling can cost in an hour: R requests a second (each
    billed at least 1 ms beyond the time it is busy), B bytes a second, and the whole hour
    billed as duration (a sleeping sandbox is billed; it may be busy all hour)."""
    requests_per_s, bytes_per_s, _ = ceiling
    requests = requests_per_s * 3600
    billed_s = 3600 + requests * 0.001
    lam = (requests * PRICES["lambda_per_million_requests"] / 1e6
           + billed_s * cost.LAMBDA_MEMORY_GB * PRICES["lambda_arm64_per_gb_s"])  # fmt: skip
    transfer = bytes_per_s * 3600 / cost.GB * PRICES["transfer_out_per_gb"]
    return {"usd_per_sandbox_hour": lam + transfer, "lambda_usd": lam, "transfer_usd": transfer}


def http_api_hour(rate_limit: float) -> float:
    """The HTTP API's fee for the requests its stage throttle lets through to the function."""
    return rate_limit * 3600 * PRICES["http_api_per_million_requests"] / 1e6


def scenario(defaults: dict[str, Any], worst: float) -> dict[str, Any]:
    """The worst flood at these defaults: per hour while it runs, per day and per month."""
    sandbox = worst
    if defaults["ceiling"]:
        sandbox = min(worst, ceiling_sandbox_hour(defaults["ceiling"])["usd_per_sandbox_hour"])
    lines = {
        "lambda and transfer": defaults["reservedConcurrency"] * sandbox,
        "dynamodb (table ceiling)": table_ceiling_hour(defaults["table"]),
        "http api (stage throttle)": http_api_hour(defaults["apiRateLimit"]),
    }
    hour = sum(lines.values())
    minutes = defaults["breakerMinutes"]
    if minutes is None:  # nothing stops it: it lasts as long as the attacker likes
        return {"hour": hour, "lines": lines, "day": 24 * hour, "month": 30 * 24 * hour,
                "month_under": 30 * 24 * hour, "stops_after_min": None}  # fmt: skip
    stops = minutes + CLOUDWATCH_LAG_MIN
    episode = hour * stops / 60
    # Once tripped, the endpoint refuses everything (unbilled) until the owner restores it;
    # "month" assumes the owner restores once a day and the flood resumes. The breaker counts
    # requests: a flood of a few large answers a second (43 KB each, under 50 a second) reaches
    # the ceiling's bytes and the table's units without tripping it, so "month_under" is the
    # hour's bound held all month.
    return {"hour": hour, "lines": lines, "day": episode, "month": 30 * episode,
            "month_under": 30 * 24 * hour, "stops_after_min": stops}  # fmt: skip


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
            # The flood as measured before proof of work: each post reaches the rate limit.
            "PARLEY_SITES": json.dumps({cost.SITE: {"origins": [cost.ORIGIN], "proof": "off"}}),
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
            "before": BEFORE,
            "after": AFTER,
        },
        "answers": answers,
        "worst": worst["path"],
        "ceiling_sandbox_hour": ceiling_sandbox_hour(AFTER["ceiling"]),
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
    c = r["ceiling_sandbox_hour"]
    lines += [
        "",
        f"Under the sandbox ceiling ({r['after']['ceiling']}): at most"
        f" ${c['usd_per_sandbox_hour']:.3f} a sandbox-hour (Lambda ${c['lambda_usd']:.3f},"
        f" transfer ${c['transfer_usd']:.3f}).",
        "",
        "| defaults | concurrency | Lambda + transfer $/h | DynamoDB $/h | HTTP API $/h |"
        " per hour | per day | per month (a trip a day) | per month (under the breaker) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("before", "after"):
        s = r[name]
        v = list(s["lines"].values())
        lines.append(
            f"| {name} | {s['reservedConcurrency']} | {v[0]:.3f} | {v[1]:.3f} | {v[2]:.3f} |"
            f" ${s['hour']:.2f} | ${s['day']:.2f} | ${s['month']:.2f} |"
            f" ${s['month_under']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
