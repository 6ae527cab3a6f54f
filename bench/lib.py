"""Shared helpers of the benchmarks: servers on 127.0.0.1, wrk runs, small HTTP calls.

Every server a benchmark starts is a child process of that benchmark, stopped by its own pid
(and process group) when the benchmark ends; every load is bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = WORK / "results"
VENV_PY = ROOT / ".venv" / "bin" / "python"
PARLEY = ROOT / ".venv" / "bin" / "parley"
ISSO_VENV = WORK / "isso-venv"

HOST = "127.0.0.1"
BASE_PORT = int(os.environ.get("BENCH_BASE_PORT", "18080"))
PORTS = {
    "parley": BASE_PORT + 1,
    "floor": BASE_PORT + 2,
    "isso": BASE_PORT + 3,
    "pages": BASE_PORT + 4,
}
PAGE_ORIGIN = f"http://{HOST}:{PORTS['pages']}"
ORIGIN = "http://127.0.0.1:9"
SITE = "bench"
THREAD_URI = "/bench/thread-100/"
MARKER = "parleybenchmarker"

# wrk: one thread, 16 connections, 5 seconds; the same for every server (bench/run.sh).
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "1"))
WRK_CONNS = int(os.environ.get("BENCH_WRK_CONNS", "16"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def parley_env(db: Path) -> dict[str, str]:
    sites = {
        SITE: {
            "origins": [ORIGIN, PAGE_ORIGIN],
            "moderation": "none",
            "rate_limit_per_minute": 100000,
            "proof": "off",  # writes without proof of work: bench/proof_solve.py measures that
        }
    }
    env = dict(os.environ)
    env.update(
        {
            "PARLEY_STORE": f"sqlite:///{db}",
            "PARLEY_SITES": json.dumps(sites),
            "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789abcdef",
            "PARLEY_PUBLIC_URL": f"http://{HOST}:{PORTS['parley']}",
        }
    )
    return env


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout}s")


@contextmanager
def server(
    name: str, argv: list[str], env: Mapping[str, str], port: int, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Run one server for the duration of the block; stop it by its own pid and group."""
    log = (WORK / f"{name}.log").open("ab")
    proc = subprocess.Popen(
        argv, env=dict(env), cwd=cwd, stdout=log, stderr=log, start_new_session=True
    )
    try:
        wait_port(port)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process in a process group (a server and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def parley_server(db: Path) -> Any:
    argv = [str(PARLEY), "serve", "--host", HOST, "--port", str(PORTS["parley"])]
    argv += ["--no-access-log", "--log-level", "warning"]
    return server("parley", argv, parley_env(db), PORTS["parley"])


def request(
    method: str,
    url: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def comment_text(i: int) -> str:
    """The i-th benchmark comment: a few sentences, a link, emphasis; ~300 bytes."""
    return (
        f"Comment {i} {MARKER}: this is a *benchmark* comment with a little Markdown, "
        f"a link to https://example.com/posts/{i} and enough words to look like a real "
        "reader's note about the post. It says thanks, asks a question and quotes a line.\n\n"
        "> a quoted line from the post\n\nAnd a second paragraph with `code`."
    )


def post_parley(port: int, uri: str, n: int, start: int = 0) -> list[float]:
    """Post n comments through Parley's API; returns each post's latency in seconds."""
    times = []
    for i in range(start, start + n):
        body = {
            "site": SITE,
            "uri": uri,
            "title": "Bench thread",
            "author": f"Reader {i}",
            "email": f"reader{i}@example.com",
            "text": comment_text(i),
            "key": f"bench-{uri.strip('/').replace('/', '-')}-{i:06d}"[-64:],
            "hp": "",
        }
        t0 = time.perf_counter()
        status, out, _ = request(
            "POST", f"http://{HOST}:{port}/api/v1/comments", body, {"Origin": ORIGIN}
        )
        times.append(time.perf_counter() - t0)
        if status not in (201, 202):
            raise RuntimeError(f"Parley refused post {i}: {status} {out[:300]!r}")
    return times


@dataclass
class WrkRun:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    command: str


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"not a wrk duration: {text}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(label: str, url: str, seconds: int | None = None, conns: int | None = None) -> WrkRun:
    argv = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{conns or WRK_CONNS}",
        f"-d{seconds or WRK_SECONDS}s",
        "--latency",
        "--timeout",
        "10s",
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(g) for g in m.groups())
    return WrkRun(label, rps, p50, p99, total, errors, " ".join(argv))


def median_run(runs: list[WrkRun]) -> dict[str, Any]:
    return {
        "rps_median": statistics.median(r.rps for r in runs),
        "p50_ms_median": statistics.median(r.p50_ms for r in runs),
        "p99_ms_median": statistics.median(r.p99_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "runs": [asdict(r) for r in runs],
    }


def save(name: str, data: Any) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))
    print(f"[bench] wrote {RESULTS / (name + '.json')}", file=sys.stderr)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def isso_server() -> Any:
    """Isso 0.14 under gunicorn, one worker (sync), its SQLite file in .work/isso/."""
    (WORK / "isso").mkdir(parents=True, exist_ok=True)
    cfg = (BENCH / "isso.cfg").read_text().replace("PAGE_ORIGIN", PAGE_ORIGIN)
    (WORK / "isso.cfg").write_text(cfg)
    env = dict(os.environ)
    env["ISSO_SETTINGS"] = str(WORK / "isso.cfg")
    argv = [str(ISSO_VENV / "bin" / "gunicorn"), "-w", "1", "-b", f"{HOST}:{PORTS['isso']}"]
    argv += ["--log-level", "warning", "isso.run"]
    return server("isso", argv, env, PORTS["isso"], cwd=BENCH)


def post_isso(port: int, uri: str, n: int) -> list[float]:
    """Post n comments through Isso's own API (POST /new?uri=, JSON)."""
    times = []
    for i in range(n):
        body = {
            "text": comment_text(i),
            "author": f"Reader {i}",
            "email": f"reader{i}@example.com",
            "title": "Bench thread",
        }
        t0 = time.perf_counter()
        status, out, _ = request(
            "POST",
            f"http://{HOST}:{port}/new?uri={uri}",
            body,
            {"Origin": PAGE_ORIGIN, "Referer": PAGE_ORIGIN + uri},
        )
        times.append(time.perf_counter() - t0)
        if status not in (201, 202):
            raise RuntimeError(f"Isso refused post {i}: {status} {out[:300]!r}")
    return times


def floor_server(body_file: Path) -> Any:
    env = dict(os.environ)
    env["BENCH_FLOOR_BODY"] = str(body_file)
    argv = [str(VENV_PY), str(BENCH / "floor_app.py"), "--port", str(PORTS["floor"])]
    return server("floor", argv, env, PORTS["floor"])
