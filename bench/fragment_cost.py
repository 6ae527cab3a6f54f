"""The check of a thread built into the page, measured as bench/cost.py measures reads.

A generator puts `GET /api/v1/comments.html` into `#parley` at the site's build, with its ETag
in `data-etag` (docs/widget.md). When the reader nears the comments the loader reads the first
page once with that ETag (`GET /api/v1/comments?...&limit=10&sort=oldest&built=ETAG`,
widget/src/embed.js): a 204 without a body while the thread is the one built, and the loader
shows the page's own thread; else the first page, which it shows. The fragment's ETag is the
thread stamp's (backend/api/comments.py, `fragment_tag`), so the server answers the 204 from
the stamp alone. Each way it can meet the check, on DynamoDB Local:

- `unchanged, cold` / `unchanged, kept`: a 204, from a sandbox that kept nothing of the thread
  (a cold start, an evicted entry) or one that kept its first page;
- `changed, kept`: the thread changed since the build and the sandbox kept the first page under
  the new stamp (another reader read it since): the page from memory;
- `changed, cold` / `changed, stale`: the thread changed and the sandbox kept nothing, or a page
  the stamp no longer vouches for: the stamp, then the Query;
- `HEAD`: a loader from before the check (a copy on a blog's host) asked with HEAD, with or
  without If-None-Match: headers only, from the stamp.

Called from cost.py's run (the same seeded thread, recorder and handler).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGE_SORT = "oldest"  # the loader's default order, the one a build writes
LOADER_PAGE = 10  # PAGE in widget/build.mjs
BUILT_BEFORE = '"a-fragment-built-before-the-change"'  # an ETag the thread no longer has


def measure_fragment(
    measure: Callable[..., dict[str, Any]],
    event: Callable[..., Any],
    handler: Any,
    recorder: Any,
    forget: Callable[[], None],
    touch: Callable[[], None],
    site: str,
    uri: str,
    runs: int,
) -> dict[str, Any]:
    """The fragment's GET (what a build fetches) and the checks of it, by answer."""
    q = {"site": site, "uri": uri, "sort": PAGE_SORT}
    out: dict[str, Any] = {}
    # The build's GET (uncompressed HTML: a generator's fetch; not a page view's cost).
    out["build_get"] = measure(handler, recorder, event("GET", "/api/v1/comments.html", q,
                                                         False), runs, before=forget)  # fmt: skip
    built = out["build_get"]["etag"].removeprefix("W/")

    def check(tag: str) -> Any:
        query = {**q, "limit": LOADER_PAGE, "built": tag}
        return event("GET", "/api/v1/comments", query, True)

    out["check_unchanged_cold"] = measure(handler, recorder, check(built), runs, before=forget)
    measure(handler, recorder, check(BUILT_BEFORE), 1)  # the first page kept again
    out["check_unchanged_kept"] = measure(handler, recorder, check(built), runs)
    out["check_changed_kept"] = measure(handler, recorder, check(BUILT_BEFORE), runs)
    out["check_changed_cold"] = measure(handler, recorder, check(BUILT_BEFORE), runs,
                                        before=forget)  # fmt: skip
    out["check_changed_stale"] = measure(handler, recorder, check(BUILT_BEFORE), runs,
                                         before=touch)  # fmt: skip

    def head(etag: str = "") -> Any:
        return event("HEAD", "/api/v1/comments.html", q, True, etag=etag)

    out["head_cold"] = measure(handler, recorder, head(), runs, before=forget)
    out["head_304"] = measure(handler, recorder, head(built), runs)
    return out


def rows(fragment: dict[str, Any]) -> list[str]:
    """Rows for cost.py's read table."""
    out = []
    for key, m in fragment.items():
        words = key.replace("_", " ")
        label = ("comments.html GET (a build's, plain)" if key == "build_get"
                 else f"comments.html {words}" if key.startswith("head")
                 else f"built-in thread {words}")  # fmt: skip
        out.append(
            f"| {label} | {' + '.join(m['requests']) or '-'} | {m['units']:g} | {m['bytes']:,} |"
            f" {m['header_bytes']:,} | {m['parley_cpu_ms']:.2f} | {m['gzip_compress_ms']:.2f} |"
            f" {m['lambda_ms']:.1f} |"
        )
    return out
