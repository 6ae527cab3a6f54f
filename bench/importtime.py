"""What the Lambda handler's import spends its time on: `python -X importtime`, summarized.

    .venv/bin/python bench/importtime.py

Imports backend.lambda_handler once (after a warm-up run) in the environment bench/coldstart.py
uses, and lists the modules with the largest cumulative import time, and the handler module's
own time (building settings, the store's DynamoDB client, the app and Mangum).
Writes results/importtime.json.
"""

from __future__ import annotations

import subprocess
import sys

import coldstart
import lib


def main() -> None:
    env = coldstart.environment()
    argv = [sys.executable, "-X", "importtime", "-c", "import backend.lambda_handler"]
    subprocess.run(argv, env=env, cwd=lib.ROOT, capture_output=True, check=True)  # warm-up
    err = subprocess.run(argv, env=env, cwd=lib.ROOT, capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, own, cum, name = (part.strip() for part in line.replace("import time:", "|").split("|"))
        rows.append({"module": name, "own_ms": int(own) / 1000, "cumulative_ms": int(cum) / 1000})
    rows.sort(key=lambda r: -float(r["cumulative_ms"]))  # type: ignore[arg-type]
    top = [r for r in rows if not str(r["module"]).startswith(("encodings", "_"))][:25]
    lib.save("importtime", {"top_cumulative": top})
    for r in top:
        print(f"{r['cumulative_ms']:8.1f} ms {r['own_ms']:8.1f} ms own  {r['module']}")


if __name__ == "__main__":
    main()
