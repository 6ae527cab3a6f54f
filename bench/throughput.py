"""Read throughput: Parley against the floor and against Isso, the same 100-comment thread.

    .venv/bin/python bench/throughput.py

Seeds a fresh Parley (SQLite) and a fresh Isso with the same 100 comments through their own
APIs, captures Parley's answer to the read and serves those exact bytes from the floor app,
then alternates wrk runs (BENCH_ROUNDS rounds, the order rotated each round) over the three
servers, which all stay up (idle between runs) on 127.0.0.1. Writes results/throughput.json.
"""

from __future__ import annotations

import shutil
import statistics

import lib

PARLEY_URL = (
    f"http://{lib.HOST}:{lib.PORTS['parley']}/api/v1/comments"
    f"?site={lib.SITE}&uri={lib.THREAD_URI}&limit=100"
)
FLOOR_URL = PARLEY_URL.replace(str(lib.PORTS["parley"]), str(lib.PORTS["floor"]))
ISSO_URL = f"http://{lib.HOST}:{lib.PORTS['isso']}/?uri={lib.THREAD_URI}"


def main() -> None:
    work = lib.WORK / "throughput"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(lib.WORK / "isso", ignore_errors=True)
    work.mkdir(parents=True)
    body_file = work / "thread-100.json"

    with lib.parley_server(work / "parley.db"):
        lib.log("seeding Parley: 100 comments through POST /api/v1/comments")
        parley_posts = lib.post_parley(lib.PORTS["parley"], lib.THREAD_URI, 100)
        status, body, headers = lib.request("GET", PARLEY_URL)
        assert status == 200, status
        body_file.write_bytes(body)
        assert body.count(lib.MARKER.encode()) == 100, "Parley's read lacks comments"

        with lib.isso_server():
            lib.log("seeding Isso: 100 comments through POST /new")
            isso_posts = lib.post_isso(lib.PORTS["isso"], lib.THREAD_URI, 100)
            status, isso_body, _ = lib.request("GET", ISSO_URL)
            assert status == 200, status
            assert isso_body.count(lib.MARKER.encode()) == 100, "Isso's read lacks comments"

            with lib.floor_server(body_file):
                status, floor_body, _ = lib.request("GET", FLOOR_URL)
                assert floor_body == body

                targets = [("parley", PARLEY_URL), ("floor", FLOOR_URL), ("isso", ISSO_URL)]
                for label, url in targets:  # warm-up: one second each, not recorded
                    lib.wrk(label, url, seconds=1)
                runs: dict[str, list[lib.WrkRun]] = {label: [] for label, _ in targets}
                for r in range(lib.ROUNDS):
                    order = targets[r % 3 :] + targets[: r % 3]
                    for label, url in order:
                        run = lib.wrk(label, url)
                        lib.log(f"round {r + 1} {label}: {run.rps:.0f} req/s p50 {run.p50_ms}ms")
                        runs[label].append(run)

    result = {label: lib.median_run(rs) for label, rs in runs.items()}
    p, f, i = (result[k]["rps_median"] for k in ("parley", "floor", "isso"))
    result["ratio_floor"] = p / f
    result["ratio_isso"] = p / i
    result["body_bytes"] = {"parley_floor": len(body), "isso": len(isso_body)}
    result["parley_headers"] = headers
    result["post_ms"] = {
        "parley_median": statistics.median(parley_posts) * 1000,
        "parley_max": max(parley_posts) * 1000,
        "isso_median": statistics.median(isso_posts) * 1000,
        "isso_max": max(isso_posts) * 1000,
    }
    lib.save("throughput", result)
    lib.log(f"Parley/floor {result['ratio_floor']:.2f}x, Parley/Isso {result['ratio_isso']:.1f}x")


if __name__ == "__main__":
    main()
