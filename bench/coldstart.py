"""Cold start: importing the Lambda handler against creating a bare DynamoDB client.

    .venv/bin/python bench/coldstart.py [--runs 21] [--json]

Alternates whole-process runs of

    A: python -c "import backend.lambda_handler"      (settings, DynamoDB store, app, Mangum)
    B: python -c "import boto3; boto3.client('dynamodb', region_name='us-east-1')"

and reports the median of the per-pair ratios A/B (budget: 1.25, DESIGN.md). A runs with the
environment a deployed function has (PYDANTIC_DISABLE_PLUGINS included), but with
PARLEY_SECRET_KEYS given directly (the deployed function reads it from SSM, a network call this
benchmark must not make) and fake credentials: neither side makes any network call. Both use
this interpreter and its site-packages, with bytecode already compiled, so it is the import work
that is compared.

With `--artifact ZIP [--python PATH]` both sides run instead from the unzipped Lambda artifact
(built for this machine: `scripts/build_lambda.py --arch x86_64`), without site-packages (-S),
under the given interpreter: the files and bytecode the deployed function imports.

The last line is `coldstart_ratio=<median>`; the exit status is 0 whether or not the budget is
met (bench/run.sh reads the figure).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.25
HANDLER = "import backend.lambda_handler"
BASELINE = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"

Samples = list[tuple[float, float]]  # (wall seconds, CPU seconds) per run


def environment() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench-fake-secret",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_FUNCTION_NAME": "parley-bench-api",
        "PARLEY_STORE": "dynamodb://parley-bench?region=us-east-1",
        "PARLEY_SECRET_KEYS": "bench-secret-key-0123456789abcdef",
        "PARLEY_SITES": json.dumps({"blog": {"origins": ["https://blog.example.com"]}}),
        "PARLEY_PUBLIC_URL": "https://api.example.com",
        # As serverless.yml sets it for the deployed function (no plugin scan at first model).
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
    }
    return env


def run_once(
    code: str, env: dict[str, str], python: str = sys.executable, flags: tuple[str, ...] = ()
) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one whole interpreter run."""
    start = time.perf_counter()
    child = subprocess.Popen([python, *flags, "-c", code], env=env, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"coldstart: `{code}` failed with status {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lambda cold-start import ratio")
    parser.add_argument("--runs", type=int, default=21, help="pairs of runs (default 21)")
    parser.add_argument("--json", action="store_true", help="also print the samples as JSON")
    parser.add_argument("--artifact", type=Path, help="run from this unzipped Lambda zip")
    parser.add_argument("--python", default=sys.executable, help="interpreter (with --artifact)")
    args = parser.parse_args(argv)

    env = environment()
    with tempfile.TemporaryDirectory() as unzipped:
        python, flags = sys.executable, tuple[str, ...]()
        if args.artifact:
            with zipfile.ZipFile(args.artifact) as archive:
                archive.extractall(unzipped)
            env["PYTHONPATH"] = unzipped
            env["PYTHONDONTWRITEBYTECODE"] = "1"  # as on Lambda: only the shipped bytecode
            python, flags = args.python, ("-S",)
        handler, baseline = measure(args.runs, env, python, flags)
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    where = f"the artifact {args.artifact.name}" if args.artifact else "this venv"
    print(f"from: {where}, Python {version}")
    report(args.runs, handler, baseline, as_json=args.json)
    return 0


def measure(
    runs: int, env: dict[str, str], python: str, flags: tuple[str, ...]
) -> tuple[Samples, Samples]:
    # Warm-up: the first runs fill __pycache__ and the OS's file cache for both sides.
    for _ in range(2):
        run_once(HANDLER, env, python, flags)
        run_once(BASELINE, env, python, flags)

    handler: Samples = []
    baseline: Samples = []
    for i in range(runs):
        # Alternate which goes first, so drift in machine load hits both sides alike.
        if i % 2:
            baseline.append(run_once(BASELINE, env, python, flags))
            handler.append(run_once(HANDLER, env, python, flags))
        else:
            handler.append(run_once(HANDLER, env, python, flags))
            baseline.append(run_once(BASELINE, env, python, flags))
    return handler, baseline


def report(runs: int, handler: Samples, baseline: Samples, *, as_json: bool) -> None:
    def median_ms(samples: Samples, which: int) -> float:
        return statistics.median(s[which] for s in samples) * 1000

    def median_ratio(which: int) -> float:
        pairs = zip(handler, baseline, strict=True)
        return statistics.median(h[which] / b[which] for h, b in pairs)

    ratio, cpu_ratio = median_ratio(0), median_ratio(1)
    verdict = "within" if ratio <= BUDGET else "OVER"
    print(f"runs: {runs} pairs, alternating")
    print(
        f"import backend.lambda_handler: median {median_ms(handler, 0):.0f} ms wall,"
        f" {median_ms(handler, 1):.0f} ms CPU"
    )
    print(
        f"boto3 + dynamodb client alone: median {median_ms(baseline, 0):.0f} ms wall,"
        f" {median_ms(baseline, 1):.0f} ms CPU"
    )
    # CPU time is steadier than wall time on a busy machine; wall time is the figure.
    print(f"median ratio {ratio:.3f} wall ({verdict} the {BUDGET}x budget), {cpu_ratio:.3f} CPU")
    if as_json:
        print(json.dumps({"handler": handler, "baseline": baseline, "ratio": ratio}))
    print(f"coldstart_ratio={ratio:.3f}")


if __name__ == "__main__":
    sys.exit(main())
