"""What a million page views cost on AWS, from measured units, bytes and durations.

    ../.venv/bin/python cost.py [--reads 30]          (from bench/; writes results/cost.json)

Measured here, not assumed:
- DynamoDB request units: DynamoDB Local's own ConsumedCapacity (ReturnConsumedCapacity=TOTAL
  added to every call with a botocore hook), on a thread of 100 comments from bench/corpus.jsonl
  (varied text, realistic lengths) posted through the Lambda handler (scripts/dynamodb_local.py
  starts it; `make setup java` installs it).
- Response bytes as the client receives them, gzipped (Accept-Encoding: gzip, as browsers send)
  and not.
- A first page three ways: in a sandbox that keeps no page of the thread (the Query), kept and
  unchanged (the thread's stamp, one GetItem; a 200 from memory, or a 304 for a browser's
  matching If-None-Match), and kept but gone stale (the GetItem, then the Query).
- Lambda duration: API Gateway payload-2.0 events through `backend.lambda_handler.handler` in
  this process; the time spent waiting on DynamoDB Local (measured with botocore hooks) is
  replaced by an assumed in-region latency per request, and the rest (Parley's CPU) is scaled
  to what Lambda's 1,024 MB gets (LAMBDA_CPU_SHARE of a vCPU).

How one request is measured (the events, the DynamoDB recorder, the bytes): bench/cost_measure.py.

Assumed (stated in the output beside each figure): list prices, the share of page views that
scroll to the comments (the widget loads the thread only then), how often the browser already
has the widget, the CDN hit rate. Every configuration is one row of the table.
"""

from __future__ import annotations

import argparse
import json
import os
from contextlib import ExitStack
from typing import Any

import corpus
import fragment_cost
import lib
from cost_measure import (
    BROWSER_ACCEPT,
    DYNAMODB_LATENCY_MS,
    FRONT_HEADER_BYTES,
    LAMBDA_CPU_SHARE,
    ORIGIN,
    SITE,
    URI,
    Recorder,
    event,
    item_bytes,
    measure,
    seed,
    start_dynamodb,
)

TABLE = "parley-cost"

# AWS list prices, us-east-1, as published on the AWS pricing pages; written down on
# 2026-11-30 from the engineer's knowledge of those pages (no network here beyond package
# registries): check them before quoting. No free tier counted.
PRICES: dict[str, Any] = {
    "as_of": "2026-11-30 (AWS list prices, us-east-1; not fetched: no network here)",
    "dynamodb_per_million_rru": 0.125,  # on-demand, since the 2024-11-01 price cut
    "dynamodb_per_million_wru": 0.625,
    "lambda_arm64_per_gb_s": 0.0000133334,
    "lambda_per_million_requests": 0.20,
    "http_api_per_million_requests": 1.00,  # first 300 million a month
    "function_url_per_million_requests": 0.0,  # billed as Lambda only
    "cloudfront_per_million_https_requests": 1.00,  # $0.0100 per 10,000, North America
    "transfer_out_per_gb": 0.09,  # Lambda / API Gateway to the internet, first 10 TB
    "cloudfront_transfer_out_per_gb": 0.085,  # North America, first 10 TB
    "cloudwatch_logs_ingestion_per_gb": 0.50,  # standard log class
}
LAMBDA_MEMORY_GB = 1.0  # serverless.yml memorySize 1024
SCROLL_SHARE = 0.35  # assumed share of page views that bring #parley near the viewport
# The widget's Cache-Control is max-age=300: a reader's next page within 5 minutes takes it
# from the browser cache. Assumed share of page views that fetch it (a 304 after that).
EMBED_FETCH_SHARE = 0.6
EMBED_304_SHARE = 0.2
CDN_HIT_RATIO = {"thread": 0.5, "embed": 0.99}  # assumed; a thread's s-maxage is 10 s
GB = 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=30, help="timed reads of each kind")
    args = parser.parse_args()

    with ExitStack() as stack:
        endpoint, engine = start_dynamodb(stack)
        sites = {SITE: {"origins": [ORIGIN], "moderation": "none", "rate_limit_per_minute": 10**6}}
        sites[SITE]["proof"] = "off"  # bench/proof_solve.py measures the proof of work
        os.environ.update(
            {
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "benchlocal"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "benchlocal"),
                "PARLEY_STORE": f"dynamodb://{TABLE}?region=us-east-1&endpoint={endpoint}",
                "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789abcdef",
                "PARLEY_SITES": json.dumps(sites),
                "PARLEY_PUBLIC_URL": "https://comments.example.com",
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
            }
        )
        from backend.settings import Settings
        from backend.store import open_store

        store_setup: Any = open_store(Settings.from_env())
        store_setup.setup()
        import backend.lambda_handler as lh

        app: Any = lh.handler.app
        store = app.state.parley.store
        recorder = Recorder(store.client)
        post = seed(lh.handler, recorder)
        reads: dict[str, Any] = {}
        cache = app.state.parley.cache
        for limit in (10, 20, 50, 100):
            for gz in (False, True):
                q = {"site": SITE, "uri": URI, "limit": limit}
                ev = event("GET", "/api/v1/comments", q, gz)
                # A sandbox that keeps no page of this thread: the Query.
                reads[f"limit{limit}{'_gzip' if gz else ''}"] = measure(
                    lh.handler, recorder, ev, args.reads, before=cache.clear
                )
        # The same first page where a warm sandbox kept it (backend/api/comments.py): the
        # thread's stamp (one GetItem) and the kept bytes; a browser's If-None-Match that
        # matches (a 304); and a kept page gone stale (a write moved the stamp: the GetItem,
        # then the Query).
        for limit in (10, 20):
            q = {"site": SITE, "uri": URI, "limit": limit}
            ev = event("GET", "/api/v1/comments", q, True)
            kept = measure(lh.handler, recorder, ev, args.reads)
            reads[f"kept{limit}_gzip"] = kept
            revalidate = event("GET", "/api/v1/comments", q, True, etag=kept["etag"])
            reads[f"kept{limit}_304"] = measure(lh.handler, recorder, revalidate, args.reads)
            reads[f"stale{limit}_gzip"] = measure(
                lh.handler, recorder, ev, args.reads, before=lambda: store._touch(SITE, URI)
            )
        # A thread built into the page (comments.html at the site's build): the loader's HEAD
        # when the reader nears it, each way the server can answer (bench/fragment_cost.py).
        fragment = fragment_cost.measure_fragment(
            measure, event, lh.handler, recorder, cache.clear,
            lambda: store._touch(SITE, URI), SITE, URI, args.reads,
        )  # fmt: skip
        embed = {
            name: measure(
                lh.handler, recorder, event("GET", "/embed.js", {}, name != "plain", accept=accept),
                args.reads,
            )
            for name, accept in (("plain", ""), ("gzip", "gzip, deflate"), ("br", BROWSER_ACCEPT))
        }  # fmt: skip
        # One page's count (a count link or the loader's own page): GET /api/v1/counts.
        counts_ev = event("GET", "/api/v1/counts", {"site": SITE, "uri": URI}, True)
        counts_read = measure(lh.handler, recorder, counts_ev, args.reads)
        # A browser's revalidation once max-age has passed: If-None-Match with the tag it has.
        revalidate = event("GET", "/embed.js", {}, True, etag=embed["br"]["etag"])
        embed["304"] = measure(lh.handler, recorder, revalidate, args.reads)
        sizes = item_bytes(store)
    result: dict[str, Any] = {
        "engine": engine,
        "corpus": corpus.summary(corpus.load()[:100]),
        "post": post,
        "item_bytes": sizes,
        "reads": reads,
        "embed": embed,
        "fragment": fragment,
        "counts": counts_read,
        "prices": PRICES,
        "assumptions": {
            "lambda_memory_gb": LAMBDA_MEMORY_GB,
            "lambda_cpu_share": LAMBDA_CPU_SHARE,
            "dynamodb_latency_ms": DYNAMODB_LATENCY_MS,
            "scroll_share": SCROLL_SHARE,
            "embed_fetch_share": EMBED_FETCH_SHARE,
            "embed_304_share": EMBED_304_SHARE,
            "cdn_hit_ratio": CDN_HIT_RATIO,
            "front_header_bytes": FRONT_HEADER_BYTES,
            "browser_accept_encoding": BROWSER_ACCEPT,
        },
    }
    result["table"] = table(result)
    lib.save("cost", result)
    print(markdown(result))


def request_cost(
    front: str, cdn: bool, hit: float, lambda_ms: float, units: float, bytes_out: int
) -> dict[str, float]:
    """Dollars for one request of a kind, by item."""
    p = PRICES
    origin = 1.0 - hit if cdn else 1.0
    cost = {
        "dynamodb": origin * units * p["dynamodb_per_million_rru"] / 1e6,
        "lambda": origin
        * (
            p["lambda_per_million_requests"] / 1e6
            + lambda_ms / 1000 * LAMBDA_MEMORY_GB * p["lambda_arm64_per_gb_s"]
        ),
        "front_door": origin * (p[f"{front}_per_million_requests"] / 1e6),
        "cloudfront": (p["cloudfront_per_million_https_requests"] / 1e6) if cdn else 0.0,
    }
    price_gb = p["cloudfront_transfer_out_per_gb"] if cdn else p["transfer_out_per_gb"]
    cost["transfer"] = bytes_out / GB * price_gb
    return cost


def page_view_cost(
    r: dict[str, Any], front: str, cdn: bool, gz: bool, limit: int, lazy: bool
) -> dict[str, float]:
    """One page view: the widget (fetched, revalidated or cached by the browser) and, when the
    reader scrolls to the comments (or always, without the lazy thread), one thread read."""
    read = r["reads"][f"limit{limit}{'_gzip' if gz else ''}"]
    # Browsers accept brotli: the widget goes as the build's twin; CloudFront compresses on its
    # own when the origin does not.
    embed = r["embed"]["br" if gz or cdn else "plain"]
    thread_bytes = read["bytes"] + read["header_bytes"]
    if cdn and not gz:
        gzipped = r["reads"][f"limit{limit}_gzip"]
        thread_bytes = gzipped["bytes"] + gzipped["header_bytes"]
    embed_bytes = embed["bytes"] + embed["header_bytes"]
    revalidated = r["embed"]["304"]
    revalidated_bytes = revalidated["bytes"] + revalidated["header_bytes"]
    share = SCROLL_SHARE if lazy else 1.0
    parts = {
        "thread": (share, request_cost(front, cdn, CDN_HIT_RATIO["thread"], read["lambda_ms"],
                                       read["units"], thread_bytes)),
        "widget": (EMBED_FETCH_SHARE, request_cost(front, cdn, CDN_HIT_RATIO["embed"],
                                                   embed["lambda_ms"], 0, embed_bytes)),
        "widget_304": (EMBED_304_SHARE, request_cost(front, cdn, CDN_HIT_RATIO["embed"],
                                                     revalidated["lambda_ms"], 0,
                                                     revalidated_bytes)),
    }  # fmt: skip
    total: dict[str, float] = {}
    for name, (weight, cost) in parts.items():
        for key, value in cost.items():
            total[key] = total.get(key, 0.0) + weight * value
            total[f"{name}.{key}"] = weight * value
    total["total"] = sum(v for k, v in total.items() if "." not in k)
    # Lambda's part split: its requests (a price per invocation) and its duration.
    invocations = sum(weight * (1.0 - hit) for weight, hit in (
        (share, CDN_HIT_RATIO["thread"] if cdn else 0.0),
        (EMBED_FETCH_SHARE + EMBED_304_SHARE, CDN_HIT_RATIO["embed"] if cdn else 0.0),
    ))  # fmt: skip
    total["lambda.requests"] = invocations * PRICES["lambda_per_million_requests"] / 1e6
    total["lambda.duration"] = total["lambda"] - total["lambda.requests"]
    return total


def table(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for front in ("http_api", "function_url"):
        for cdn in (False, True):
            for gz in (False, True):
                for limit in (10, 20, 50, 100):
                    for lazy in (False, True):
                        per = page_view_cost(r, front, cdn, gz, limit, lazy)
                        per = {k: v for k, v in per.items() if "." not in k}
                        rows.append(
                            {
                                "front": front,
                                "cdn": cdn,
                                "gzip": gz,
                                "limit": limit,
                                "lazy": lazy,
                                **{k: round(v * 1e6, 3) for k, v in per.items()},
                            }
                        )
    return rows


DEFAULT = {"front": "function_url", "cdn": False, "gzip": True, "limit": 10, "lazy": True}


def markdown(r: dict[str, Any]) -> str:
    """The tables for bench/RESULTS.md."""
    out = [f"Engine: {r['engine']}. Corpus: {r['corpus']}.", ""]
    out += [
        "| read (first page) | DynamoDB requests | read units | body bytes | + headers |"
        " Parley CPU ms | of which gzip ms | Lambda ms (est.) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, m in r["reads"].items():
        out.append(
            f"| {key} | {' + '.join(m['requests'])} | {m['units']:g} | {m['bytes']:,} |"
            f" {m['header_bytes']:,} | {m['parley_cpu_ms']:.2f} | {m['gzip_compress_ms']:.2f} |"
            f" {m['lambda_ms']:.1f} |"
        )
    out += fragment_cost.rows(r.get("fragment", {}))
    for key, m in r["embed"].items():
        label = "304 (revalidated)" if key == "304" else key
        out.append(
            f"| embed.js {label} | - | 0 | {m['bytes']:,} | {m['header_bytes']:,} |"
            f" {m['parley_cpu_ms']:.2f} | {m['gzip_compress_ms']:.2f} | {m['lambda_ms']:.1f} |"
        )
    post = r["post"]
    units = post["units_by_request"]
    size = r["item_bytes"]
    out += [
        "",
        f"Items (DynamoDB's size: names plus values): the thread {size['thread']:,} bytes; a"
        f" comment's public part (what a page view reads) median {size['public_median']:,.0f},"
        f" the first 20 together {size['public_first_20']:,}; its private part (source, email,"
        f" IP hash: not read by a page view) median {size['private_median']:,.0f}, the first"
        f" 20 together {size['private_first_20']:,}.",
        "",
        f"A post (median of {post['posts']}): "
        + " + ".join(f"{op} ({u:g})" for op, u in zip(post["requests"], units, strict=True))
        + ","
        f" {post['wru_median']:g} write units, {post['rru_median']:g} read units,"
        f" Lambda {post['lambda_ms_median']:.1f} ms (est.).",
        "",
        "Dollars per million page views (columns: the front door, Lambda requests and"
        " duration, DynamoDB, transfer out, CloudFront requests):",
        "",
        "| front | CloudFront | gzip | page | lazy thread | front $ | Lambda $ | DynamoDB $ |"
        " transfer $ | CloudFront $ | **total $** |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(x: dict[str, Any]) -> str:
        mark = " (default)" if all(x[k] == v for k, v in DEFAULT.items()) else ""
        return (
            f"| {x['front']}{mark} | {'yes' if x['cdn'] else 'no'} | {'yes' if x['gzip'] else 'no'}"
            f" | {x['limit']} | {'yes' if x['lazy'] else 'no'} | {x['front_door']:.3f} |"
            f" {x['lambda']:.3f} | {x['dynamodb']:.3f} | {x['transfer']:.3f} |"
            f" {x['cloudfront']:.3f} | **{x['total']:.2f}** |"
        )

    rows = r["table"]
    # Every front x CDN x gzip at the default page size and lazy thread; then the default with
    # one thing changed (page size, lazy thread).
    chosen = [x for x in rows if x["limit"] == DEFAULT["limit"] and x["lazy"]]
    chosen += [
        x
        for x in rows
        if x["front"] == "function_url" and not x["cdn"] and x["gzip"]
        and (x["limit"] != DEFAULT["limit"] or not x["lazy"])
    ]  # fmt: skip
    out += [row(x) for x in chosen]
    d = page_view_cost(r, "function_url", False, True, DEFAULT["limit"], True)
    m = {k: v * 1e6 for k, v in d.items()}
    out += [
        "",
        f"The default, ${m['total']:.3f} per million page views, item by item: Lambda requests"
        f" {m['lambda.requests']:.3f} ({SCROLL_SHARE + EMBED_FETCH_SHARE + EMBED_304_SHARE:.2f}"
        f" invocations a view), Lambda duration {m['lambda.duration']:.3f}, DynamoDB"
        f" {m['dynamodb']:.3f}, transfer of the widget {m['widget.transfer']:.3f} (and"
        f" {m['widget_304.transfer']:.3f} for its 304s), transfer of the thread"
        f" {m['thread.transfer']:.3f}.",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    main()
