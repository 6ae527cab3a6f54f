"""Every line AWS bills for one page view, by configuration, and what each lever moves.

    ../.venv/bin/python page_view.py          (from bench/, after cost.py; reads its results)

Measured (bench/cost.py's results/cost.json, this tree's backend/static/widget.json): the
thread read's bytes, headers, Lambda time and DynamoDB read units; the check of a thread built
into the page (bench/fragment_cost.py); the loader's and the 304's bytes and Lambda time; the
counts answer; the loader's and the bundle's brotli bytes. Prices: cost.PRICES. The model and
its assumptions (each named and printed): bench/page_model.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import lib
from cost import EMBED_304_SHARE, EMBED_FETCH_SHARE, SCROLL_SHARE
from cost_measure import FRONT_HEADER_BYTES
from page_model import (
    BUNDLE_FETCH_SHARE,
    CHANGED_SHARE,
    COLD_START_SHARE,
    COLD_START_SOURCE,
    INIT_CPU_MS,
    INIT_SOURCE,
    INIT_WAIT_MS,
    KEPT_SHARE,
    PLATFORM_LOG_BYTES,
    RECENT_BYTES_EACH,
    RECENT_FETCH_SHARE,
    RECENT_LAMBDA_MS,
    RECENT_UNITS_EACH,
    REVALIDATED_SHARE,
    TLS_FULL_BYTES,
    TLS_FULL_SHARE,
    TLS_RESUMED_BYTES,
    Config,
    lines,
)

BEFORE = Config(
    "before: paste-and-go, Lambda's default logs (Text, INFO), pages of 20, every read the Query",
    logs="text",
    limit=20,
    kept=0.0,
)
PASTE_AND_GO = Config("paste-and-go: /embed.js and counts from the API")
SELF_HOSTED = Config("widget from the blog's host, counts from the page, thread read when"
                     " neared", "self", "page")  # fmt: skip
BUILT = Config("recommended (a generator's site): widget from the blog's host, thread and counts"
               " built into the page, checked when neared", "self", "page",
               thread="built")  # fmt: skip


# From before to the recommended configuration, one lever at a time: (name, what it changes
# for a reader, the change, built today?).
LEVERS: list[tuple[str, str, dict[str, Any], str]] = [
    ("quiet logs (serverless.yml: JSON, WARN)",
     "none; warnings and errors are still logged", {"logs": "warn"}, "yes, the default"),
    ("widget from the blog's host (`parley widget --out`)",
     "none: the same script; a copy older than the API's gives way to the API's bundle",
     {"loader": "self"}, "yes"),
    ("counts from the page (fragment or build-time counts file)",
     "an index page's counts are as of the site's last build", {"counts": "page"},
     "yes"),
    ("first page of 10, \"more\" after it",
     "a thread of more than 10 comments shows 10, then a button and a second request",
     {"limit": 10}, "yes, the widget's default (PAGE in widget/build.mjs)"),
    (f"a warm sandbox keeps first pages: an unchanged thread is one GetItem ({KEPT_SHARE:.0%}"
     f" of reads assumed), {REVALIDATED_SHARE:.0%} of those a 304",
     "none: every write a read shows moves the thread's stamp, so the next read is the Query"
     " again (eventually consistent, as the Query was)", {"kept": KEPT_SHARE},
     "yes (DynamoDB: the thread item's stamp)"),
    ("thread built into the page (comments.html at the site's build), checked by the one read"
     f" when the reader nears it: a 204 unless changed ({CHANGED_SHARE:.0%} assumed)",
     "the reader sees the thread at once, in the page's HTML (and so do readers without"
     " JavaScript); a comment, like or edit since the build arrives when they near the thread",
     {"thread": "built"}, "yes: docs/widget.md's snippets per generator"),
    ("brotli (quality 5) for the thread answer instead of gzip 6",
     "none: browsers accept br over HTTPS", {"coding": "br5"},
     "no: needs a brotli library in the function"),
]  # fmt: skip


def report(r: dict[str, Any], widget: dict[str, Any]) -> str:
    per_m = 1e6
    three = "cold starts on 3% of invocations (instead of AWS's documented <1%)"
    configs = [
        BEFORE,
        PASTE_AND_GO,
        replace(PASTE_AND_GO, name=f"paste-and-go, {three}", cold_share=0.03),
        SELF_HOSTED,
        replace(SELF_HOSTED, name=f"the same, {three}", cold_share=0.03),
        replace(SELF_HOSTED, name="the same, no page kept (every read the Query)", kept=0.0),
        replace(SELF_HOSTED, name="the same, 90% of reads kept", kept=0.9),
        replace(SELF_HOSTED, name="the same + brotli 5 (not built)", coding="br5"),
        BUILT,
        replace(BUILT, name=f"recommended, {three}", cold_share=0.03),
        replace(BUILT, name="recommended, 10% of checks find the thread changed", changed=0.1),
        replace(BUILT, name="recommended, every check finds the thread changed (never rebuilt)",
                changed=1.0),
        replace(BUILT, name="recommended, no page kept (every read the Query)", kept=0.0),
        replace(PASTE_AND_GO, name="paste-and-go with a recent box of 5", recent=5),
    ]  # fmt: skip
    configs.insert(configs.index(BUILT) + 1, replace(
        BUILT, name="recommended, with the last model's init inputs (3% cold, 603 ms)",
        cold_share=0.03, init_cpu_ms=603.0))  # fmt: skip
    configs.insert(configs.index(SELF_HOSTED) + 1, replace(
        SELF_HOSTED, name="the same, with the last model's init inputs (3% cold, 603 ms)",
        cold_share=0.03, init_cpu_ms=603.0))  # fmt: skip
    configs = [c for c in configs if f"limit{c.limit}_gzip" in r["reads"]
               and (c.thread != "built" or "fragment" in r)]  # fmt: skip
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
    out += [
        "",
        even(r, widget),
        "",
        "Assumptions: " + ", ".join(f"{k} {v}" for k, v in ASSUMED.items()) + ".",
    ]
    return "\n".join(out)


def even(r: dict[str, Any], widget: dict[str, Any], budget: float = 0.30) -> str:
    """The share of changed threads at which the recommended configuration costs the budget
    (the model is linear in it)."""
    at = [lines(r, widget, replace(BUILT, changed=x))["total"] * 1e6 for x in (0.0, 1.0)]
    share = (budget - at[0]) / (at[1] - at[0])
    return (
        f"The recommended configuration costs ${at[0]:.3f} per million views when no check"
        f" finds the thread changed and ${at[1]:.3f} when every one does: ${budget:.2f} while"
        f" at most {share:.0%} of checks find it changed (assumed: {CHANGED_SHARE:.0%})."
    )


ASSUMED = {
    "scroll share": SCROLL_SHARE,
    "loader fetched / 304 (API-hosted, max-age=300)": f"{EMBED_FETCH_SHARE} / {EMBED_304_SHARE}",
    "bundle not yet cached (of scrolling views)": BUNDLE_FETCH_SHARE,
    "cold starts (of invocations)": f"{COLD_START_SHARE} ({COLD_START_SOURCE})",
    "init CPU ms (measured, full core)": f"{INIT_CPU_MS} ({INIT_SOURCE})",
    "init wait ms (SSM GetParameter)": INIT_WAIT_MS,
    "platform log bytes per invocation": PLATFORM_LOG_BYTES,
    "TLS full / resumed handshake bytes": f"{TLS_FULL_BYTES} / {TLS_RESUMED_BYTES}",
    "full handshakes (of views that reach the API)": TLS_FULL_SHARE,
    "counts": "measured by cost.py (one uri)",
    "thread reads answered from a kept page": KEPT_SHARE,
    "of those, a 304 (the browser holds the answer)": REVALIDATED_SHARE,
    "the other reads": "a kept page gone stale (GetItem + Query, measured)",
    "thread built into the page: checks that find it changed since the build": CHANGED_SHARE,
    "checks from a sandbox without the page": f"{1 - KEPT_SHARE:.1f} (a changed thread: counted"
    " as a kept page gone stale, GetItem + Query)",
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
