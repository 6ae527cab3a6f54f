"""Time from navigation to the first comment painted, Parley's widget against Isso's client.

    .venv/bin/python bench/paint.py [--runs 7]

Both servers are seeded with the same 100 comments (their own APIs). A static page server on
127.0.0.1 serves two blog pages, one embedding Parley's script tag, one Isso's (each script
from its own server). Chromium (Debian's, through Playwright) opens each page in a fresh
context (empty cache), alternating, and a `requestAnimationFrame` poll looks through the
document and every open shadow root for the first seeded comment's text; the figure is the
page's `performance.now()` at that frame, i.e. milliseconds since navigation started.
Writes results/paint.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import lib

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

FIND_FIRST = """(marker) => {
  const seen = (root) => {
    const text = root === document ? document.documentElement.textContent : root.textContent;
    if (text && text.includes(marker)) {
      // The text must be in an element that is laid out (rendered), not only in the DOM.
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (n.data.includes(marker) && n.parentElement && n.parentElement.getClientRects().length)
          return true;
      }
    }
    for (const el of root.querySelectorAll('*'))
      if (el.shadowRoot && seen(el.shadowRoot)) return true;
    return false;
  };
  return seen(document) ? performance.now() : false;
}"""

COUNT_MARKERS = """(marker) => {
  let n = 0;
  const walk = (root) => {
    const text = root === document ? document.documentElement.textContent : root.textContent;
    n += (text || '').split(marker).length - 1;
    root.querySelectorAll('*').forEach((e) => e.shadowRoot && walk(e.shadowRoot));
  };
  walk(document);
  return n;
}"""

# When the page's own HTML was parsed: the part of the figure that is the browser and the page.
DCL = "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"

# Each subresource of the last load: when it was requested and when its answer was complete.
RESOURCES = """() => performance.getEntriesByType('resource').map((e) => ({
  url: e.name, start_ms: Math.round(e.startTime), response_end_ms: Math.round(e.responseEnd)
}))"""

# Installed before any page script: notes when the marker first enters the DOM (document or a
# shadow root), to split "in the DOM" from "laid out and painted".
OBSERVE = """(() => {
  window.__benchInserted = null;
  const watch = (root) => new MutationObserver(() => {
    if (window.__benchInserted === null && (root.textContent || '').includes(MARKER))
      window.__benchInserted = performance.now();
  }).observe(root, { childList: true, subtree: true, characterData: true });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    watch(root);
    return root;
  };
  document.addEventListener('DOMContentLoaded', () => watch(document.body));
})();"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bench thread</title></head>
<body><article><h1>Bench thread</h1><p>A blog post with 100 comments.</p></article>
{embed}
</body></html>
"""


def write_pages(root: Path) -> None:
    parley = f"http://{lib.HOST}:{lib.PORTS['parley']}"
    isso = f"http://{lib.HOST}:{lib.PORTS['isso']}"
    pages = {
        "parley": (
            f'<div id="parley"></div><script src="{parley}/embed.js" data-site="{lib.SITE}" '
            f'data-uri="{lib.THREAD_URI}" async></script>'
        ),
        "isso": (
            f'<section id="isso-thread" data-isso-id="{lib.THREAD_URI}"></section>'
            f'<script data-isso="{isso}/" src="{isso}/js/embed.min.js"></script>'
        ),
    }
    for name, embed in pages.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "index.html").write_text(PAGE.format(embed=embed))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = lib.WORK / "paint"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(lib.WORK / "isso", ignore_errors=True)
    (work / "pages").mkdir(parents=True)
    write_pages(work / "pages")
    pages_argv = [sys.executable, "-m", "http.server", "--bind", lib.HOST]
    pages_argv += ["--directory", str(work / "pages"), str(lib.PORTS["pages"])]
    first_text = lib.comment_text(0).split(":")[0] + ":"  # "Comment 0 parleybenchmarker:"
    times: dict[str, list[float]] = {"parley": [], "isso": []}
    loaded: dict[str, list[float]] = {"parley": [], "isso": []}
    resources: dict[str, Any] = {}
    in_dom: dict[str, list[float]] = {"parley": [], "isso": []}
    with (
        lib.parley_server(work / "parley.db"),
        lib.isso_server(),
        lib.server("pages", pages_argv, {}, lib.PORTS["pages"]),
    ):
        lib.post_parley(lib.PORTS["parley"], lib.THREAD_URI, 100)
        lib.post_isso(lib.PORTS["isso"], lib.THREAD_URI, 100)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                for i in range(args.runs + 1):  # the first pair warms both servers up
                    order = ["parley", "isso"] if i % 2 else ["isso", "parley"]
                    for name in order:
                        ctx = browser.new_context()
                        page = ctx.new_page()
                        page.add_init_script(OBSERVE.replace("MARKER", repr(lib.MARKER)))
                        page.goto(f"{lib.PAGE_ORIGIN}/{name}/", wait_until="commit")
                        handle = page.wait_for_function(
                            FIND_FIRST, arg=first_text, polling="raf", timeout=30000
                        )
                        ms = float(handle.json_value())
                        count = page.evaluate(COUNT_MARKERS, lib.MARKER)
                        dcl = float(page.evaluate(DCL))
                        inserted = page.evaluate("window.__benchInserted")
                        resources[name] = page.evaluate(RESOURCES)
                        ctx.close()
                        if i:
                            times[name].append(ms)
                            loaded[name].append(dcl)
                            in_dom[name].append(float(inserted or "nan"))
                        lib.log(f"{name}: first comment at {ms:.0f} ms ({count} markers in DOM)")
            finally:
                browser.close()
    result: dict[str, Any] = {
        name: {
            "median_ms": statistics.median(ts),
            "runs_ms": ts,
            "dom_content_loaded_median_ms": statistics.median(loaded[name]),
            "last_run_resources": resources[name],
            "marker_in_dom_median_ms": statistics.median(in_dom[name]),
        }
        for name, ts in times.items()
    }
    result["isso_over_parley"] = result["isso"]["median_ms"] / result["parley"]["median_ms"]
    lib.save("paint", result)


if __name__ == "__main__":
    main()
