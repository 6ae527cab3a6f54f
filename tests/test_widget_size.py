"""The widget's size budgets, gzipped (level 9): the loader every page view fetches at most
2,048 bytes; the loader and the thread bundle together at most 8,192; inside the bundle, its
core (today's thread and form, everything but widget/src/thread/features/) at most 5,000, and
each feature module at most its allotment. Brotli sizes are reported beside them."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "backend" / "static"
FEATURES = ROOT / "widget" / "src" / "thread" / "features"

LOADER = 2048
TOGETHER = 8192
CORE = 5000
# Each feature module's bytes on top of the core (widget/README.md): a new module is listed
# here with its allotment, or the test fails.
ALLOTMENTS: dict[str, int] = {
    "origin": 100,  # "via Mastodon / Bluesky / example.org" on comments written elsewhere
    "reactions": 100,  # the announcement posts' likes and reposts beside the heading
    "desk": 300,  # the owner's "Author" badge, the pinned comment first, recent-comment boxes
    "reader": 200,  # the accent from the page's links; native parts in the widget's scheme
    "proof": 400,  # the proof of work solved while the reader types, sent with the post
    "announce": 80,  # the page's data-announce post, suggested when the thread takes one
    "avatar": 200,  # identicons from the API's per-site avatar hash
}


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    # Build from source so the budgets are checked against the current code, not stale files.
    run = subprocess.run(
        ["node", str(ROOT / "widget" / "build.mjs")],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(run.stdout)  # the sizes, brotli too: shown with `pytest -s`
    manifest: dict[str, Any] = json.loads((STATIC / "widget.json").read_text())
    return manifest


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def test_the_loader_is_within_its_budget(built: dict[str, Any]) -> None:
    size = gz((STATIC / "embed.js").read_bytes())
    assert size <= LOADER, f"embed.js is {size} bytes gzipped, over the {LOADER}-byte budget"


def test_loader_and_bundle_are_within_the_budget(built: dict[str, Any]) -> None:
    bundle = STATIC / "widget" / built["bundle"]
    assert re.fullmatch(r"thread\.[0-9a-f]{12}\.js", built["bundle"])
    loader, thread = gz((STATIC / "embed.js").read_bytes()), gz(bundle.read_bytes())
    assert loader + thread <= TOGETHER, f"{loader} + {thread} bytes, over {TOGETHER}"
    # The brotli twins are what browsers get: smaller than gzip, and reported.
    for path in (STATIC / "embed.js", bundle):
        twin = path.with_name(path.name + ".br").stat().st_size
        assert 0 < twin < gz(path.read_bytes()), path.name


def test_the_bundles_core_and_each_feature_keep_their_allotments(built: dict[str, Any]) -> None:
    # Measured by the build (node's zlib, level 9), which builds the bundle without feature
    # modules and with each one alone: within a few bytes of Python's gzip.
    core = built["sizes"]["core"]["gzip"]
    assert core <= CORE, f"the bundle's core is {core} bytes gzipped, over its {CORE}"
    features = built["sizes"]["features"]
    on_disk = {p.stem for p in FEATURES.glob("*.js")} if FEATURES.is_dir() else set()
    assert set(features) == on_disk, "every module in features/ is imported by thread/index.js"
    for name, size in features.items():
        assert name in ALLOTMENTS, f"feature {name!r} needs an allotment in ALLOTMENTS"
        assert size["gzip"] <= ALLOTMENTS[name], f"{name}: {size['gzip']} > {ALLOTMENTS[name]}"


def test_the_bundle_carries_css_and_english_and_the_loader_the_counts(
    built: dict[str, Any],
) -> None:
    thread = (STATIC / "widget" / built["bundle"]).read_text("utf-8")
    for needle in ("Speak Your Mind", "--parley-accent", "parleyThread"):
        assert needle in thread, needle
    loader = (STATIC / "embed.js").read_text("utf-8")
    for needle in ("data-parley-count", "No comments yet", built["bundle"]):
        assert needle in loader, needle
    assert "Speak Your Mind" not in loader, "the thread's strings stay out of the loader"
    for text in (thread, loader):
        assert "\n  " not in text, "not minified"


def test_the_bundles_name_is_its_content(built: dict[str, Any]) -> None:
    data = (STATIC / "widget" / built["bundle"]).read_bytes()
    assert built["bundle"] == f"thread.{hashlib.sha256(data).hexdigest()[:12]}.js"
    # Only the current bundle is kept.
    assert [p.name for p in (STATIC / "widget").glob("thread.*.js")] == [built["bundle"]]


def test_other_languages_load_on_demand() -> None:
    for lang in ("uk", "de", "fr", "es"):
        assert (STATIC / "widget" / f"{lang}.js").is_file(), lang
