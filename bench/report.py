"""Write bench/RESULTS.md from bench/.work/results/ (the last step of bench/run.sh).

    .venv/bin/python bench/report.py

Every figure comes from a results file that one of the bench scripts wrote in this run; a
figure whose file is missing is written as "not measured" with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import lib

OUT = lib.BENCH / "RESULTS.md"


def load(name: str) -> Any:
    path = lib.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def machine() -> dict[str, str]:
    path = lib.RESULTS / "machine.txt"
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def coldstart() -> dict[str, Any] | None:
    path = lib.RESULTS / "coldstart.txt"
    if not path.exists():
        return None
    text = path.read_text()
    out: dict[str, Any] = {"text": text.strip()}
    m = re.search(r"coldstart_ratio=([\d.]+)", text)
    out["ratio"] = float(m.group(1)) if m else None
    for line in text.splitlines():
        if line.startswith("{"):
            out["json"] = json.loads(line)
    return out


def n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def section_machine(m: dict[str, str]) -> list[str]:
    return [
        "## Machine and method",
        "",
        f"- Date: {m.get('date_utc', '?')}; commit {m.get('commit', '?')}; "
        f"`make bench` took {m.get('runtime_s', '?')} s.",
        f"- CPU: {m.get('cpu', '?')}, **{m.get('cores', '?')} cores shared by the servers and "
        f"the load generator** (wrk, Chromium run on the same cores); {m.get('memory', '?')} "
        f"RAM; Linux {m.get('kernel', '?')}; Python {m.get('python', '?')}; "
        f"{m.get('wrk', 'wrk')}; {m.get('chromium', 'chromium')}.",
        f"- Load average before / after the run: {m.get('load_before', '?')} / "
        f"{m.get('load_after', '?')} (other work on the machine shows up as run-to-run spread).",
        "- Servers on 127.0.0.1 only. `parley serve` and the floor run uvicorn with one process "
        "and the same settings (no access log, no server header); the venv has neither "
        "`httptools` nor `uvloop`, so both use h11 + asyncio. Isso 0.14.0 runs under gunicorn "
        "with one sync worker. Every load is bounded: "
        f"`wrk -t{lib.WRK_THREADS} -c{lib.WRK_CONNS} -d{lib.WRK_SECONDS}s --latency`, "
        f"{lib.ROUNDS} rounds (Parley and the floor back to back, their order swapped each "
        "round, then Isso), medians reported; latency runs use `-c1`.",
        "- Reproduce: `make bench` (= `sh bench/run.sh` after `make setup widget`); each script "
        "below also runs alone from `bench/` with `../.venv/bin/python SCRIPT`.",
        "",
    ]


def section_throughput(t: Any, cost: Any, prof: Any) -> list[str]:
    if t is None:
        return ["## Read throughput", "", "Not measured: bench/throughput.py did not finish.", ""]
    rows = []
    for label, name in (("parley", "Parley"), ("floor", "floor"), ("isso", "Isso 0.14")):
        r = t[label]
        runs = ", ".join(n(x["rps"]) for x in r["runs"])
        rows.append(
            f"| {name} | {n(r['rps_median'])} | {r['p50_ms_median']:.2f} | "
            f"{r['p99_ms_median']:.2f} | {runs} | {r['errors']} |"
        )
    rf, ri = t["ratio_floor"], t["ratio_isso"]
    pairs = ", ".join(f"{x:.2f}" for x in t["pair_ratios"])
    lines = [
        "## Read throughput: a 100-comment thread",
        "",
        "Command: `bench/throughput.py` (seeds Parley and Isso with the same 100 comments "
        "through their own APIs, captures Parley's body, serves those bytes from "
        "`bench/floor_app.py`, then runs wrk rounds: Parley and the floor back to back, their "
        "order swapped each round, then Isso; after each run it waits until the server has "
        "answered what wrk left queued).",
        "",
        f"- Parley: `GET /api/v1/comments?site=bench&uri={lib.THREAD_URI}&limit=100` "
        f"({n(t['body_bytes']['parley_floor'])} bytes; the floor answers the same bytes).",
        f"- Isso: `GET /?uri={lib.THREAD_URI}` ({n(t['body_bytes']['isso'])} bytes, its whole "
        "thread, same 100 comments).",
        "",
        "| server | req/s (median) | p50 ms | p99 ms | req/s per round | errors |",
        "|---|---:|---:|---:|---|---:|",
        *rows,
        "",
        f"- Parley / floor: **{rf:.2f}x**, the median of the rounds' back-to-back ratios "
        f"({pairs}); ratio of the medians {t['ratio_floor_of_medians']:.2f}x "
        f"(budget at least 0.5x: {verdict(rf >= 0.5)}).",
        f"- Parley / Isso: **{n(ri)}x** (budget at least 50x: {verdict(ri >= 50)}).",
        f"- Server CPU per request (the server's utime + stime over each run, median): Parley "
        f"{t['cpu_us_per_request']['parley']:.0f} us, floor "
        f"{t['cpu_us_per_request']['floor']:.0f} us, Isso "
        f"{n(t['cpu_us_per_request']['isso'])} us: by CPU, Parley is "
        f"{t['cpu_ratio_floor_over_parley']:.2f}x the floor, less disturbed by other load on "
        "the machine than req/s.",
        "- Method note: a first version of this benchmark reported 0.42x. Isso's single sync "
        "worker kept answering the ~15 requests wrk had left queued (about 2 s each) after its "
        "run ended, on a core the next server's run needed, and Parley's runs happened to follow "
        "Isso's. Waiting for Isso to drain, and pairing Parley with the floor back to back, "
        "removed that; the machine is still shared with other work (see load average).",
    ]
    if cost is not None:
        lines += [
            f"- Where the time goes (`bench/app_cost.py`, the ASGI apps called in process, no "
            f"sockets): Parley's app {cost['parley_app_us']:.0f} us per read, the floor's "
            f"{cost['floor_app_us']:.0f} us, so Parley's own code adds "
            f"{cost['parley_minus_floor_us']:.0f} us per request. Pieces: "
            + "; ".join(f"{k} {v:.0f} us" for k, v in cost["pieces_us"].items())
            + ". The read cache (SQLite thread stamp) serves the stored body, so the uncached "
            "read is paid once per change of the thread; a query string read before is not "
            "parsed again (the read query is listed for scale). What remains of Parley's own "
            "code on a cached read is the stamp lookup and the middleware around every request "
            "(gzip negotiation, security headers, the CDN guard, CORS).",
        ]
    if prof is not None:
        shares = ", ".join(
            f"{k} {v:.0%}" for k, v in list(prof["own_time_share_by_package"].items())[:7]
        )
        top = prof["top_own_time"][0]
        lines += [
            f"- Profile (`bench/profile_read.py`: cProfile of `parley serve` under wrk, own time "
            f"by package): {shares}. The largest single item: `{top['function']}` "
            f"({top['own_s']:.2f} s of the run): writing the 70 KB body to the socket. uvicorn's "
            "pure-Python h11 protocol and the socket writes dominate, and the floor pays them "
            "too; Parley's own code is a few percent.",
        ]
    lines += [
        f"- Note: the floor measured {n(t['floor']['rps_median'])} req/s here, "
        "against ~8,000 in DESIGN.md: this venv's uvicorn runs on h11 (no httptools/uvloop), "
        "the body is 70 KB, and wrk shares the 2 cores.",
        "",
    ]
    if rf < 0.5:
        lines += [
            f"**Budget missed by {(0.5 - rf) / 0.5:.0%}** (0.5x wanted, {rf:.2f}x measured). "
            "See the in-process cost and the profile above for what Parley adds per request.",
            "",
        ]
    return lines


def section_scaling(s: Any) -> list[str]:
    if s is None:
        return ["## How cost grows", "", "Not measured: bench/scaling.py did not finish.", ""]
    lines = [
        "## How cost grows with work",
        "",
        "Command: `bench/scaling.py`. Threads of 10, 100 and 1,000 comments posted through the "
        "HTTP API; the 10,000-comment thread and 100 one-comment threads (for counts) written "
        "in process through `CommentService.post` (the code the API calls, same SQLite file, "
        f"{s['seed_10000_in_process_s']:.1f} s for 10,000) before the server starts.",
        "",
        "Reads, a page of 50 (`limit=50`), through `parley serve`:",
        "",
        "| thread | body bytes | p50 ms (c1) | p99 ms (c1) | req/s (c1) | p50 ms (c16) | "
        "p99 ms (c16) | req/s (c16) | uncached service.read, us |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in s["read_page50"].items():
        c1, c16 = r["c1"], r["c16"]
        unc = s["uncached_service_read_page50_us"][size]
        lines.append(
            f"| {n(int(size))} | {n(r['bytes'])} | {c1['p50_ms']:.2f} | {c1['p99_ms']:.2f} | "
            f"{n(c1['rps'])} | {c16['p50_ms']:.2f} | {c16['p99_ms']:.2f} | {n(c16['rps'])} | "
            f"{n(unc)} |"
        )
    unc = s["uncached_service_read_page50_us"]
    lines += [
        "",
        f"c1 = `wrk -t1 -c1 -d3s --latency`, c16 = `wrk -t1 -c16 -d3s --latency`. The uncached "
        "column times the store path alone (`CommentService.read(site, uri, None, 50)` in "
        f"process, median of 50): {n(unc['100'])} us at 100 comments and {n(unc['10000'])} us at "
        "10,000, so a page costs the same whatever the thread's length (flat: the budget's "
        "shape holds); the HTTP figures are the cached path.",
        "",
        "Counts (`GET /api/v1/counts?site=bench&uri=...` with 1, 10, 100 uris):",
        "",
        "| uris | p50 ms (c1) | p99 ms (c1) | req/s (c1) | p50 ms (c16) | req/s (c16) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for k, r in s["counts"].items():
        c1, c16 = r["c1"], r["c16"]
        lines.append(
            f"| {k} | {c1['p50_ms']:.2f} | {c1['p99_ms']:.2f} | {n(c1['rps'])} | "
            f"{c16['p50_ms']:.2f} | {n(c16['rps'])} |"
        )
    p = s["post_ms"]
    lines += [
        "",
        "Counts grow with the number of uris asked (no read cache on this path), as expected: "
        "the cost is per uri, not per comment.",
        "",
        f"Posts: {p['count']} sequential `POST /api/v1/comments` over HTTP (urllib, a new "
        f"connection each; moderation none): p50 **{p['p50']:.2f} ms**, p99 {p['p99']:.2f} ms, "
        f"max {p['max']:.1f} ms.",
        "",
    ]
    return lines


def section_coldstart(c: Any, imp: Any) -> list[str]:
    lines = ["## Cold start", ""]
    if c is None or c.get("ratio") is None:
        return [*lines, "Not measured: bench/coldstart.py did not finish.", ""]
    r = c["ratio"]
    summary = [ln for ln in c["text"].splitlines() if not ln.startswith("{")]
    artifact = "the artifact" in c["text"]
    command = (
        "`bench/coldstart.py --artifact bench/.work/lambda.zip --stock build/lambda/deps-... "
        "--python <3.12> --runs 41 --paused --json` (the zip `scripts/build_lambda.py` builds "
        "for this machine's architecture, unzipped, run with `python -S` and only its shipped "
        "bytecode, as Lambda runs it; the budget's baseline on the artifact's own pruned "
        "botocore, beside it the same on botocore's every model, as the Lambda runtime's own "
        "boto3 has them, and the same with the collector paused as the handler's init does)"
        if artifact
        else "`bench/coldstart.py --runs 41 --json` (from the venv: no Python 3.12 was found "
        "to run the artifact with)"
    )
    lines += [
        f"Command: {command}: whole-process runs of `import backend.lambda_handler` against "
        '`import boto3; boto3.client("dynamodb")` from the same files, alternated, median of '
        "the per-round ratios of CPU time (user + system), interpreter shutdown left out.",
        "",
        "```",
        *summary,
        "```",
        "",
        f"Ratio **{r:.2f}x** CPU (budget 1.10x: {verdict(r <= 1.10)}).",
        "",
    ]
    breakdown = lib.RESULTS / "coldstart_breakdown.txt"
    if breakdown.exists():
        lines += [
            "Where the handler's extra time goes (`bench/coldstart_breakdown.py --artifact ... "
            "--runs 5`: `python -X importtime`, own import time of the modules the handler "
            "imports and the baseline does not, summed by package; importtime's own overhead "
            "inflates every figure; `backend.lambda_handler` itself is building the settings, "
            "the DynamoDB client, the app and Mangum):",
            "",
            *breakdown.read_text().strip().splitlines(),
            "",
        ]
    elif imp is not None:
        rows = [
            f"| {x['module']} | {x['cumulative_ms']:.1f} | {x['own_ms']:.1f} |"
            for x in imp["top_cumulative"][:15]
        ]
        lines += [
            "Where the import time goes (`bench/importtime.py`, `python -X importtime`, one "
            "warm run):",
            "",
            "| module | cumulative ms | own ms |",
            "|---|---:|---:|",
            *rows,
            "",
        ]
    return lines


def section_widget(w: Any, p: Any) -> list[str]:
    lines = ["## The widget", ""]
    if w is None:
        lines += ["Sizes not measured: bench/widget_size.py did not finish.", ""]
    else:
        rows = [
            f"| {name} | {d['version']} | {n(d['raw_bytes'])} | {n(d['gzip_bytes'])} | "
            f"{d['gzip_vs_parley']:.1f}x | {', '.join('`' + f + '`' for f in d['files'])} |"
            for name, d in w.items()
        ]
        pz = w["Parley"]["gzip_bytes"]
        lines += [
            "Command: `bench/widget_size.py` (gzip level 9, files of one widget gzipped one by "
            "one and summed; all measured in the same run).",
            "",
            "| widget | version | raw bytes | gzip bytes | gzip vs Parley | files |",
            "|---|---|---:|---:|---:|---|",
            *rows,
            "",
            f"Parley's loader and thread bundle: {n(pz)} bytes gzipped together (budget 8,192: "
            f"{verdict(pz <= 8192)}; a page view that never reaches the comments fetches the "
            "loader alone). They hold JS, CSS, English strings and the count feature; Isso's "
            "embed.min.js includes its CSS; Waline and Artalk need their CSS file too (counted); "
            "Twikoo's all-in-one bundle includes its CSS.",
            "",
        ]
    if p is None:
        lines += ["Paint not measured: bench/paint.py did not finish.", ""]
    else:
        pr, ir = p["parley"], p["isso"]
        lines += [
            "Time from navigation to the first comment painted, 100-comment thread "
            "(`bench/paint.py`: Debian's Chromium through Playwright, a fresh context per "
            "load, the two alternated, first pair discarded; each page from a static server "
            "on 127.0.0.1, each widget's script and API from its own server):",
            "",
            "| client | median ms | runs, ms |",
            "|---|---:|---|",
            f"| Parley widget | {pr['median_ms']:.0f} | "
            f"{', '.join(f'{x:.0f}' for x in pr['runs_ms'])} |",
            f"| Isso 0.14 client | {ir['median_ms']:.0f} | "
            f"{', '.join(f'{x:.0f}' for x in ir['runs_ms'])} |",
            "",
            f"Isso takes {p['isso_over_parley']:.1f}x as long. The first comment's text entered "
            f"the DOM (MutationObserver, shadow roots included) at "
            f"{pr['marker_in_dom_median_ms']:.0f} ms (Parley) and "
            f"{ir['marker_in_dom_median_ms']:.0f} ms (Isso); the rest is layout and paint. "
            "For scale, the page's own HTML "
            f"was parsed (DOMContentLoaded) at {pr['dom_content_loaded_median_ms']:.0f} ms "
            f"(Parley's page) and {ir['dom_content_loaded_median_ms']:.0f} ms (Isso's page, "
            "whose script tag is not async). Measured as the page's "
            "`performance.now()` at the first animation frame in which the first comment's text "
            "is laid out (found in the document or an open shadow root). Parley renders a page "
            "of 50 from one API request; Isso's client makes two (`/config`, then the thread) "
            "and renders all 100.",
            "",
            "Subresources of the last load of each (start and end, ms since navigation):",
            "",
            *[
                f"- {who}: "
                + "; ".join(
                    f"`{r['url'].split('/', 3)[-1][:60]}` {r['start_ms']}-{r['response_end_ms']}"
                    for r in p[who]["last_run_resources"]
                )
                for who in ("parley", "isso")
            ],
            "",
        ]
    return lines


def section_cost(c: Any) -> list[str]:
    """bench/cost.py's figures (DynamoDB Local's units, the corpus, the handler's CPU time)."""
    lines = ["## Cost per million page views (bench/cost.py)", ""]
    if c is None:
        return [*lines, "Not measured: bench/cost.py did not finish.", ""]
    import cost

    return [
        *lines,
        "Command: `cd bench && ../.venv/bin/python cost.py --reads 21`; method and assumptions:"
        " the section of the same name below the generated part.",
        "",
        cost.markdown(c),
        "",
    ]


def section_dynamo(d: Any) -> list[str]:
    lines = ["## DynamoDB request units and the cost model (moto, superseded by bench/cost.py)", ""]
    if d is None:
        return []
    ops = d["operations"]
    names = {
        "page_view_limit50": "page view (first page, limit 50, as the widget asks)",
        "page_view_limit100": "page view, limit 100",
        "count_batch_100": "count batch, 100 uris",
        "post": "post (101st comment of a thread)",
        "post_first_of_thread": "post (first comment of a new thread)",
        "like": "like",
    }
    rows = []
    for key, label in names.items():
        op = ops[key]
        rows.append(
            f"| {label} | {' + '.join(op['requests'])} | {op['computed_rru']:g} | "
            f"{op['computed_wru']:g} | {n(op['response_bytes'])} | {op['app_ms']:.1f} |"
        )
    moto = "does" if d["moto_reports_consumed_capacity"] else "does not"
    lines += [
        "Command: `bench/dynamo_cost.py` (Parley's app + `DynamoStore` against moto in "
        "process, through Starlette's TestClient; every DynamoDB call recorded with botocore "
        "events).",
        "",
        "| operation | DynamoDB requests | RRU | WRU | response bytes | app ms (moto excluded) |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Units are **computed from item sizes** by DynamoDB's rules (4 KB read units, halved "
        "for eventually consistent reads; 1 KB write units of the larger of old and new item; "
        "x2 inside TransactWriteItems; a GSI write (projection ALL) for each write to an item "
        "carrying gsi1pk; a missing item costs the minimum). moto "
        f"{moto} return ConsumedCapacity, but not DynamoDB's figures: it answers 1.0 for a "
        "Query whatever its size, 0.5 for an UpdateItem, 1 per key of a BatchGetItem, and "
        "nothing for TransactWriteItems (recorded in the results file as `moto_consumed`).",
        f"A comment item is {n(d['comment_item_bytes'] or 0)} bytes with this benchmark's "
        "~300-character comments (it stores the text and the rendered HTML).",
        "",
        f"A page view is one request (one Query), as the budget asks; it reads "
        f"{ops['page_view_limit50']['items_read']} items (the thread item, 50 comments and one "
        f"to know a next page exists): {ops['page_view_limit50']['computed_rru']:g} read units.",
        "",
    ]
    pr = d["prices"]
    a = d["assumptions"]
    lines += [
        f"Prices ({pr['as_of']}): DynamoDB on-demand ${pr['dynamodb_per_million_rru']} per "
        f"million read units and ${pr['dynamodb_per_million_wru']} per million write units; "
        f"Lambda arm64 ${pr['lambda_arm64_per_gb_s']} per GB-s and "
        f"${pr['lambda_per_million_requests']} per million requests; HTTP API "
        f"${pr['http_api_per_million_requests']} per million; Function URL no charge beyond "
        f"Lambda; CloudFront ${pr['cloudfront_per_million_https_requests']} per million HTTPS "
        f"requests and ${pr['cloudfront_transfer_out_per_gb']}/GB out; API Gateway / Lambda "
        f"transfer out ${pr['data_transfer_out_per_gb']}/GB. These are list prices from the "
        "engineer's knowledge of the AWS pricing pages, **not fetched in this run** (no "
        "network): check them before quoting.",
        f"Assumptions: Lambda {a['lambda_memory_gb']} GB (serverless.yml), duration = "
        f"{a['lambda_duration']}, DynamoDB latency {a['dynamodb_latency_ms']} ms per request "
        f"(not measured); with CloudFront, {a['cloudfront_hit_ratio']:.0%} of reads answered "
        "by the CDN within `s-maxage=10` (a popular thread; a thread read once a minute gets "
        "no hits) and responses gzipped by CloudFront (infra/cdn.yml); writes always reach "
        "the function. No free tiers.",
        "",
        "| front | per million page views | of which DynamoDB | Lambda | front door | "
        "transfer | CloudFront | per thousand comments |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in d["cost_usd"].items():
        v, c = m["per_million_page_views"], m["per_thousand_comments"]
        lines.append(
            f"| {name} | ${v['total']:.2f} | ${v['dynamodb']:.3f} | ${v['lambda']:.3f} | "
            f"${v['front']:.3f} | ${v['transfer']:.3f} | ${v['cloudfront']:.3f} | "
            f"${c['total']:.4f} |"
        )
    lines += [
        "",
        "A page view is one read request (the widget's script itself is assumed cached by the "
        "browser or the CDN). Without a CDN, transfer of the uncompressed JSON is the largest "
        "item: neither API Gateway's HTTP API nor a Function URL compresses; Parley gzipping "
        "its own responses would cut it ~5x.",
        "",
    ]
    return lines


# Sections below this line in RESULTS.md are written by hand (each with its command) and kept
# as they are when `make bench` rewrites the generated part above it.
KEEP_MARKER = "<!-- Sections below are kept by bench/report.py; each names its command. -->"


def kept_sections() -> str:
    old = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    at = old.find(KEEP_MARKER)
    return "\n" + old[at:] if at >= 0 else ""


def main() -> None:
    m = machine()
    t, cost, prof = load("throughput"), load("app_cost"), load("profile_read")
    s, w, p, d, imp = (
        load(x) for x in ("scaling", "widget_size", "paint", "dynamo_cost", "importtime")
    )
    c = coldstart()
    lines = [
        "# Benchmarks (issue 7)",
        "",
        "Written by `bench/report.py` at the end of `make bench`; every figure below comes "
        "from that run. Benchmarks, not tests: they print figures and ratios, they do not fail.",
        "",
    ]
    summary = []
    if t:
        summary.append(
            f"read throughput {t['ratio_floor']:.2f}x the floor (budget 0.5x), "
            f"{n(t['ratio_isso'])}x Isso (budget 50x)"
        )
    if c and c.get("ratio"):
        summary.append(f"cold start {c['ratio']:.2f}x CPU (budget 1.10x)")
    if w:
        summary.append(f"widget {n(w['Parley']['gzip_bytes'])} B gzipped (budget 8,192)")
    if p:
        summary.append(
            f"first comment painted at {p['parley']['median_ms']:.0f} ms (Isso "
            f"{p['isso']['median_ms']:.0f} ms)"
        )
    if d and "operations" in d:
        pv = d["operations"]["page_view_limit50"]
        summary.append(f"a page view = {len(pv['requests'])} DynamoDB request")
    lines += ["Summary: " + "; ".join(summary) + ".", ""]
    lines += section_machine(m)
    lines += section_throughput(t, cost, prof)
    lines += section_scaling(s)
    lines += section_coldstart(c, imp)
    lines += section_widget(w, p)
    lines += section_cost(load("cost"))
    lines += section_dynamo(d)
    OUT.write_text("\n".join(lines).rstrip() + "\n" + kept_sections())
    print(f"wrote {Path(OUT).relative_to(lib.ROOT)}")


if __name__ == "__main__":
    main()
