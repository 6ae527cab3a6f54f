"""What a flood of the public endpoint costs the owner at the defaults, before and after the
flood ceiling and breaker, from the same prices and assumptions as bench/cost.py.

    ../.venv/bin/python flood.py [--runs 200]       (from bench/; writes results/flood.json)
    ../.venv/bin/python flood.py --concurrency 10   (also a quota-10 account: flood-quota10.json)

`--concurrency N` adds an account whose Lambda concurrency quota is N (a new account's is often
10): `make deploy` cannot reserve the function's concurrency there (AWS keeps 100 unreserved),
so a flood may keep N sandboxes busy; the rows show the hour with `sandboxCeiling` as given
and as `make deploy` scales it (scripts/deploy.py `plan`, run here as is).

Measured here: for every public answer an attacker can ask for without a token (GET, no
Accept-Encoding, so the largest body), the bytes on the wire and the handler's CPU time through
`backend.lambda_handler.handler` (a Function URL event, payload 2.0), scaled to what Lambda's
1,024 MB gets (cost_measure.LAMBDA_CPU_SHARE), on a SQLite store (no table read in any of them).

Assumed (stated in the output): the prices (cost.PRICES); INVOKE_OVERHEAD_MS, the time a
sandbox is busy per invocation beyond the handler (Lambda's runtime API round trip: not
billed, but it bounds how many requests one sandbox takes a second); the breakers' delays
(the flood alarm's minutes plus CloudWatch's metric and evaluation lag; the spend alarm's lag
from the crossing to the trip).

The month: the spend breaker (infra/breaker.yml, infra/spend.js) trips when the last 24
hours' estimated spend passes a 30th of `monthlyBudgetUsd`, and reopens only once it is back
under. Its estimate counts Lambda, the HTTP API and the table's units as CloudWatch reports
them, and transfer as `breakerBytesPerRequest` bytes for every request and read unit; where
that is at least every answer's real bytes (checked here for every answer that reads no
table: the largest is the attacker's best), the estimate is never under the real spend, so no
24 hours cost more than a 30th of the budget plus the worst hour's share during the alarm's
lag, whatever the flood's shape: a month (30 such days) costs at most the budget plus 30 lags.
The script prints that bound, how long the worst flood runs before the trip, and how many of a
real reader's page views (bench/cost.py's default page view) the estimate lets through in a
day before the warning and before the trip.

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
import importlib.util
import json
import os
import re
import statistics
import sys
import tempfile
import time
from typing import Any

import cost
import cost_measure
import lib

PRICES = cost.PRICES
INVOKE_OVERHEAD_MS = 1.0  # assumed; not measurable without an AWS account
CLOUDWATCH_LAG_MIN = 3.0  # assumed: metrics land ~1-2 min late, alarms evaluate each minute
# Assumed, generously: from the moment the day's spend crosses to the breaker's trip (the
# metrics' delay, the sliding window's evaluation each minute, the breaker's invocation).
SPEND_LAG_MIN = 15.0
# bench/cost.py's default page view (function URL, gzip, first page of 20, lazy thread), as
# bench/RESULTS.md measured it on DynamoDB Local: the thread's read (limit20_gzip) takes 2.5
# read units and ~17.8 ms of Lambda; the widget (brotli) 0.5 ms, its 304 0.4 ms.
PAGE_VIEW_READ_UNITS = 2.5
PAGE_VIEW_LAMBDA_MS = {"thread": 17.8, "widget": 0.5, "widget_304": 0.4}


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
    "monthlyBudgetUsd": float(_D["monthlyBudgetUsd"]),
    "bytesPerRequest": int(_D["breakerBytesPerRequest"]),
}


def load_deploy() -> Any:
    """scripts/deploy.py, whose `plan` decides what an account of a given quota deploys."""
    spec = importlib.util.spec_from_file_location("deploy", lib.ROOT / "scripts" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def quota_defaults(quota: int) -> dict[str, dict[str, Any]]:
    """The defaults on an account whose quota is `quota` (all of it unreserved), with the
    ceiling as given and as `make deploy` plans it."""
    plan = load_deploy().plan(quota, quota, 0, _D["reservedConcurrency"], _D["sandboxCeiling"])
    given = {**AFTER, "reservedConcurrency": plan.sandboxes if plan.reserved == "" else
             int(plan.reserved)}  # fmt: skip
    planned = {**given, "ceiling": [float(x) for x in plan.ceiling.split(",")]}
    return {f"quota {quota}, ceiling as given": given, f"quota {quota}, as deployed": planned}


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
    ev = cost_measure.event("GET", path, query, gzip_ok=False)
    ev["requestContext"]["domainName"] = "abc123.lambda-url.us-east-1.on.aws"
    ev["requestContext"]["apiId"] = "abc123"
    return ev


def measure(handler: Any, path: str, query: dict[str, Any], runs: int) -> dict[str, Any]:
    ev = url_event(path, query)
    for _ in range(3):
        answer = handler(ev, cost_measure.LambdaContext())
    cpus = []
    for _ in range(runs):
        c0 = time.process_time()
        answer = handler(ev, cost_measure.LambdaContext())
        cpus.append((time.process_time() - c0) * 1000)
    lambda_ms = statistics.median(cpus) / cost_measure.LAMBDA_CPU_SHARE
    wire = cost_measure.client_bytes(answer) + cost_measure.header_bytes(answer)
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
    # "month" assumes the owner restores once a day and the flood resumes. The flood alarm
    # counts requests: a flood of a few large answers a second (43 KB each, under 50 a second)
    # reaches the ceiling's bytes and the table's units without tripping it, so "month_under"
    # is here the hour's bound held all month; main() replaces it with the spend breaker's.
    return {"hour": hour, "lines": lines, "day": episode, "month": 30 * episode,
            "month_under": 30 * 24 * hour, "stops_after_min": stops}  # fmt: skip


def estimate(invocations: float, lambda_ms: float, rru: float, wru: float, http_api: float,
             bytes_each: int) -> float:  # fmt: skip
    """The spend alarm's estimate (infra/spend.js) of this traffic, in dollars."""
    return (
        invocations * PRICES["lambda_per_million_requests"] / 1e6
        + http_api * PRICES["http_api_per_million_requests"] / 1e6
        + rru * PRICES["dynamodb_per_million_rru"] / 1e6
        + wru * PRICES["dynamodb_per_million_wru"] / 1e6
        + (lambda_ms + invocations) / 1000 * cost.LAMBDA_MEMORY_GB * PRICES["lambda_arm64_per_gb_s"]
        + (invocations + rru) * bytes_each / cost.GB * PRICES["transfer_out_per_gb"]
    )


def spend_breaker(d: dict[str, Any], hour: float, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The month under the spend breaker, the worst flood's time to its trip, and what real
    readers get through before the warning and the trip."""
    day_budget = d["monthlyBudgetUsd"] / 30
    bytes_each = d["bytesPerRequest"]
    # Sound only if no answer is bigger on the wire than the estimate counts it.
    largest = max(a["bytes"] for a in answers)
    sound = largest <= bytes_each
    overshoot = hour * SPEND_LAG_MIN / 60
    month = min(30 * 24 * hour, d["monthlyBudgetUsd"] + 30 * overshoot) if sound else None
    # The worst flood at the ceiling, as the estimate sees an hour of it: every sandbox's
    # requests, the table's read and write ceilings, the HTTP API's throttle, every sandbox
    # billed all hour.
    requests_per_s, _, _ = d["ceiling"]
    sandboxes = d["reservedConcurrency"]
    flood_hour = estimate(
        invocations=sandboxes * requests_per_s * 3600,
        lambda_ms=sandboxes * 3600 * 1000,
        rru=d["table"][0] * 3600,
        wru=d["table"][1] * 3600,
        http_api=d["apiRateLimit"] * 3600,
        bytes_each=bytes_each,
    )
    # A real reader's page view (bench/cost.py's default), as the estimate counts it.
    thread, fetch, revalidate = cost.SCROLL_SHARE, cost.EMBED_FETCH_SHARE, cost.EMBED_304_SHARE
    view = estimate(
        invocations=thread + fetch + revalidate,
        lambda_ms=thread * PAGE_VIEW_LAMBDA_MS["thread"]
        + fetch * PAGE_VIEW_LAMBDA_MS["widget"]
        + revalidate * PAGE_VIEW_LAMBDA_MS["widget_304"],
        rru=thread * PAGE_VIEW_READ_UNITS,
        wru=0.0,
        http_api=0.0,
        bytes_each=bytes_each,
    )
    return {
        "day_budget": day_budget,
        "lag_min": SPEND_LAG_MIN,
        "largest_answer_bytes": largest,
        "bytes_per_request": bytes_each,
        "sound": sound,
        "overshoot_per_day": overshoot,
        "month": month,
        "flood_hour_estimated": flood_hour,
        "flood_minutes_to_trip": day_budget / flood_hour * 60 + SPEND_LAG_MIN,
        "page_view_estimated": view,
        "page_views_before_warning": day_budget / 2 / view,
        "page_views_before_trip": day_budget / view,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200, help="timed requests per answer")
    parser.add_argument(
        "--concurrency", type=int, help="also an account of this Lambda concurrency quota"
    )
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="parley-flood-")
    os.environ.update(
        {
            "AWS_REGION": "us-east-1",
            "PARLEY_STORE": f"sqlite:///{folder}/flood.db",
            "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789abcdef",
            # The flood as measured before proof of work: each post reaches the rate limit.
            "PARLEY_SITES": json.dumps(
                {cost_measure.SITE: {"origins": [cost_measure.ORIGIN], "proof": "off"}}
            ),
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
            "spend_lag_min": SPEND_LAG_MIN,
            "page_view_read_units": PAGE_VIEW_READ_UNITS,
            "page_view_lambda_ms": PAGE_VIEW_LAMBDA_MS,
            "lambda_cpu_share": cost_measure.LAMBDA_CPU_SHARE,
            "before": BEFORE,
            "after": AFTER,
        },
        "answers": answers,
        "worst": worst["path"],
        "ceiling_sandbox_hour": ceiling_sandbox_hour(AFTER["ceiling"]),
        "before": {**BEFORE, **scenario(BEFORE, worst["usd_per_sandbox_hour"])},
        "after": {**AFTER, **scenario(AFTER, worst["usd_per_sandbox_hour"])},
    }
    result["spend_breaker"] = spend_breaker(AFTER, result["after"]["hour"], answers)
    if result["spend_breaker"]["month"] is not None:
        result["after"]["month_under"] = result["spend_breaker"]["month"]
    result["quota"] = {}
    if args.concurrency is not None:
        for name, d in quota_defaults(args.concurrency).items():
            row = {**d, **scenario(d, worst["usd_per_sandbox_hour"])}
            row["spend_breaker"] = spend_breaker(d, row["hour"], answers)
            if row["spend_breaker"]["month"] is not None:
                row["month_under"] = row["spend_breaker"]["month"]
            result["quota"][name] = row
    lib.save("flood" if args.concurrency is None else f"flood-quota{args.concurrency}", result)
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
    rows = [(name, r[name]) for name in ("before", "after")] + list(r["quota"].items())
    for name, s in rows:
        v = list(s["lines"].values())
        lines.append(
            f"| {name} | {s['reservedConcurrency']} | {v[0]:.3f} | {v[1]:.3f} | {v[2]:.3f} |"
            f" ${s['hour']:.2f} | ${s['day']:.2f} | ${s['month']:.2f} |"
            f" ${s['month_under']:.2f} |"
        )
    for name, s in r["quota"].items():
        c = ceiling_sandbox_hour(s["ceiling"])
        q = s["spend_breaker"]
        lines.append(
            f"\n{name} (ceiling {s['ceiling']}): at most ${c['usd_per_sandbox_hour']:.4f} a"
            f" sandbox-hour (Lambda ${c['lambda_usd']:.4f}, transfer ${c['transfer_usd']:.4f});"
            f" the worst flood is estimated at ${q['flood_hour_estimated']:.2f} an hour, so the"
            f" spend breaker trips within {q['flood_minutes_to_trip']:.0f} minutes; a month at"
            f" most ${q['month']:.2f}."
        )
    b = r["spend_breaker"]
    lines += [
        "",
        f"Spend breaker (monthlyBudgetUsd ${r['after']['monthlyBudgetUsd']:g}: trips past"
        f" ${b['day_budget']:.3f} in 24 hours, estimated; warns past half that):",
        f"- transfer counted {b['bytes_per_request']:,} bytes a request and a read unit; the"
        f" largest answer that reads no table is {b['largest_answer_bytes']:,} bytes:"
        f" {'the estimate never undercounts' if b['sound'] else 'UNDER-COUNTED, no bound'};",
        f"- the worst flood at the ceiling is estimated at ${b['flood_hour_estimated']:.2f} an"
        f" hour (real: ${r['after']['hour']:.2f}), so it trips within"
        f" {b['flood_minutes_to_trip']:.0f} minutes (with the {b['lag_min']:g}-minute lag);",
        f"- any 24 hours cost at most ${b['day_budget']:.3f} + ${b['overshoot_per_day']:.3f}"
        f" (an hour's worst during the lag): a month at most"
        + (f" ${b['month']:.2f}" if b["month"] is not None else " unbounded")
        + f" (the budget ${r['after']['monthlyBudgetUsd']:g} + 30 lags);",
        f"- a real reader's page view is estimated at ${b['page_view_estimated'] * 1e6:.2f} a"
        f" million (bench/cost.py's real cost is about $1): the warning mails after"
        f" {b['page_views_before_warning']:,.0f} page views in 24 hours, the breaker trips"
        f" after {b['page_views_before_trip']:,.0f}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
