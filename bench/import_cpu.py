"""CPU time of each module's own import in the handler's cold start, from the built artifact.

    ../.venv/bin/python import_cpu.py --artifact .work/lambda.zip \
        --python ~/.pyenv/versions/3.12.1/bin/python3.12 [--runs 5] [--top 40]

`python -X importtime` reports wall time, which on a shared machine is mostly waiting for a
core; this wraps the interpreter's import (importlib's `_find_and_load`, which the `import`
statement calls by name) and charges each module the CPU time (`time.process_time`) of its own
execution, its imports excluded. It runs in the unzipped artifact (`python -S`, its shipped
bytecode, the environment of bench/coldstart.py), with the collector paused for the whole run
(as the handler's init is), and prints the median over runs of each module's own CPU time,
largest first, with the total. The wrapper adds a little to every import.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from coldstart import HANDLER, environment

PROBE = """
import gc, json, sys, time
gc.disable()
import importlib._bootstrap as bootstrap
load, clock, stack, own = bootstrap._find_and_load, time.process_time, [], {}
def timed(name, import_):
    if name in sys.modules:
        return load(name, import_)
    stack.append([name, clock(), 0.0])
    try:
        return load(name, import_)
    finally:
        name, start, inner = stack.pop()
        spent = clock() - start
        own[name] = own.get(name, 0.0) + spent - inner
        if stack:
            stack[-1][2] += spent
bootstrap._find_and_load = timed
start = clock()
exec(sys.argv[1])
own["(total)"] = clock() - start
print(json.dumps(own))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--code", default=HANDLER, help="what to import (default: the handler)")
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as unzipped:
        with zipfile.ZipFile(args.artifact) as archive:
            archive.extractall(unzipped)
        env["PYTHONPATH"] = unzipped
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        runs = [
            json.loads(
                subprocess.run(
                    [args.python, "-S", "-c", PROBE, args.code],
                    env=env,
                    cwd=unzipped,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(args.runs)
        ]
    names = set().union(*runs)
    ms = {n: statistics.median(r.get(n, 0.0) for r in runs) * 1000 for n in names}
    print(f"`{args.code}`, {args.runs} runs, own CPU ms per module (median), collector paused")
    for name, value in sorted(ms.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{value:8.2f}  {name}")


if __name__ == "__main__":
    main()
