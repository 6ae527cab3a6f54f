"""Widget bytes, raw and gzipped (level 9), of Parley's embed and its peers' script-tag bundles.

    .venv/bin/python bench/widget_size.py

Parley: backend/static/embed.js (the loader) and widget/thread.<hash>.js (the thread bundle)
as `node widget/build.mjs` builds them, gzipped one by one and summed.
Isso 0.14: isso/js/embed.min.js from its package (bench/.work/isso-venv).
Waline, Artalk, Twikoo: the files their docs' script-tag embeds load, from the npm packages
pinned in bench/package-lock.json (`npm ci --prefix bench`). All measured in the same run.
Writes results/widget_size.json.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import lib

NODE = lib.BENCH / "node_modules"


def isso_js() -> Path:
    found = sorted(lib.ISSO_VENV.glob("lib/python3*/site-packages/isso/js/embed.min.js"))
    assert found, "Isso is not installed in bench/.work/isso-venv"
    return found[0]


def parley_files() -> list[Path]:
    """The loader and the thread bundle: what a reader who scrolls to the comments fetches."""
    static = lib.ROOT / "backend" / "static"
    bundle = json.loads((static / "widget.json").read_text())["bundle"]
    return [static / "embed.js", static / "widget" / bundle]


def version(package: str) -> str:
    return str(json.loads((NODE / package / "package.json").read_text())["version"])


def main() -> None:
    isso_version = "0.14.0"
    widgets: dict[str, tuple[str, list[Path]]] = {
        "Parley": ("this tree", parley_files()),
        "Isso": (isso_version, [isso_js()]),
        "Waline": (
            version("@waline/client"),
            [
                NODE / "@waline/client/dist/waline.umd.js",
                NODE / "@waline/client/dist/waline.css",
            ],
        ),
        "Artalk": (
            version("artalk"),
            [NODE / "artalk/dist/Artalk.js", NODE / "artalk/dist/Artalk.css"],
        ),
        "Twikoo": (version("twikoo"), [NODE / "twikoo/dist/twikoo.all.min.js"]),
    }
    result: dict[str, dict[str, Any]] = {}
    for name, (ver, files) in widgets.items():
        raw = b"".join(f.read_bytes() for f in files)
        gz = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
        result[name] = {
            "version": ver,
            "files": [str(f.relative_to(lib.ROOT)) for f in files],
            "raw_bytes": len(raw),
            "gzip_bytes": gz,
        }
        lib.log(f"{name} {ver}: {len(raw)} B raw, {gz} B gzip")
    parley = result["Parley"]["gzip_bytes"]
    for data in result.values():
        data["gzip_vs_parley"] = data["gzip_bytes"] / parley
    lib.save("widget_size", result)


if __name__ == "__main__":
    main()
