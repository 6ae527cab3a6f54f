"""Every line AWS bills for one page view, by configuration, and what each lever moves.

    ../.venv/bin/python page_view.py          (from bench/, after cost.py; reads its results)

Measured (bench/cost.py's results/cost.json, this tree's backend/static/widget.json): the
thread read's bytes, headers, Lambda time and DynamoDB read units; the loader's and the
304's bytes and Lambda time; the loader's and the bundle's brotli bytes. Prices: cost.PRICES.
Assumed, each named below and printed: the shares (scroll, loader fetch/304, bundle not yet
in the browser's cache, full TLS handshakes, cold starts, thread reads a warm sandbox answers
from a kept page and the 304s among them), the counts answer, the TLS bytes, the runtime's log
lines, the init duration on Lambda.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import lib
from cost import (
    EMBED_304_SHARE,
    EMBED_FETCH_SHARE,
    FRONT_HEADER_BYTES,
    GB,
    LAMBDA_CPU_SHARE,
    LAMBDA_MEMORY_GB,
    PRICES,
    SCROLL_SHARE,
)

# Assumed. The bundle is immutable for a year: a scrolling view fetches it only when the
# browser has not got this version yet (a reader's first scroll after each deploy).
BUNDLE_FETCH_SHARE = 0.5
COLD_START_SHARE = 0.03  # of invocations; a blog at ~0.4 views/s keeps a sandbox warm
# Measured: `import backend.lambda_handler` and its first thread read from the artifact
# (`coldstart.py --artifact ZIP --first-read`), 213 ms CPU at a full core, median of 41 rounds
# (bench/RESULTS.md, "Cold start without botocore"; the import alone was 603 ms under a heavier
# load, 361-371 ms in the same rounds before the reads' own client); Lambda's 1,024 MB gets
# LAMBDA_CPU_SHARE of one. A sandbox's first write adds ~270 ms more (botocore, built then):
# not a page view's, and not counted here.
INIT_CPU_MS = 213.0
# The runtime's START, END and REPORT lines of a healthy invocation, text format (assumed
# from their documented shape); none with SystemLogLevel=WARN.
PLATFORM_LOG_BYTES = 330
# TLS 1.3 from the Function URL: a full handshake sends the certificate chain (~4.5 KB with
# Amazon's RSA chain), a resumed one ~350 bytes; record framing ~1.5% of the payload.
TLS_FULL_BYTES = 4500
TLS_RESUMED_BYTES = 350
TLS_FULL_SHARE = 0.5  # of page views that open a connection to the API
TLS_RECORD_OVERHEAD = 0.015
# GET /api/v1/counts for one page, used only with results from before cost.py measured it:
# one GetItem of the thread item (0.5 read unit), a ~40-byte body, a cached read's time.
COUNTS_UNITS = 0.5
COUNTS_BODY = 40
COUNTS_LAMBDA_MS = 6.0
# GET /api/v1/recent (a `data-parley-recent` box, drawn with the thread): 0.5 read unit for the
# Query of the approved index and 0.5 a comment (measured on DynamoDB Local for 5:
# tests/test_dynamo_desk.py), ~250 bytes a comment, a counts-like Lambda time; its answer is
# public for a minute, so a reader's next pages within it reuse it (assumed share fetched).
RECENT_UNITS_EACH = 0.5
RECENT_BYTES_EACH = 250
RECENT_LAMBDA_MS = 8.0
RECENT_FETCH_SHARE = 0.7
# Assumed, not measured: the share of thread reads whose first page the serving sandbox kept
# and whose thread has not changed since (backend/api/comments.py): one GetItem of the stamp
# instead of the Query. A blog's reads gather on a few recent posts, a thread changes a few
# times a day, and at these rates one or two warm sandboxes serve a site; a cold start keeps
# nothing. The other reads are counted as a kept page gone stale (the GetItem, then the
# Query), the dearer of the two ways to miss.
KEPT_SHARE = 0.7
# Assumed, not measured: of the kept reads, the share whose browser holds that same answer (a
# reload, a return within the thread's life) and gets a 304 without a body.
REVALIDATED_SHARE = 0.1


@dataclass(frozen=True)
class Config:
    name: str
    loader: str = "api"  # "api": /embed.js from Lambda; "self": the blog's host
    counts: str = "api"  # "api": one counts request a view; "page": from the page
    limit: int = 10
    # "warn": serverless.yml's LoggingConfig (JSON, SystemLogLevel and ApplicationLogLevel
    # WARN: no line for a healthy invocation); "text": Lambda's default, START/END/REPORT.
    logs: str = "warn"
    cold_share: float = COLD_START_SHARE
    recent: int = 0  # comments in a recent box beside the thread; 0: no box
    # The thread answer's coding: "gzip6" is what Parley sends; the others are what the same
    # body weighs in them (bench/cost.py), a lever not built (no brotli in the function).
    coding: str = "gzip6"
    # Share of thread reads answered from a page the sandbox kept (0: every read the Query).
    kept: float = KEPT_SHARE


BEFORE = Config(
    "before: paste-and-go, Lambda's default logs (Text, INFO), pages of 20, every read the Query",
    logs="text",
    limit=20,
    kept=0.0,
)
PASTE_AND_GO = Config("paste-and-go: /embed.js and counts from the API")
SELF_HOSTED = Config("recommended: widget from the blog's host, counts from the page",
                     "self", "page")  # fmt: skip


def lines(r: dict[str, Any], widget: dict[str, Any], c: Config) -> dict[str, float]:
    """Dollars per page view, line by line."""
    p = PRICES
    read = dict(r["reads"][f"limit{c.limit}_gzip"])
    if c.coding != "gzip6":
        read["bytes"] = r["reads"][f"limit{c.limit}"]["codings"][c.coding]
    if c.kept and f"kept{c.limit}_gzip" in r["reads"]:
        # The thread read as a mix: kept and unchanged (200 from memory, or a 304), else a
        # kept page gone stale (the stamp's GetItem, then the Query).
        kept, not_modified = r["reads"][f"kept{c.limit}_gzip"], r["reads"][f"kept{c.limit}_304"]
        stale = dict(r["reads"][f"stale{c.limit}_gzip"])
        if c.coding != "gzip6":
            stale["bytes"] = read["bytes"]
        mix = ((c.kept * (1 - REVALIDATED_SHARE), kept), (c.kept * REVALIDATED_SHARE,
               not_modified), (1 - c.kept, stale))  # fmt: skip
        coded = read["bytes"] if c.coding != "gzip6" else None
        read = {
            "lambda_ms": sum(w * m["lambda_ms"] for w, m in mix),
            "units": sum(w * m["units"] for w, m in mix),
            "bytes": sum(w * (coded if coded is not None and m is not not_modified
                              else m["bytes"]) for w, m in mix),
            "header_bytes": sum(w * m["header_bytes"] for w, m in mix),
        }  # fmt: skip
    loader = r["embed"]["br"]
    revalidated = r["embed"]["304"]
    bundle_bytes = widget["sizes"]["bundle"]["brotli"] + loader["header_bytes"]
    # (invocations, Lambda ms, read units, bytes out) per page view, by request.
    requests = {
        "thread": (SCROLL_SHARE, read["lambda_ms"], read["units"],
                   read["bytes"] + read["header_bytes"]),
    }  # fmt: skip
    if c.loader == "api":
        requests["loader"] = (EMBED_FETCH_SHARE, loader["lambda_ms"], 0.0,
                              loader["bytes"] + loader["header_bytes"])  # fmt: skip
        requests["loader 304"] = (EMBED_304_SHARE, revalidated["lambda_ms"], 0.0,
                                  revalidated["header_bytes"])  # fmt: skip
        requests["bundle"] = (SCROLL_SHARE * BUNDLE_FETCH_SHARE, loader["lambda_ms"], 0.0,
                              bundle_bytes)  # fmt: skip
    if c.counts == "api":
        counted = r.get("counts")  # measured by cost.py (older results: the assumption)
        requests["counts"] = (
            (1.0, counted["lambda_ms"], counted["units"],
             counted["bytes"] + counted["header_bytes"]) if counted
            else (1.0, COUNTS_LAMBDA_MS, COUNTS_UNITS, COUNTS_BODY + read["header_bytes"])
        )  # fmt: skip
    if c.recent:
        requests["recent"] = (SCROLL_SHARE * RECENT_FETCH_SHARE, RECENT_LAMBDA_MS,
                              RECENT_UNITS_EACH * (1 + c.recent),
                              RECENT_BYTES_EACH * c.recent + read["header_bytes"])  # fmt: skip
    invocations = sum(n for n, _, _, _ in requests.values())
    gb_s = sum(n * ms / 1000 * LAMBDA_MEMORY_GB for n, ms, _, _ in requests.values())
    units = sum(n * u for n, _, u, _ in requests.values())
    body = sum(n * b for n, _, _, b in requests.values())
    contact = 1.0 if (c.loader == "api" or c.counts == "api") else SCROLL_SHARE
    tls = contact * (TLS_FULL_SHARE * TLS_FULL_BYTES + (1 - TLS_FULL_SHARE) * TLS_RESUMED_BYTES)
    tls += body * TLS_RECORD_OVERHEAD
    init_ms = INIT_CPU_MS / LAMBDA_CPU_SHARE
    out = {
        "invocations": invocations,
        "bytes": body,
        "lambda requests": invocations * p["lambda_per_million_requests"] / 1e6,
        "lambda duration": gb_s * p["lambda_arm64_per_gb_s"],
        "lambda init (cold starts)": invocations * c.cold_share * init_ms / 1000
        * LAMBDA_MEMORY_GB * p["lambda_arm64_per_gb_s"],
        "dynamodb reads": units * p["dynamodb_per_million_rru"] / 1e6,
        "transfer: bodies and headers": body * p["transfer_out_per_gb"] / GB,
        "transfer: TLS": tls * p["transfer_out_per_gb"] / GB,
        "cloudwatch logs": invocations * (PLATFORM_LOG_BYTES if c.logs == "text" else 0)
        * p["cloudwatch_logs_ingestion_per_gb"] / GB,
    }  # fmt: skip
    for name, (n, _, _, b) in requests.items():
        out[f"bytes: {name}"] = n * b
    out["total"] = sum(v for k, v in out.items() if k not in ("invocations", "bytes")
                       and not k.startswith("bytes:"))  # fmt: skip
    return out


# From before to the recommended configuration, one lever at a time: (name, what it changes
# for a reader, the change, built today?).
LEVERS: list[tuple[str, str, dict[str, Any], str]] = [
    ("quiet logs (serverless.yml: JSON, WARN)",
     "none; warnings and errors are still logged", {"logs": "warn"}, "yes, the default"),
    ("widget from the blog's host (`parley widget --out`)",
     "none: the same script; a copy older than the API's gives way to the API's bundle",
     {"loader": "self"}, "yes, README's recommendation"),
    ("counts from the page (fragment or build-time counts file)",
     "an index page's counts are as of the site's last build", {"counts": "page"},
     "yes, README's recommendation"),
    ("first page of 10, \"more\" after it",
     "a thread of more than 10 comments shows 10, then a button and a second request",
     {"limit": 10}, "yes, the widget's default (PAGE in widget/build.mjs)"),
    (f"a warm sandbox keeps first pages: an unchanged thread is one GetItem ({KEPT_SHARE:.0%}"
     f" of reads assumed), {REVALIDATED_SHARE:.0%} of those a 304",
     "none: every write a read shows moves the thread's stamp, so the next read is the Query"
     " again (eventually consistent, as the Query was)", {"kept": KEPT_SHARE},
     "yes (DynamoDB: the thread item's stamp)"),
    ("brotli (quality 5) for the thread answer instead of gzip 6",
     "none: browsers accept br over HTTPS", {"coding": "br5"},
     "no: needs a brotli library in the function"),
]  # fmt: skip


def report(r: dict[str, Any], widget: dict[str, Any]) -> str:
    per_m = 1e6
    configs = [
        BEFORE,
        PASTE_AND_GO,
        SELF_HOSTED,
        replace(SELF_HOSTED, name="recommended, pages of 20, every read the Query (before this"
                " round's levers)", limit=20, kept=0.0),
        replace(SELF_HOSTED, name="recommended, no page kept (every read the Query)", kept=0.0),
        replace(SELF_HOSTED, name="recommended, 90% of reads kept", kept=0.9),
        replace(SELF_HOSTED, name="recommended, cold starts on 1% of invocations",
                cold_share=0.01),
        replace(SELF_HOSTED, name="recommended + brotli 5 (not built)", coding="br5"),
        replace(SELF_HOSTED, name="recommended, 90% kept and 1% cold (both assumed), brotli 5"
                " (not built)", kept=0.9, cold_share=0.01, coding="br5"),
        replace(PASTE_AND_GO, name="paste-and-go with a recent box of 5", recent=5),
    ]  # fmt: skip
    configs = [c for c in configs if f"limit{c.limit}_gzip" in r["reads"]]
    keys = [k for k in lines(r, widget, PASTE_AND_GO) if k not in ("invocations", "bytes",
                                                                    "total")]  # fmt: skip
    money = [k for k in keys if not k.startswith("bytes:")]
    out = ["| configuration | Lambda invocations / view | bytes out / view | "
           + " | ".join(money) + " | **total $ per million views** |",
           "|---|---:|---:|" + "---:|" * len(money) + "---:|"]  # fmt: skip
    for c in configs:
        x = lines(r, widget, c)
        out.append(f"| {c.name} | {x['invocations']:.2f} | {x['bytes']:,.0f} | "
                   + " | ".join(f"{x[k] * per_m:.3f}" for k in money)
                   + f" | **{x['total'] * per_m:.3f}** |")  # fmt: skip
    out += [
        "",
        "| lever (applied in turn from before) | what it changes for a reader | built |"
        " $ per million after | saved | share of the saving |",
        "|---|---|---|---:|---:|---:|",
    ]
    current = BEFORE
    start = lines(r, widget, current)["total"]
    steps = []
    for name, reader, change, built in LEVERS:
        if "limit" in change and f"limit{change['limit']}_gzip" not in r["reads"]:
            continue
        before = lines(r, widget, current)["total"]
        current = replace(current, **change)
        after = lines(r, widget, current)["total"]
        steps.append((name, reader, built, after, before - after))
    saved = start - lines(r, widget, current)["total"]
    for name, reader, built, after, delta in steps:
        out.append(f"| {name} | {reader} | {built} | {after * per_m:.3f} | {delta * per_m:.3f} |"
                   f" {delta / saved:.0%} |")  # fmt: skip
    out += ["", "Assumptions: " + ", ".join(f"{k} {v}" for k, v in ASSUMED.items()) + "."]
    return "\n".join(out)


ASSUMED = {
    "scroll share": SCROLL_SHARE,
    "loader fetched / 304 (API-hosted, max-age=300)": f"{EMBED_FETCH_SHARE} / {EMBED_304_SHARE}",
    "bundle not yet cached (of scrolling views)": BUNDLE_FETCH_SHARE,
    "cold starts (of invocations)": COLD_START_SHARE,
    "init CPU ms (measured, full core)": INIT_CPU_MS,
    "platform log bytes per invocation": PLATFORM_LOG_BYTES,
    "TLS full / resumed handshake bytes": f"{TLS_FULL_BYTES} / {TLS_RESUMED_BYTES}",
    "full handshakes (of views that reach the API)": TLS_FULL_SHARE,
    "counts": "measured by cost.py (one uri)",
    "thread reads answered from a kept page (recommended)": KEPT_SHARE,
    "of those, a 304 (the browser holds the answer)": REVALIDATED_SHARE,
    "the other reads": "a kept page gone stale (GetItem + Query, measured)",
    "recent box: read units a comment (+1 Query), bytes a comment, Lambda ms, fetched share": (
        f"{RECENT_UNITS_EACH}, {RECENT_BYTES_EACH}, {RECENT_LAMBDA_MS}, {RECENT_FETCH_SHARE}"
    ),
    "front door": "Function URL (no per-request price), no CloudFront",
    "free tier": "not counted",
}


def main() -> None:
    measured = json.loads((lib.RESULTS / "cost.json").read_text())
    widget = json.loads((lib.ROOT / "backend" / "static" / "widget.json").read_text())
    text = report(measured, widget)
    lib.save("page_view", {"report": text, "assumed": ASSUMED, "front_header_bytes":
                           FRONT_HEADER_BYTES})  # fmt: skip
    print(text)


if __name__ == "__main__":
    main()
