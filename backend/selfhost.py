"""`parley widget --out DIR`: the built widget as files for the blog's own static host.

The loader (embed.js), the thread bundle (widget/thread.<hash>.js) and the languages
(widget/<lang>.js) are copied into DIR with the same layout the API serves them in, so the
loader finds the bundle and the languages beside itself; the page names the API with the
script's `data-api`. Served from the blog's host or a CDN, a page view reaches Lambda only for
its counts and, when the reader scrolls, its thread. Bundles of earlier copies are left in
place: a loader a browser or CDN still holds may ask for its own.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
NOT_BUILT = "the widget is not built: run `make widget` (or `node widget/build.mjs`) first"


class NotBuilt(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Copied:
    loader: Path
    bundle: Path
    files: tuple[Path, ...]  # everything written, the loader and the bundle included


def write_widget(out: Path, static: Path = STATIC) -> Copied:
    """Copy the built widget into `out`; raises NotBuilt when there is none to copy."""
    manifest = static / "widget.json"
    try:
        bundle = str(json.loads(manifest.read_text("utf-8"))["bundle"])
    except (OSError, ValueError, KeyError) as exc:
        raise NotBuilt(NOT_BUILT) from exc
    sources = [static / "embed.js", static / "widget" / bundle]
    if not all(p.is_file() for p in sources):
        raise NotBuilt(NOT_BUILT)
    languages = (static / "widget").glob("*.js")
    sources += sorted(p for p in languages if not p.name.startswith("thread."))
    (out / "widget").mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = out / source.relative_to(static)
        shutil.copyfile(source, target)
        written.append(target)
    return Copied(written[0], written[1], tuple(written))


def script_tag(src: str, api: str, site: str) -> str:
    return f'<script src="{src}" data-api="{api}" data-site="{site}" async></script>'
