"""Hostile import files at full size: peak RSS, CPU time and wall time of `parley import` with
the default limits (backend/migrate/limits.py), and whether time stays linear in the file. Each
case runs in a child process of its own, so its peak RSS and CPU time are its own
(`RUSAGE_SELF` in the child). The files are generated (gzip, streamed: small on disk) into a
temporary directory, removed at the end (`--keep DIR` keeps them there, for another run).

    ../.venv/bin/python import_hostile.py [--cases a,b,...] [--scale 1.0] [--keep DIR]

Cases (sizes at --scale 1):
- `line-1g-<fmt>`: a 1 MB .gz expanding to one 1 GB line (remark42, parley, commento)
- `wxr-junk-<n>m`: n MB of elements outside any item in a WXR, then one item with a comment
  (30, 100, 300: the series shows whether time is linear)
- `attr-<n>m`: one attribute of 5, 10, 20 MB in a WXR (was quadratic: 5.7/22/88 s)
- `repair-<n>m`: a Disqus export of n MB (categories, then ten posts) with an unquoted attribute
  to repair (30, 100, 300; the repair read the file through a quadratic buffer)

CPU time (user + system) is the figure to compare on a shared machine: wall time there depends
on what else runs. The last lines give, per series, CPU seconds per MB at each size.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024
SITES = json.dumps({"bench": {"origins": ["https://blog.example"]}})

WXR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
    'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
)
ITEM = (
    "<item><title>Post</title><link>https://blog.example/p/</link><wp:post_id>1</wp:post_id>"
    "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>A</wp:comment_author>"
    "<wp:comment_date_gmt>2020-01-01 10:00:00</wp:comment_date_gmt>"
    "<wp:comment_content>Hi</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
    "</wp:comment></item>\n"
)
WXR_TAIL = "</channel>\n</rss>\n"


def _write(path: Path, parts: object) -> Path:
    """Stream `parts` (an iterable of str) into a gzip file, once."""
    if not path.exists():
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
            for part in parts:  # type: ignore[attr-defined]
                out.write(part)
    return path


def _repeat(text: str, total: int) -> object:
    chunk = text * max(1, MB // len(text))
    for _ in range(max(1, total // len(chunk))):
        yield chunk


def make(case: str, scale: float, work: Path) -> tuple[str, Path]:
    if case.startswith("line-1g-"):
        fmt = case.removeprefix("line-1g-")
        size = int(1024 * MB * scale)
        path = work / f"{case}-{size}.gz"
        head = {"remark42": '{"version":1,"users":[],"posts":[],"x":"',
                "parley": '{"format":"parley-export","version":1,"x":"',
                "commento": '{"version":1,"comments":[{"commentHex":"'}[fmt]  # fmt: skip
        return fmt, _write(path, [head, *_repeat("x", size), '"}\n'])  # type: ignore[list-item]
    if case.startswith("wxr-junk-"):
        size = int(int(case.removeprefix("wxr-junk-").removesuffix("m")) * MB * scale)
        path = work / f"{case}-{size}.xml.gz"
        junk = "<wp:term><wp:term_id>1</wp:term_id><wp:term_slug>s</wp:term_slug></wp:term>\n"
        return "wordpress", _write(
            path,
            [WXR_HEAD, *_repeat(junk, size), ITEM, WXR_TAIL],  # type: ignore[list-item]
        )
    if case.startswith("attr-"):
        size = int(int(case.removeprefix("attr-").removesuffix("m")) * MB * scale)
        path = work / f"{case}-{size}.xml.gz"
        return "wordpress", _write(
            path,
            [WXR_HEAD, '<item x="', *_repeat("a", size), '"/>\n', ITEM, WXR_TAIL],  # type: ignore[list-item]
        )
    if case.startswith("repair-"):
        size = int(int(case.removeprefix("repair-").removesuffix("m")) * MB * scale)
        path = work / f"{case}-{size}.xml.gz"
        head = '<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        thread = "<thread dsq:id=7><link>https://blog.example/p/</link></thread>\n"
        post = (
            '<post dsq:id="{}"><message>Hello there</message><createdAt>2020-01-01T10:00:00Z'
            '</createdAt><author><name>A</name></author><thread dsq:id="7"/></post>\n'
        )
        junk = '<category dsq:id="1"><forum>f</forum><title>General</title></category>\n'
        posts = "".join(post.format(i) for i in range(10))

        return "disqus", _write(
            path,
            [head, thread, *_repeat(junk, size), posts, "</disqus>\n"],  # type: ignore[list-item]
        )
    raise SystemExit(f"unknown case {case}")


def one(fmt: str, path: str) -> None:
    """In the child: one import into a fresh SQLite file; print wall time, peak RSS, result."""
    from backend.migrate.command import run_import
    from backend.settings import Settings

    db = Path(path).parent / f"hostile-{os.getpid()}.db"
    settings = Settings.from_env({"PARLEY_STORE": f"sqlite:///{db}", "PARLEY_SITES": SITES,
                                  "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789"})  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = run_import(settings, fmt, Path(path), "bench", out=out, err=err)
    wall = time.monotonic() - started
    said = out.getvalue().strip().splitlines() or err.getvalue().strip().splitlines() or [""]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    print(json.dumps({"exit": code, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
                      "peak_rss_mb": round(peak, 1), "said": said[-1][:300]}))  # fmt: skip


CASES = ["line-1g-remark42", "line-1g-parley", "line-1g-commento",
         "wxr-junk-30m", "wxr-junk-100m", "wxr-junk-300m", "attr-5m", "attr-10m", "attr-20m",
         "repair-30m", "repair-100m", "repair-300m"]  # fmt: skip


def _series(case: str) -> tuple[str, float] | None:
    """A case of a size series (`wxr-junk-100m` -> ("wxr-junk", 100)), else None."""
    head, _, size = case.rpartition("-")
    if head in ("wxr-junk", "repair", "attr") and size.endswith("m"):
        return head, float(size.removesuffix("m"))
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", type=Path, help="generate (and keep) the files in this folder")
    parser.add_argument("--one", nargs=2, metavar=("FMT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="parley-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    per_mb: dict[str, list[str]] = {}
    try:
        for case in args.cases.split(","):
            fmt, path = make(case, args.scale, work)
            done = subprocess.run(
                [sys.executable, __file__, "--one", fmt, str(path)],
                capture_output=True, text=True, check=True, timeout=3600,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            size = path.stat().st_size
            print(json.dumps({"case": case, "gz_mb": round(size / MB, 2), **result},
                             ensure_ascii=False), flush=True)  # fmt: skip
            series = _series(case)
            if series is not None:
                mb = series[1] * args.scale
                per_mb.setdefault(series[0], []).append(f"{mb:g} MB: {result['cpu_s'] / mb:.3f}")
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for name, figures in per_mb.items():
        print(f"{name}: CPU s per MB of the file, by size: {'; '.join(figures)}")
    print(f"load after: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
