"""Read throughput: Parley against the floor and against Isso, the same 100-comment thread.

    .venv/bin/python bench/throughput.py

Seeds a fresh Parley (SQLite) and a fresh Isso with the same 100 comments through their own
APIs, captures Parley's answer to the read and serves those exact bytes from the floor app,
then runs wrk rounds (BENCH_ROUNDS, default 5): Parley and the floor back to back, their order
swapped each round, then Isso. All three stay up (idle between runs) on 127.0.0.1.
Writes results/throughput.json.

`--no-isso` leaves Isso out (Parley against the floor only: no Isso install needed, and the
rounds are shorter on a busy machine).

A third server, "floor+headers", is the floor answering the same bytes with Parley's own
response headers (as Parley sent them, less uvicorn's date): it splits Parley's distance from
the floor into what its headers cost the server (uvicorn and h11 write and check each one) and
what Parley's code costs. It runs in every round, the three servers' order rotated.

`--general` adds a fourth server in every round, "parley-general": Parley on the same database
with its kept-read fast path taken out (bench/parley_general.py), so the fast path is measured
against the general path in the same rounds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lib

PARLEY_URL = (
    f"http://{lib.HOST}:{lib.PORTS['parley']}/api/v1/comments"
    f"?site={lib.SITE}&uri={lib.THREAD_URI}&limit=100"
)
FLOOR_URL = PARLEY_URL.replace(str(lib.PORTS["parley"]), str(lib.PORTS["floor"]))
HEADERS_PORT = lib.BASE_PORT + 5
HEADERS_URL = PARLEY_URL.replace(str(lib.PORTS["parley"]), str(HEADERS_PORT))
GENERAL_PORT = lib.BASE_PORT + 6
GENERAL_URL = PARLEY_URL.replace(str(lib.PORTS["parley"]), str(GENERAL_PORT))
ISSO_URL = f"http://{lib.HOST}:{lib.PORTS['isso']}/?uri={lib.THREAD_URI}"
ROUNDS = lib.ROUNDS


def drain(url: str) -> None:
    """Wait until the server has finished the requests wrk left queued.

    When wrk stops, Isso's single sync worker still has up to 15 accepted requests of ~2 s
    each to answer; left alone it would burn a core through the next server's run. A request
    sent now is answered after those (one worker, first come first served).
    """
    lib.request("GET", url)
    time.sleep(0.5)


def main() -> None:
    with_isso = "--no-isso" not in sys.argv[1:]
    with_general = "--general" in sys.argv[1:]
    work = lib.WORK / "throughput"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(lib.WORK / "isso", ignore_errors=True)
    work.mkdir(parents=True)
    body_file = work / "thread-100.json"

    with lib.parley_server(work / "parley.db") as parley:
        lib.log("seeding Parley: 100 comments through POST /api/v1/comments")
        parley_posts = lib.post_parley(lib.PORTS["parley"], lib.THREAD_URI, 100)
        status, body, headers = lib.request("GET", PARLEY_URL)
        assert status == 200, status
        body_file.write_bytes(body)
        headers_file = work / "parley-headers.json"
        # As Parley sends them to wrk: less uvicorn's date, and the `connection: close` it
        # adds only because urllib asked for it.
        left_out = ("date", "server", "connection")
        sent = [[k.lower(), v] for k, v in headers.items() if k.lower() not in left_out]
        headers_file.write_text(json.dumps(sent))
        assert body.count(lib.MARKER.encode()) == 100, "Parley's read lacks comments"

        with lib.isso_server() if with_isso else contextlib.nullcontext() as isso:
            isso_posts, isso_body = [0.0], b""
            if with_isso:
                lib.log("seeding Isso: 100 comments through POST /new")
                isso_posts = lib.post_isso(lib.PORTS["isso"], lib.THREAD_URI, 100)
                status, isso_body, _ = lib.request("GET", ISSO_URL)
                assert status == 200, status
                assert isso_body.count(lib.MARKER.encode()) == 100, "Isso's read lacks comments"

            with (
                lib.floor_server(body_file) as floor,
                floor_with_headers(body_file, headers_file) as floor_headers,
                general_server(work / "parley.db") if with_general else no_server() as general,
            ):
                status, floor_body, _ = lib.request("GET", FLOOR_URL)
                assert floor_body == body
                status, same_body, same_headers = lib.request("GET", HEADERS_URL)
                assert same_body == body
                assert [k.lower() for k in same_headers] == [k.lower() for k in headers]
                if general is not None:
                    status, general_body, general_headers = lib.request("GET", GENERAL_URL)
                    assert general_body == body
                    assert [k.lower() for k in general_headers] == [k.lower() for k in headers]

                targets = [("parley", PARLEY_URL), ("floor", FLOOR_URL)]
                targets += [("floor+headers", HEADERS_URL)]
                targets += [("parley-general", GENERAL_URL)] if general is not None else []
                servers = len(targets)  # rotated each round; Isso after them
                targets += [("isso", ISSO_URL)] if with_isso else []
                for label, url in targets:  # warm-up: one second each, not recorded
                    lib.wrk(label, url, seconds=1)
                    drain(url)
                runs: dict[str, list[lib.WrkRun]] = {label: [] for label, _ in targets}
                pair_ratios, header_ratios, general_ratios = [], [], []
                pids = {"parley": parley.pid, "floor": floor.pid}
                pids["floor+headers"] = floor_headers.pid
                if general is not None:
                    pids["parley-general"] = general.pid
                if isso is not None:
                    pids["isso"] = isso.pid
                cpu: dict[str, list[float]] = {label: [] for label, _ in targets}
                for r in range(ROUNDS):
                    # Parley and the floors back to back (their order rotated each round), so
                    # load from elsewhere on the shared machine hits them alike; Isso last.
                    turn = r % servers
                    order = targets[turn:servers] + targets[:turn]
                    for label, url in [*order, *targets[servers:]]:
                        before = lib.group_cpu_seconds(pids[label])
                        run = lib.wrk(label, url)
                        drain(url)
                        spent = lib.group_cpu_seconds(pids[label]) - before
                        cpu[label].append(spent / (run.requests + 1) * 1e6)
                        lib.log(f"round {r + 1} {label}: {run.rps:.0f} req/s p50 {run.p50_ms}ms")
                        runs[label].append(run)
                    pair_ratios.append(runs["parley"][-1].rps / runs["floor"][-1].rps)
                    header_ratios.append(runs["floor+headers"][-1].rps / runs["floor"][-1].rps)
                    if general is not None:
                        general_ratios.append(
                            runs["parley-general"][-1].rps / runs["floor"][-1].rps
                        )

    result: dict[str, Any] = {label: lib.median_run(rs) for label, rs in runs.items()}
    p, f = (result[k]["rps_median"] for k in ("parley", "floor"))
    i = result["isso"]["rps_median"] if with_isso else float("nan")
    result["ratio_floor_of_medians"] = p / f
    # The headline: the median of each round's back-to-back Parley/floor ratio.
    result["ratio_floor"] = statistics.median(pair_ratios)
    result["pair_ratios"] = pair_ratios
    result["ratio_isso"] = p / i
    # Server CPU per request (process group's utime + stime over the run and the drain): a
    # measure of work that other load on the machine disturbs much less than req/s.
    result["cpu_us_per_request"] = {k: statistics.median(v) for k, v in cpu.items()}
    result["cpu_ratio_floor_over_parley"] = (
        result["cpu_us_per_request"]["floor"] / result["cpu_us_per_request"]["parley"]
    )
    # The floor with Parley's headers against the floor: the best any code could do while
    # sending those headers through this server.
    result["ratio_floor_with_headers"] = statistics.median(header_ratios)
    result["header_ratios"] = header_ratios
    result["cpu_ratio_floor_over_floor_with_headers"] = (
        result["cpu_us_per_request"]["floor"] / result["cpu_us_per_request"]["floor+headers"]
    )
    if general_ratios:
        # The general path (the fast path taken out) against the same floor, same rounds.
        result["ratio_floor_general"] = statistics.median(general_ratios)
        result["general_ratios"] = general_ratios
        result["cpu_ratio_floor_over_general"] = (
            result["cpu_us_per_request"]["floor"] / result["cpu_us_per_request"]["parley-general"]
        )
        result["cpu_ratios_by_round"] = {
            label: [cpu["floor"][r] / cpu[label][r] for r in range(ROUNDS)]
            for label in ("parley", "parley-general")
        }
    result["body_bytes"] = {"parley_floor": len(body), "isso": len(isso_body)}
    result["parley_headers"] = headers
    result["post_ms"] = {
        "parley_median": statistics.median(parley_posts) * 1000,
        "parley_max": max(parley_posts) * 1000,
        "isso_median": statistics.median(isso_posts) * 1000,
        "isso_max": max(isso_posts) * 1000,
    }
    lib.save("throughput", result)
    cpu = result["cpu_us_per_request"]
    if general_ratios:
        lib.log(
            f"general path/floor {result['ratio_floor_general']:.2f}x req/s, "
            f"{result['cpu_ratio_floor_over_general']:.2f}x by CPU ({cpu['parley-general']:.0f} us)"
        )
    lib.log(
        f"Parley/floor {result['ratio_floor']:.2f}x req/s, "
        f"{result['cpu_ratio_floor_over_parley']:.2f}x by CPU ({cpu['parley']:.0f} / "
        f"{cpu['floor']:.0f} us a request); floor+headers/floor "
        f"{result['ratio_floor_with_headers']:.2f}x req/s, "
        f"{result['cpu_ratio_floor_over_floor_with_headers']:.2f}x by CPU "
        f"({cpu['floor+headers']:.0f} us); Parley/Isso {result['ratio_isso']:.1f}x"
    )


@contextlib.contextmanager
def floor_with_headers(body_file: Path, headers_file: Path) -> Iterator[Any]:
    env = {**os.environ, "BENCH_FLOOR_BODY": str(body_file)}
    env["BENCH_FLOOR_HEADERS"] = str(headers_file)
    argv = [str(lib.VENV_PY), str(lib.BENCH / "floor_app.py"), "--port", str(HEADERS_PORT)]
    with lib.server("floor-headers", argv, env, HEADERS_PORT) as proc:
        yield proc


@contextlib.contextmanager
def general_server(db: Path) -> Iterator[Any]:
    port = GENERAL_PORT
    argv = [str(lib.VENV_PY), str(lib.BENCH / "parley_general.py"), "--port", str(port)]
    with lib.server("parley-general", argv, lib.parley_env(db), port) as proc:
        yield proc


@contextlib.contextmanager
def no_server() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
