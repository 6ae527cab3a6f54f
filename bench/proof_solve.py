"""How long a reader's browser takes to solve the comment form's proof of work, and what the
same proof costs a bot's native loop.

    .venv/bin/python bench/proof_solve.py [--runs 21] [--rate 4] [--cost C] [--max M]

Challenges are made by the server's own code (backend/spam/proof.py) at the site defaults
(`proof_cost`, `proof_max` in backend/sites.py) unless --cost/--max are given. Each one is
solved in Chromium by the widget's solver (widget/src/thread/features/proof.js, bundled from
source as the build bundles it) with the CPU throttled `--rate` times through the DevTools
protocol (Emulation.setCPUThrottlingRate), and the payload is verified by the server's code.
While it solves, a 5 ms timer on the page's main thread records its largest gap (a stutter a
typing reader would feel). The same challenge is then solved by the `altcha` library's native
loop (hashlib's PBKDF2: what a bot farm's cheapest client pays), interleaved so both see the
same load on the machine. Bounded: `--runs` challenges, each abandoned after 30 s.
Writes bench/.work/results/proof_solve.json.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import subprocess
import threading
import time
from typing import Any

import altcha
import lib

from backend.sites import SiteConfig
from backend.spam.proof import Difficulty, Proofs

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
# The same timer with nothing else running on the page: the machine's own stutter.
TICK = """let gap = 0, last = performance.now()
  const tick = setInterval(() => {
    const t = performance.now()
    gap = Math.max(gap, t - last)
    last = t
  }, 5)"""
IDLE = """async (ms) => {
  TICK
  await new Promise((done) => setTimeout(done, ms))
  clearInterval(tick)
  return gap
}""".replace("TICK", TICK)
SOLVE = """async (c) => {
  TICK
  const t0 = performance.now()
  const out = await Promise.race([parleySolve(c), new Promise((_, no) => setTimeout(no, 30000))])
  const ms = performance.now() - t0
  clearInterval(tick)
  return [ms, gap, out]
}""".replace("TICK", TICK)


def solver_js() -> str:
    """The widget's solver alone, exposed as `parleySolve(challenge) -> payload`."""
    entry = "import { solve } from './features/proof.js'; self.parleySolve = solve"
    script = (
        "require('esbuild').build({stdin: {contents: process.argv[1], resolveDir:"
        " 'widget/src/thread'}, bundle: true, minify: true, format: 'iife', write: false})"
        ".then((r) => process.stdout.write(r.outputFiles[0].text))"
    )
    run = subprocess.run(
        ["node", "-e", script, entry], cwd=lib.ROOT, check=True, capture_output=True, text=True
    )
    return run.stdout


def spread(xs: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(xs, n=10) if len(xs) > 1 else [xs[0]] * 9
    return {
        "median": statistics.median(xs),
        "p10": qs[0],
        "p90": qs[-1],
        "min": min(xs),
        "max": max(xs),
    }


def main() -> None:
    defaults = SiteConfig()
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--rate", type=float, default=4.0)
    parser.add_argument("--cost", type=int, default=defaults.proof_cost)
    parser.add_argument("--max", type=int, default=defaults.proof_max)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proofs = Proofs(["bench-secret-key-0123456789abcdef"])
    difficulty = Difficulty(args.cost, args.max)
    docroot = lib.WORK / "proof_solve"
    docroot.mkdir(parents=True, exist_ok=True)
    (docroot / "index.html").write_text("<!doctype html><title>Proof</title>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docroot))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer((lib.HOST, 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    solver = solver_js()

    browser_ms: list[float] = []
    gaps_ms: list[float] = []
    idle_gaps_ms: list[float] = []
    native_ms: list[float] = []
    per_try_browser: list[float] = []
    per_try_native: list[float] = []
    tries: list[int] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://{lib.HOST}:{httpd.server_address[1]}/index.html")
                page.add_script_tag(content=solver)
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.rate})
                for i in range(args.runs + 1):  # the first warms the page up
                    made = proofs.challenge("bench", difficulty)
                    ms, gap, payload = page.evaluate(SOLVE, made)
                    idle = page.evaluate(IDLE, min(ms, 2000))
                    proofs.verify("bench", payload)  # raises unless the server accepts it
                    n = altcha.Payload.from_base64(payload).solution.counter + 1
                    t0 = time.perf_counter()
                    solution = altcha.solve_challenge(altcha.Challenge.from_dict(made), timeout=30)
                    native = (time.perf_counter() - t0) * 1000
                    assert solution is not None and solution.counter + 1 == n
                    lib.log(
                        f"run {i}: {n} tries, browser {ms:.0f} ms (gap {gap:.0f}, idle "
                        f"{idle:.0f}), native {native:.0f} ms"
                    )
                    if i:
                        browser_ms.append(ms)
                        gaps_ms.append(gap)
                        idle_gaps_ms.append(idle)
                        native_ms.append(native)
                        per_try_browser.append(ms / n)
                        per_try_native.append(native / n)
                        tries.append(n)
                version = browser.version
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    median_tries = (args.max + 2) / 2  # the counter is uniform in 0..max
    result: dict[str, Any] = {
        "chromium": version,
        "cpu_throttling_rate": args.rate,
        "cost": args.cost,
        "max": args.max,
        "runs": args.runs,
        "solve_ms": spread(browser_ms),
        "main_thread_gap_ms": spread(gaps_ms),
        "idle_gap_ms": spread(idle_gaps_ms),
        "tries": spread([float(t) for t in tries]),
        "per_try_ms": spread(per_try_browser),
        "native_solve_ms": spread(native_ms),
        "native_per_try_ms": spread(per_try_native),
        # The median proof at this difficulty from the per-try times (less noisy than the
        # median of a few uniform counters).
        "expected_median_ms": statistics.median(per_try_browser) * median_tries,
        "native_expected_median_ms": statistics.median(per_try_native) * median_tries,
        "browser_over_native_per_try": statistics.median(
            b / n for b, n in zip(per_try_browser, per_try_native, strict=True)
        ),
        "raw": {
            "browser_ms": browser_ms,
            "native_ms": native_ms,
            "tries": tries,
            "gaps_ms": gaps_ms,
            "idle_gaps_ms": idle_gaps_ms,
        },
    }
    lib.save("proof_solve", result)
    s, t, nat = result["solve_ms"], result["per_try_ms"], result["native_per_try_ms"]
    print(
        f"cost {args.cost}, max {args.max}, CPU x{args.rate:g}, {args.runs} runs ({version}): "
        f"solve median {s['median']:.0f} ms (p10 {s['p10']:.0f}, p90 {s['p90']:.0f}, "
        f"min {s['min']:.0f}, max {s['max']:.0f}); per try {t['median']:.2f} ms "
        f"(p10 {t['p10']:.2f}, p90 {t['p90']:.2f}); expected median "
        f"{result['expected_median_ms']:.0f} ms; largest main-thread gap median "
        f"{result['main_thread_gap_ms']['median']:.0f} ms (max "
        f"{result['main_thread_gap_ms']['max']:.0f}; idle page median "
        f"{result['idle_gap_ms']['median']:.0f} ms); native per try {nat['median']:.3f} ms, "
        f"expected median {result['native_expected_median_ms']:.0f} ms per proof; "
        f"browser/native per try {result['browser_over_native_per_try']:.1f}x"
    )


if __name__ == "__main__":
    main()
