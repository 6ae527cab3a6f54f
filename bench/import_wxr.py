"""The import budget: a generated WordPress export of 100,000 comments on 10,000 posts.

SQLite: `parley import wordpress` runs as the blog owner runs it (a child process, the CLI,
a real SQLite file); we time it, read its CPU time and peak RSS from the kernel's accounting of
the child, and run it again to time a re-import (which must add nothing). Budget: 60 s and
200 MB.

DynamoDB Local: the same import in this process against AWS's DynamoDB Local on 127.0.0.1,
with every request asking for ReturnConsumedCapacity, so the write and read units DynamoDB
reports are summed per operation. DynamoDB Local does not throttle and runs on this machine's
two shared cores: the rate is a floor for the code path, not a figure for the real service.

    ../.venv/bin/python import_wxr.py [--store sqlite|dynamodb-local] [--comments N --threads N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wxr_gen import generate  # noqa: E402

WORK = ROOT / "bench" / ".work" / "import"
SITES = json.dumps({"bench": {"origins": ["https://blog.example"]}})
SECRET = "bench-secret-key-0123456789abcdef"


def export_file(comments: int, threads: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"wxr-{comments}-{threads}.xml"
    if not path.exists():
        started = time.monotonic()
        generate(path, threads, comments)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB "
              f"in {time.monotonic() - started:.0f} s", file=sys.stderr)  # fmt: skip
    return path


def run_cli(path: Path, db: Path) -> dict[str, Any]:
    """One `parley import` in a child process: wall time, CPU time, peak RSS, its summary."""
    env = {**os.environ, "PARLEY_STORE": f"sqlite:///{db}", "PARLEY_SITES": SITES,
           "PARLEY_SECRET_KEYS": SECRET}  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "parley"), "import", "wordpress", str(path),
         "--site", "bench"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        # ru_maxrss of the children is the largest child's peak, in KiB on Linux.
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1),
        "summary": done.stdout.strip().splitlines()[-1],
        "phases": [line for line in done.stderr.splitlines() if " in " in line],
    }


def check_counts(db: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(db)
    approved = conn.execute("SELECT count(*) FROM comments WHERE status = 'approved'").fetchone()
    counted = conn.execute("SELECT sum(count) FROM threads").fetchone()
    wrong = conn.execute(
        "SELECT count(*) FROM comments p WHERE replies != (SELECT count(*) FROM comments c "
        "WHERE c.site = p.site AND c.uri = p.uri AND c.parent = p.id AND c.status = 'approved')"
    ).fetchone()
    conn.close()
    return (
        f"approved {approved[0]:,}, sum of thread counts {counted[0]:,}, wrong replies {wrong[0]}"
    )


def bench_sqlite(path: Path) -> dict[str, Any]:
    db = WORK / "import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    first = run_cli(path, db)
    again = run_cli(path, db)
    return {"first": first, "again": again, "counts": check_counts(db),
            "db_mb": round(db.stat().st_size / 1e6, 1)}  # fmt: skip


def bench_dynamodb_local(path: Path) -> dict[str, Any]:
    from backend.migrate.command import run_import
    from backend.settings import Settings, StoreURL
    from backend.store.dynamo import DynamoStore
    from scripts.dynamodb_local import DynamoDBLocal

    units: defaultdict[str, float] = defaultdict(float)
    requests: Counter[str] = Counter()
    with DynamoDBLocal() as local:
        url = StoreURL("dynamodb", table="bench", region="us-east-1", endpoint=local.endpoint)
        store = DynamoStore.from_url(url)
        store.setup()
        send = store.client._make_api_call

        def counted(operation: str, params: dict[str, Any]) -> Any:
            if operation not in ("CreateTable", "DescribeTable", "UpdateTimeToLive",
                                 "UpdateContinuousBackups", "TransactWriteItems"):  # fmt: skip
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            out = send(operation, params)
            requests[operation] += 1
            consumed = out.get("ConsumedCapacity")
            for entry in consumed if isinstance(consumed, list) else [consumed] * bool(consumed):
                units[operation] += float(entry.get("CapacityUnits", 0))
            return out

        store.client._make_api_call = counted  # type: ignore[method-assign]
        environment = {
            "PARLEY_STORE": f"dynamodb://bench?region=us-east-1&endpoint={local.endpoint}",
            "PARLEY_SITES": SITES,
            "PARLEY_SECRET_KEYS": SECRET,
        }
        settings = Settings.from_env(environment)
        runs = []
        for _ in range(2):
            units.clear()
            requests.clear()
            out, err = io.StringIO(), io.StringIO()
            started = time.monotonic()
            code = run_import(settings, "wordpress", path, "bench", out=out, err=err, store=store)
            wall = time.monotonic() - started
            assert code == 0, err.getvalue()
            runs.append({
                "wall_s": round(wall, 1),
                "summary": out.getvalue().strip().splitlines()[-1],
                "phases": [line for line in err.getvalue().splitlines() if " in " in line],
                "requests": dict(requests),
                "units": {k: round(v, 1) for k, v in units.items()},
            })  # fmt: skip
            print(json.dumps(runs[-1], ensure_ascii=False), file=sys.stderr, flush=True)
        store.close()
    return {"first": runs[0], "again": runs[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["sqlite", "dynamodb-local"], default="sqlite")
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=10_000)
    args = parser.parse_args()
    path = export_file(args.comments, args.threads)
    load = os.getloadavg()
    result = bench_sqlite(path) if args.store == "sqlite" else bench_dynamodb_local(path)
    result["file_mb"] = round(path.stat().st_size / 1e6, 1)
    result["load_before"] = [round(x, 2) for x in load]
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
