"""The embed's size budget: the whole widget (JS + CSS + English + counts) at most 6 KB gzipped."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EMBED = ROOT / "backend" / "static" / "embed.js"
BUDGET = 6 * 1024


@pytest.fixture(scope="module")
def embed() -> bytes:
    # Build from source so the budget is checked against the current code, not a stale file.
    subprocess.run(["node", str(ROOT / "widget" / "build.mjs")], check=True, cwd=ROOT)
    return EMBED.read_bytes()


def test_embed_is_within_the_gzip_budget(embed: bytes) -> None:
    size = len(gzip.compress(embed, compresslevel=9))
    assert size <= BUDGET, f"embed.js is {size} bytes gzipped, over the {BUDGET}-byte budget"


def test_embed_bundles_css_english_and_counts(embed: bytes) -> None:
    text = embed.decode("utf-8")
    for needle in ("Speak Your Mind", "No comments yet", "data-parley-count", "--parley-accent"):
        assert needle in text, needle
    assert "\n  " not in text, "embed.js is not minified"


def test_other_languages_load_on_demand() -> None:
    for lang in ("uk", "de", "fr", "es"):
        assert (EMBED.parent / "widget" / f"{lang}.js").is_file(), lang
