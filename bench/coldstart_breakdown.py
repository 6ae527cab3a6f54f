"""Where the handler's cold start goes beyond the baseline, from the built artifact.

    ../.venv/bin/python coldstart_breakdown.py --artifact ../build/lambda/x86.zip \
        --python ~/.pyenv/versions/3.12.1/bin/python3.12 [--runs 5]

Unzips the artifact, then runs `python -S -X importtime` on `import backend.lambda_handler` and
on the baseline (`import boto3; boto3.client("dynamodb")`), alternated, with the environment of
bench/coldstart.py. Reports the modules the handler imports and the baseline does not, their own
import time (median over runs) summed by package, and both sides' whole-process wall and CPU
time. Import time is measured by the interpreter; on a busy machine every figure grows, the
shares less so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from coldstart import BASELINE, HANDLER, environment


def importtime(code: str, env: dict[str, str], python: str) -> tuple[dict[str, int], float]:
    start = time.perf_counter()
    child = subprocess.Popen(
        [python, "-S", "-X", "importtime", "-c", code],
        env=env,
        cwd=env["PYTHONPATH"],  # first on sys.path with -c: the unzipped tree, as on Lambda
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = child.communicate()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"`{code}` failed:\n{err[-2000:]}")
    own: dict[str, int] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.split(":", 1)[1].split("|")
        own[name.strip()] = int(self_us)
    return own, wall


def group(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:3]) if parts[0] == "backend" else parts[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as unzipped:
        with zipfile.ZipFile(args.artifact) as archive:
            archive.extractall(unzipped)
        env["PYTHONPATH"] = unzipped
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        handler_runs: list[dict[str, int]] = []
        base_runs: list[dict[str, int]] = []
        walls: dict[str, list[float]] = {"handler": [], "baseline": []}
        cpus: dict[str, list[float]] = {"handler": [], "baseline": []}
        importtime(HANDLER, env, args.python)  # warm the file cache
        for _ in range(args.runs):
            for label, code, runs in (
                ("handler", HANDLER, handler_runs),
                ("baseline", BASELINE, base_runs),
            ):
                before = os.times()
                own, wall = importtime(code, env, args.python)
                after = os.times()
                runs.append(own)
                walls[label].append(wall * 1000)
                cpu = (after.children_user + after.children_system) - (
                    before.children_user + before.children_system
                )
                cpus[label].append(cpu * 1000)
    baseline_modules = set().union(*base_runs)
    extra: dict[str, float] = {}
    for name in set().union(*handler_runs) - baseline_modules:
        ms = statistics.median(run.get(name, 0) for run in handler_runs) / 1000
        extra[group(name)] = extra.get(group(name), 0.0) + ms
    handler_total = statistics.median(sum(run.values()) for run in handler_runs) / 1000
    base_total = statistics.median(sum(run.values()) for run in base_runs) / 1000
    print(f"python {args.python}, {args.runs} runs each, alternated")
    for label in ("handler", "baseline"):
        print(
            f"{label}: whole process median {statistics.median(walls[label]):.0f} ms wall,"
            f" {statistics.median(cpus[label]):.0f} ms CPU"
        )
    print(f"own import times summed: handler {handler_total:.0f} ms, baseline {base_total:.0f} ms")
    print(f"modules only the handler imports: {sum(extra.values()):.0f} ms")
    print("| package (imported by the handler only) | own import ms (median) |")
    print("|---|---:|")
    for name, ms in sorted(extra.items(), key=lambda kv: -kv[1])[:20]:
        print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
