"""Every line AWS bills for one page view of a configuration: the model bench/page_view.py
prints. Measured inputs come from bench/cost.py's results; every other input is a named
assumption here, printed beside the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cost import (
    EMBED_304_SHARE,
    EMBED_FETCH_SHARE,
    GB,
    LAMBDA_MEMORY_GB,
    PRICES,
    SCROLL_SHARE,
)
from cost_measure import LAMBDA_CPU_SHARE

# Assumed. The bundle is immutable for a year: a scrolling view fetches it only when the
# browser has not got this version yet (a reader's first scroll after each deploy).
BUNDLE_FETCH_SHARE = 0.5
# Documented, not measured here: "an analysis of production Lambda workloads shows that cold
# starts typically occur in under 1% of invocations" (AWS Lambda Operator Guide, "Lambda
# execution environments", docs.aws.amazon.com/lambda/latest/operatorguide/
# execution-environments.html). It holds for the traffic the per-million figure is about: a
# million page views a month at 0.35 invocations a view is ~0.13 invocations a second, so a
# warm sandbox rarely idles long enough to be reclaimed. A blog of a few thousand views a month
# starts cold far more often, and the free tier covers all of it (not counted).
COLD_START_SHARE = 0.01
COLD_START_SOURCE = (
    "AWS Lambda Operator Guide, 'Lambda execution environments': cold starts typically occur"
    " in under 1% of invocations of production workloads"
)
# Measured: `import backend.lambda_handler` and its first thread read from the artifact
# (`coldstart.py --artifact ZIP --first-read`), 213 ms CPU at a full core, median of 41 rounds
# (bench/RESULTS.md, "Cold start without botocore"; the import alone, `coldstart.py --artifact`
# without --first-read, 172 and 206 ms in two runs of 21 rounds at 12:01 UTC, and 313 and 344 ms
# for the handler before the reads' own client in the same rounds). Lambda's 1,024 MB gets
# LAMBDA_CPU_SHARE of one core. A sandbox's first write adds ~270 ms more (botocore, built
# then): not a page view's, and not counted here.
INIT_CPU_MS = 213.0
INIT_SOURCE = "coldstart.py --artifact --first-read, 41 rounds: 213 ms CPU, import and first read"
# Assumed: the init's one wait, the secret keys' SSM GetParameter over a new connection in the
# region (billed as init duration, no CPU).
INIT_WAIT_MS = 20.0
# The runtime's START, END and REPORT lines of a healthy invocation, text format (assumed
# from their documented shape); none with SystemLogLevel=WARN.
PLATFORM_LOG_BYTES = 330
# TLS 1.3 from the Function URL: a full handshake sends the certificate chain (~4.5 KB with
# Amazon's RSA chain), a resumed one ~350 bytes; record framing ~1.5% of the payload.
TLS_FULL_BYTES = 4500
TLS_RESUMED_BYTES = 350
TLS_FULL_SHARE = 0.5  # of page views that open a connection to the API
TLS_RECORD_OVERHEAD = 0.015
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
# instead of the Query. The other reads are counted as a kept page gone stale (the GetItem,
# then the Query), the dearer of the two ways to miss.
KEPT_SHARE = 0.7
# Assumed, not measured: of the kept reads, the share whose browser holds that same answer (a
# reload, a return within the thread's life) and gets a 304 without a body.
REVALIDATED_SHARE = 0.1
# Assumed, not measured: with the thread built into the page, the share of the loader's checks
# (its one read when the reader nears it) that find the thread changed since the site's build
# (a comment, a like, an edit, a moderation: anything a reader sees). A site built when a post
# is published, whose comments and views both gather in the days after: about half.
CHANGED_SHARE = 0.5


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
    # "read": the loader reads the first page when the reader nears #parley; "built": the
    # page carries the thread (comments.html at build) and the loader's one read then carries
    # the fragment's ETag: a 204 while the thread is the one built, else the first page.
    thread: str = "read"
    changed: float = CHANGED_SHARE
    init_cpu_ms: float = INIT_CPU_MS


Request = tuple[float, float, float, float]  # (per view, Lambda ms, read units, bytes out)


def thread_read(r: dict[str, Any], c: Config) -> dict[str, float]:
    """One read of the thread's first page (JSON), as a mix over what the sandbox kept."""
    read = dict(r["reads"][f"limit{c.limit}_gzip"])
    if c.coding != "gzip6":
        read["bytes"] = r["reads"][f"limit{c.limit}"]["codings"][c.coding]
    if not c.kept or f"kept{c.limit}_gzip" not in r["reads"]:
        return read
    # Kept and unchanged (200 from memory, or a 304), else a kept page gone stale (the
    # stamp's GetItem, then the Query).
    kept, not_modified = r["reads"][f"kept{c.limit}_gzip"], r["reads"][f"kept{c.limit}_304"]
    stale = dict(r["reads"][f"stale{c.limit}_gzip"])
    coded = read["bytes"] if c.coding != "gzip6" else None
    mix = ((c.kept * (1 - REVALIDATED_SHARE), kept), (c.kept * REVALIDATED_SHARE,
           not_modified), (1 - c.kept, stale))  # fmt: skip
    return {
        "lambda_ms": sum(w * m["lambda_ms"] for w, m in mix),
        "units": sum(w * m["units"] for w, m in mix),
        "bytes": sum(w * (coded if coded is not None and m is not not_modified
                          else m["bytes"]) for w, m in mix),
        "header_bytes": sum(w * m["header_bytes"] for w, m in mix),
    }  # fmt: skip


def fragment_check(r: dict[str, Any], c: Config) -> Request:
    """The loader's one read of a thread built into the page, per scrolling view (measured by
    bench/fragment_cost.py): unchanged since the build, a 204 from the thread's stamp; changed,
    the first page, from a page the sandbox kept under the new stamp (the kept share) or else
    after the Query (counted as a kept page gone stale, the dearer way to miss)."""
    f = r["fragment"]
    unchanged = ((c.kept, f["check_unchanged_kept"]), (1 - c.kept, f["check_unchanged_cold"]))
    changed = ((c.kept, f["check_changed_kept"]), (1 - c.kept, f["check_changed_stale"]))
    mix = [((1 - c.changed) * w, m) for w, m in unchanged]
    mix += [(c.changed * w, m) for w, m in changed]
    page = thread_read(r, replace(c, kept=0.0))["bytes"]  # the first page in c's coding

    def body(m: dict[str, Any]) -> float:
        return page if m["bytes"] and c.coding != "gzip6" else m["bytes"]

    return (
        SCROLL_SHARE,
        sum(w * m["lambda_ms"] for w, m in mix),
        sum(w * m["units"] for w, m in mix),
        sum(w * (body(m) + m["header_bytes"]) for w, m in mix),
    )


def requests_of(r: dict[str, Any], widget: dict[str, Any], c: Config) -> dict[str, Request]:
    """What a page view asks of Lambda, by request."""
    read = thread_read(r, c)
    as_read = (read["lambda_ms"], read["units"], read["bytes"] + read["header_bytes"])
    out: dict[str, Request] = {}
    if c.thread == "built":
        out["thread (built in, checked)"] = fragment_check(r, c)
    else:
        out["thread"] = (SCROLL_SHARE, *as_read)
    loader = r["embed"]["br"]
    if c.loader == "api":
        revalidated = r["embed"]["304"]
        bundle_bytes = widget["sizes"]["bundle"]["brotli"] + loader["header_bytes"]
        out["loader"] = (EMBED_FETCH_SHARE, loader["lambda_ms"], 0.0,
                         loader["bytes"] + loader["header_bytes"])  # fmt: skip
        out["loader 304"] = (EMBED_304_SHARE, revalidated["lambda_ms"], 0.0,
                             revalidated["header_bytes"])  # fmt: skip
        out["bundle"] = (SCROLL_SHARE * BUNDLE_FETCH_SHARE, loader["lambda_ms"], 0.0,
                         bundle_bytes)  # fmt: skip
    if c.counts == "api":
        counted = r["counts"]
        out["counts"] = (1.0, counted["lambda_ms"], counted["units"],
                         counted["bytes"] + counted["header_bytes"])  # fmt: skip
    if c.recent:
        out["recent"] = (SCROLL_SHARE * RECENT_FETCH_SHARE, RECENT_LAMBDA_MS,
                         RECENT_UNITS_EACH * (1 + c.recent),
                         RECENT_BYTES_EACH * c.recent + read["header_bytes"])  # fmt: skip
    return out


def lines(r: dict[str, Any], widget: dict[str, Any], c: Config) -> dict[str, float]:
    """Dollars per page view, line by line."""
    p = PRICES
    requests = requests_of(r, widget, c)
    invocations = sum(n for n, _, _, _ in requests.values())
    gb_s = sum(n * ms / 1000 * LAMBDA_MEMORY_GB for n, ms, _, _ in requests.values())
    units = sum(n * u for n, _, u, _ in requests.values())
    body = sum(n * b for n, _, _, b in requests.values())
    # A connection (and its handshake) for each view that reaches the API at all.
    contact = 1.0 if (c.loader == "api" or c.counts == "api") else SCROLL_SHARE
    tls = contact * (TLS_FULL_SHARE * TLS_FULL_BYTES + (1 - TLS_FULL_SHARE) * TLS_RESUMED_BYTES)
    tls += body * TLS_RECORD_OVERHEAD
    init_ms = c.init_cpu_ms / LAMBDA_CPU_SHARE + INIT_WAIT_MS
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
