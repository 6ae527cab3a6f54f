"""Where a thread read's time goes: `parley serve` under cProfile while wrk reads the thread.

    .venv/bin/python bench/profile_read.py [--seconds 5]

Seeds 100 comments, runs the server under cProfile, loads it with wrk for a few seconds, stops
it with SIGINT (so the profile is written) and prints the top functions by own and cumulative
time, grouped by package (uvicorn/h11, starlette, backend, sqlite3, ...). Writes
results/profile_read.json and .work/profile/parley.prof.
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import signal
import subprocess
from collections import defaultdict
from typing import Any

import lib


def bucket(filename: str) -> str:
    for name in ("h11", "uvicorn", "starlette", "pydantic", "backend", "asyncio", "anyio"):
        if f"/{name}/" in filename:
            return name
    if filename.startswith("~") or filename == "~":
        return "builtins (C)"
    return "other python"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    work = lib.WORK / "profile"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "parley.db"
    port = lib.PORTS["parley"]
    with lib.parley_server(db):
        lib.post_parley(port, lib.THREAD_URI, 100)
    prof = work / "parley.prof"
    argv = [str(lib.VENV_PY), "-m", "cProfile", "-o", str(prof), str(lib.PARLEY), "serve"]
    argv += ["--host", lib.HOST, "--port", str(port), "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(argv, env=lib.parley_env(db), cwd=lib.ROOT, start_new_session=True)
    try:
        lib.wait_port(port)
        url = f"http://{lib.HOST}:{port}/api/v1/comments?site={lib.SITE}&uri={lib.THREAD_URI}"
        run = lib.wrk("parley-profiled", url + "&limit=100", seconds=args.seconds)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    stats = pstats.Stats(str(prof))
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())  # own time of every function
    own: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tt, _, _) in raw.items():
        own[bucket(filename)] += tt
    top = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:25]
    result: dict[str, Any] = {
        "wrk_under_profiler": run.__dict__,
        "own_time_share_by_package": {
            k: v / total for k, v in sorted(own.items(), key=lambda x: -x[1])
        },
        "top_own_time": [
            {"function": f"{fn}:{line}({name})", "own_s": tt, "calls": nc, "cum_s": ct}
            for (fn, line, name), (_, nc, tt, ct, _) in top
        ],
    }
    lib.save("profile_read", result)
    for k, v in result["own_time_share_by_package"].items():
        print(f"{k:16} {v:6.1%}")
    for row in result["top_own_time"]:
        print(f"{row['own_s']:8.3f}s {row['calls']:8} {row['function']}")


if __name__ == "__main__":
    main()
