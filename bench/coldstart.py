"""Cold start: importing the Lambda handler against creating a bare DynamoDB client.

    .venv/bin/python bench/coldstart.py [--runs 41] [--json]

Alternates whole-process runs of

    A: python -c "import backend.lambda_handler"      (settings, DynamoDB store, app, Mangum)
    B: python -c "import boto3; boto3.client('dynamodb', region_name='us-east-1')"

and reports the median of the per-round ratios A/B in CPU time (user + system of the child;
budget: 1.10, issue 21), with their spread: the interquartile range of the rounds' ratios and a
95% confidence interval of the median (order statistics, no assumption about the shape). CPU
time is the figure, not wall time: on a shared machine wall time also counts the time the child
waited for a core, which is other people's load (both are printed). Each child ends with
`os._exit(0)` once its import is done: a Lambda sandbox is frozen after init, never torn down
by the interpreter, so interpreter shutdown (a last garbage collection, module teardown) is no
part of a cold start and is left out on both sides.

A runs with the environment a deployed function has (PYDANTIC_DISABLE_PLUGINS included), but
with PARLEY_SECRET_KEYS given directly (the deployed function reads it from SSM, a network call
this benchmark must not make) and fake credentials: neither side makes any network call. Both
use this interpreter and its site-packages, with bytecode already compiled, so it is the import
work that is compared.

With `--artifact ZIP [--python PATH]` both sides run instead from the unzipped Lambda artifact
(built for this machine: `scripts/build_lambda.py --arch x86_64`), without site-packages (-S),
under the given interpreter: the files and bytecode the deployed function imports.

The artifact ships botocore's models of only the services Parley calls (scripts/build_lambda.py),
which makes any client cheaper to build from it, the baseline's too; the budget's figure is the
handler against the client on that same botocore. `--stock DIR` (the unpruned dependency tree
build_lambda.py caches, build/lambda/deps-*) adds the baseline as a bare function on the Lambda
runtime's own boto3, with every model, would run it; its ratio is printed beside.

`--paused` adds the baseline with the garbage collector paused during its import, as the
handler's init does (backend/lambda_handler.py): the like-for-like figure, which says how much
of the handler's lead is that pause alone.

`--compare ZIP` adds, in the same rounds, the handler from another artifact (the same build of
an earlier commit, say): the ratio of the two handlers, measured under the same load.

`--repeat K` runs each side K times a round, back to back, and keeps each side's least CPU
of the K: on a shared machine a run's CPU time is inflated by whatever else shares the core
and its caches at that moment (never deflated), so the least of a few is the closest to the
import's own work, and the rounds' ratios scatter less. Every run is still a whole process;
the figure is still the median of the rounds' ratios.

`--first-read` adds to each side its first request, on AWS's DynamoDB Local (started here,
one table of a thread with 10 comments): the handler serves a page view's first thread read
(GET /api/v1/comments through Mangum: one Query, over Parley's own client), the baseline makes
the same Query through its boto3 client. A sandbox imports on first use what a read needs
(backend/api/lazy.py), so the import alone may undercount a page view's cold start; this is
the figure bench/page_view.py takes. Both sides speak plain HTTP to 127.0.0.1: the TLS context
and handshake a sandbox pays to reach DynamoDB are left out on both sides.

The last line is `coldstart_ratio=<median CPU ratio>`; the exit status is 0 whether or not the
budget is met (bench/run.sh reads the figure).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.10
HANDLER = "import backend.lambda_handler"
BASELINE = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
PAUSED = f"import gc; gc.disable(); {BASELINE}; gc.freeze(); gc.enable()"
# Sandboxes are frozen after init, never shut down: leave interpreter shutdown out (both sides).
END = "; import os; os._exit(0)"

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


FIRST_READ_TABLE = "parley-bench"
FIRST_READ_URI = "/cold/"
FIRST_READ = """
import json
import backend.lambda_handler as h
class Context:
    function_name = "parley-bench-api"
    aws_request_id = "1"
answer = h.handler(json.loads({event!r}), Context())
assert answer["statusCode"] == 200, answer
"""
BASELINE_READ = """
import boto3
client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url={endpoint!r})
client.query(TableName={table!r}, KeyConditionExpression="pk = :pk",
             ExpressionAttributeValues={{":pk": {{"S": {pk!r}}}}}, Limit=12)
"""


def first_read_sides(endpoint: str) -> tuple[str, str]:
    """The two sides' code with a first request each, on a table made and filled here."""
    from datetime import UTC, datetime, timedelta

    from backend.domain.models import Comment, NewComment, Status
    from backend.settings import StoreURL
    from backend.store.dynamo import DynamoStore
    from backend.store.dynamo import items as it

    url = StoreURL("dynamodb", table=FIRST_READ_TABLE, region="us-east-1", endpoint=endpoint)
    store = DynamoStore.from_url(url)
    store.setup()
    start = datetime(2026, 1, 2, tzinfo=UTC)
    for i in range(10):
        comment = Comment(
            site="blog", uri=FIRST_READ_URI, id=f"01KD{i:022d}", parent=None, author="A reader",
            email="a@example.com", website=None, text="A comment " * 30,
            html="<p>" + "A comment " * 30 + "</p>", status=Status.APPROVED,
            created=start + timedelta(minutes=i),
        )  # fmt: skip
        store.create_comment(NewComment(comment, "T", f"seed-{i}", 1_900_000_000))
    store.close()
    event = json.loads((ROOT / "tests" / "events" / "function-url-get-comments.json").read_text())
    event["rawQueryString"] = f"site=blog&uri={FIRST_READ_URI}&limit=10"
    event.pop("queryStringParameters")
    handler = FIRST_READ.format(event=json.dumps(event)).strip()
    pk = it.thread_pk("blog", FIRST_READ_URI)
    baseline = BASELINE_READ.format(endpoint=endpoint, table=FIRST_READ_TABLE, pk=pk).strip()
    return handler, baseline


def run_once(
    side: Side, python: str = sys.executable, flags: tuple[str, ...] = ()
) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one whole interpreter run."""
    code, env, cwd = side
    start = time.perf_counter()
    child = subprocess.Popen([python, *flags, "-c", code + END], env=env, cwd=cwd)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"coldstart: `{code}` failed with status {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


# The code to run, its environment and its working directory. `python -c` puts the working
# directory first on sys.path: from the artifact it is the unzipped tree, as /var/task is on
# Lambda; a checkout there would be imported instead, compiled from source on every run.
Side = tuple[str, dict[str, str], Path]


def check_imported_from(side: Side, python: str, flags: tuple[str, ...]) -> None:
    _, env, cwd = side
    probe = "import backend, boto3; print(backend.__file__); print(boto3.__file__)"
    out = subprocess.run(
        [python, *flags, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.split()
    home = Path(env["PYTHONPATH"]).resolve()
    if not all(Path(f).resolve().is_relative_to(home) for f in out):
        raise SystemExit(f"coldstart: imports come from {out}, not from {home}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lambda cold-start import ratio")
    parser.add_argument("--runs", type=int, default=41, help="rounds (default 41)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each side a round, the least CPU kept (default 1)",
    )
    parser.add_argument("--json", action="store_true", help="also print the samples as JSON")
    parser.add_argument("--artifact", type=Path, help="run from this unzipped Lambda zip")
    parser.add_argument("--python", default=sys.executable, help="interpreter (with --artifact)")
    parser.add_argument(
        "--stock",
        type=Path,
        help="with --artifact: run the baseline from this tree of the same dependencies, "
        "unpruned (build/lambda/deps-*), as a bare function on Lambda's own boto3 would",
    )
    parser.add_argument(
        "--compare", type=Path, help="with --artifact: add the handler from this other artifact"
    )
    parser.add_argument(
        "--first-read",
        action="store_true",
        help="each side also serves its first read, on DynamoDB Local (started here)",
    )
    parser.add_argument(
        "--paused",
        action="store_true",
        help="add the baseline with the garbage collector paused during init, as the handler's",
    )
    args = parser.parse_args(argv)

    env = environment()
    with contextlib.ExitStack() as stack:
        handler_code, baseline_code = HANDLER, BASELINE
        if args.first_read:
            sys.path.insert(0, str(ROOT))
            from scripts.dynamodb_local import DynamoDBLocal

            local = stack.enter_context(DynamoDBLocal())
            handler_code, baseline_code = first_read_sides(local.endpoint)
            env["PARLEY_STORE"] = (
                f"dynamodb://{FIRST_READ_TABLE}?region=us-east-1&endpoint={local.endpoint}"
            )
        samples, python = run_sides(args, env, handler_code, baseline_code)
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    where = f"the artifact {args.artifact.name}" if args.artifact else "this venv"
    read = ", each side with its first read (DynamoDB Local)" if args.first_read else ""
    print(f"from: {where}, Python {version}{read}")
    report(args.runs, samples, as_json=args.json, repeat=args.repeat, first_read=args.first_read)
    return 0


def run_sides(
    args: argparse.Namespace, env: dict[str, str], handler_code: str, baseline_code: str
) -> tuple[dict[str, Samples], str]:
    with tempfile.TemporaryDirectory() as unzipped, tempfile.TemporaryDirectory() as other:
        python, flags, cwd = sys.executable, tuple[str, ...](), ROOT
        if args.artifact:
            with zipfile.ZipFile(args.artifact) as archive:
                archive.extractall(unzipped)
            env["PYTHONPATH"] = unzipped
            env["PYTHONDONTWRITEBYTECODE"] = "1"  # as on Lambda: only the shipped bytecode
            python, flags, cwd = args.python, ("-S",), Path(unzipped)
        sides: dict[str, Side] = {
            "handler": (handler_code, env, cwd),
            "baseline": (baseline_code, env, cwd),
        }
        check_imported_from(sides["handler"], python, flags)
        if args.paused:
            sides["paused"] = (PAUSED, env, cwd)
        if args.artifact and args.compare:
            with zipfile.ZipFile(args.compare) as archive:
                archive.extractall(other)
            sides["compare"] = (handler_code, {**env, "PYTHONPATH": other}, Path(other))
            check_imported_from(sides["compare"], python, flags)
        if args.artifact and args.stock:
            stock = args.stock.resolve()
            sides["stock"] = (BASELINE, {**env, "PYTHONPATH": str(stock)}, stock)
        return measure(args.runs, sides, python, flags, args.repeat), python


def measure(
    runs: int, sides: dict[str, Side], python: str, flags: tuple[str, ...], repeat: int = 1
) -> dict[str, Samples]:
    # Warm-up: the first runs fill the OS's file cache for every side.
    for _ in range(2):
        for side in sides.values():
            run_once(side, python, flags)
    samples: dict[str, Samples] = {name: [] for name in sides}
    names = list(sides)
    for i in range(runs):
        # Rotate which goes first, so drift in machine load hits every side alike.
        for name in names[i % len(names) :] + names[: i % len(names)]:
            tries = [run_once(sides[name], python, flags) for _ in range(repeat)]
            samples[name].append(min(tries, key=lambda t: t[1]))
    return samples


def spread(ratios: list[float]) -> tuple[float, float, float, float]:
    """Quartiles of the rounds' ratios, and a 95% confidence interval of their median: the
    order statistics k and n+1-k, k the largest with P(Binomial(n, 1/2) < k) <= 2.5%."""
    xs = sorted(ratios)
    n = len(xs)
    q1, _, q3 = statistics.quantiles(xs, n=4)
    k, below = 0, 0.0
    while k < n and below + math.comb(n, k) / 2**n <= 0.025:
        below += math.comb(n, k) / 2**n
        k += 1
    low, high = (xs[k - 1], xs[n - k]) if k >= 1 else (xs[0], xs[-1])
    return q1, q3, low, high


def report(
    runs: int,
    samples: dict[str, Samples],
    *,
    as_json: bool,
    repeat: int = 1,
    first_read: bool = False,
) -> None:
    def median_ms(name: str, which: int) -> float:
        return statistics.median(s[which] for s in samples[name]) * 1000

    def ratios(baseline: str, which: int) -> list[float]:
        pairs = zip(samples["handler"], samples[baseline], strict=True)
        return [h[which] / b[which] for h, b in pairs]

    labels = {
        "handler": "import backend.lambda_handler",
        "baseline": "boto3 + dynamodb client alone",
        "paused": "the same, collector paused as the handler's",
        "stock": "the same, on unpruned botocore",
        "compare": "the handler from the other artifact",
    }
    if first_read:
        labels = {name: f"{label} + its first read" for name, label in labels.items()}
    kept = f", each side the least CPU of {repeat} runs" if repeat > 1 else ""
    print(f"runs: {runs} rounds, the sides' order rotated each round{kept}; CPU = user + system")
    for name in samples:
        print(
            f"{labels[name]}: median {median_ms(name, 1):.0f} ms CPU, "
            f"{median_ms(name, 0):.0f} ms wall"
        )
    for name in ("paused", "stock", "compare"):
        if name in samples:
            cpu = statistics.median(ratios(name, 1))
            print(f"handler / {labels[name]}: median ratio {cpu:.3f} CPU")
    cpu_ratios = ratios("baseline", 1)
    ratio, wall = statistics.median(cpu_ratios), statistics.median(ratios("baseline", 0))
    q1, q3, low, high = spread(cpu_ratios)
    verdict = "within" if ratio <= BUDGET else "OVER"
    print(
        f"median ratio {ratio:.3f} CPU ({verdict} the {BUDGET}x budget); rounds' quartiles "
        f"{q1:.3f}-{q3:.3f}, 95% CI of the median {low:.3f}-{high:.3f}; {wall:.3f} wall"
    )
    if as_json:
        print(json.dumps({"samples": samples, "ratio": ratio, "ci95": [low, high]}))
    print(f"coldstart_ratio={ratio:.3f}")


if __name__ == "__main__":
    sys.exit(main())
