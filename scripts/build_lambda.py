"""Build the Lambda artifact: a zip of Parley's runtime files and its dependencies, built for
Lambda's platform and Python version, that serverless.yml deploys as `package.artifact`.

    .venv/bin/python scripts/build_lambda.py                 # arm64, CPython 3.12 (deployed)
    .venv/bin/python scripts/build_lambda.py --arch x86_64 --python 3.11 --out build/x.zip

Dependencies come from requirements.lock (hash-pinned) as binary wheels only, for
manylinux2014 on the chosen architecture; uvicorn and click, needed only by `parley serve`,
are left out. The installed dependencies are cached under build/lambda/deps-<key>/, keyed by
the lock, the platform and the Python version, so rebuilding after a code change takes a
second. The zip is reproducible: fixed timestamps and sorted entries, so an unchanged build
makes an identical file and `serverless deploy` has nothing to upload.

The widget (backend/static/embed.js) is built by `node widget/build.mjs`; this script builds
it when it is missing and fails with a clear message if it cannot.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# Needed by `parley serve` (and `parley import`) only; Lambda speaks to the app through Mangum.
SERVER_ONLY = {"uvicorn", "click", "colorama", "tqdm", "defusedxml", "pyyaml"}
# Never shipped: bytecode for the wrong interpreter, console scripts, type-stub markers.
SKIP_DIRS = {"__pycache__", "bin", "tests", "test"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".pyi"}
# botocore's models of the services Parley calls: DynamoDB (the store), SSM (the signing secret,
# read at cold start), SES v2 (the worker's mail) and Lambda (the flood breaker sets the API
# function's concurrency). botocore ships ~450; they are ~90% of the
# zip, and it lists every one of their folders each time it loads a model (cold start).
BOTOCORE_SERVICES = {"dynamodb", "ssm", "sesv2", "lambda"}
ZIP_DATE = (2020, 1, 1, 0, 0, 0)
CACHE_FORMAT = 2
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def runtime_requirements(lock_text: str) -> str:
    """The lock without the server-only packages (their hash lines go with them)."""
    out: list[str] = []
    keep = True
    for line in lock_text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name = line.split("==")[0].split(" ")[0].strip().lower()
            keep = name not in SERVER_ONLY
        if keep:
            out.append(line)
    return "\n".join(out) + "\n"


def install_dependencies(arch: str, python: str, cache: Path) -> Path:
    requirements = runtime_requirements(LOCK.read_text(encoding="utf-8"))
    # Bump CACHE_FORMAT when what goes into the cached tree changes (e.g. bytecode added).
    key = hashlib.sha256(f"{CACHE_FORMAT}|{arch}|{python}|{requirements}".encode()).hexdigest()
    target = cache / f"deps-{arch}-py{python}-{key[:16]}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    req_file = target.parent / f"{target.name}.txt"
    req_file.write_text(requirements, encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-warn-script-location",
        "--require-hashes",
        "--no-deps",
        "--no-compile",
        "--only-binary=:all:",
        "--platform",
        PLATFORMS[arch],
        "--implementation",
        "cp",
        "--python-version",
        python,
        "--target",
        str(target),
        "-r",
        str(req_file),
    ]
    # Fixed argv, no shell: the interpreter running this script, pip, and our own lock.
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        noise = "is ignored: it is neither a file nor a directory"
        errors = "\n".join(line for line in result.stderr.splitlines() if noise not in line)
        sys.exit(f"build_lambda: pip could not install the dependencies:\n{errors}")
    compile_bytecode(target, python)
    (target / ".complete").touch()
    return target


def ensure_widget() -> None:
    embed = ROOT / "backend" / "static" / "embed.js"
    manifest = ROOT / "backend" / "static" / "widget.json"  # names the thread bundle
    if embed.is_file() and manifest.is_file():
        return
    builder = ROOT / "widget" / "build.mjs"
    node = shutil.which("node")
    if not builder.is_file() or node is None:
        sys.exit("build_lambda: backend/static/embed.js is missing; run `node widget/build.mjs`")
    subprocess.run([node, str(builder)], cwd=ROOT, check=True)  # noqa: S603 (our own build)
    if not embed.is_file() or not manifest.is_file():
        sys.exit("build_lambda: `node widget/build.mjs` did not produce backend/static/embed.js")


def target_interpreter(python: str) -> str | None:
    """An interpreter of the target version, to compile bytecode with, if there is one here."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python:
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{python}")]
    candidates += [str(p) for p in sorted(pyenv.glob(f"{python}.*/bin/python{python}"))]
    for candidate in candidates:
        if candidate is None:
            continue
        # A pyenv shim for a version that isn't selected exists but fails: try each.
        probe = subprocess.run([candidate, "-c", ""], capture_output=True, check=False)  # noqa: S603
        if probe.returncode == 0:
            return candidate
    return None


def compile_bytecode(tree: Path, python: str) -> bool:
    """Compile .pyc for the target Python into `tree`. Lambda's /var/task is read-only, so
    without them every cold start compiles every imported module from source (measured here:
    about twice the import time). Unchecked-hash pycs: valid whatever the zip's timestamps."""
    interpreter = target_interpreter(python)
    if interpreter is None:
        return False
    subprocess.run(  # noqa: S603 (fixed argv: a local interpreter compiling our own files)
        [
            interpreter,
            "-m",
            "compileall",
            "-q",
            "-j0",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(tree),
            "-p",
            "/var/task",
            str(tree),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return True


def files_under(base: Path, pyc_tag: str) -> Iterator[Path]:
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if not path.is_file() or path.name == ".complete":
            continue
        if rel.parts[-2:-1] == ("__pycache__",) and path.name.endswith(f".{pyc_tag}.pyc"):
            if not any(part in SKIP_DIRS - {"__pycache__"} for part in rel.parts[:-2]):
                yield path  # bytecode for the target interpreter
            continue
        if any(part in SKIP_DIRS for part in rel.parts[:-1]) or path.suffix in SKIP_SUFFIXES:
            continue
        if not _botocore_data_kept(rel.parts):
            continue
        yield path


def _botocore_data_kept(parts: tuple[str, ...]) -> bool:
    """botocore/data/<service>/... only for the services Parley calls; its own files stay."""
    if parts[:2] != ("botocore", "data") or len(parts) <= 3:
        return True
    return parts[2] in BOTOCORE_SERVICES


def write_zip(out: Path, trees: list[tuple[Path, str]], pyc_tag: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")  # builds at once never share a half-written file
    entries: dict[str, Path] = {}
    for base, prefix in trees:
        for path in files_under(base, pyc_tag):
            entries[prefix + path.relative_to(base).as_posix()] = path
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # readable by the Lambda runtime's user
            zf.writestr(info, entries[name].read_bytes())
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument("--python", default="3.12", help="Lambda runtime's Python, e.g. 3.12")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lambda" / "parley.zip")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "lambda")
    args = parser.parse_args(argv)

    ensure_widget()
    deps = install_dependencies(args.arch, args.python, args.cache.resolve())
    pyc_tag = "cpython-" + args.python.replace(".", "")
    with tempfile.TemporaryDirectory() as staging:
        # A copy of the package, so that compiling never touches the working tree.
        code = Path(staging) / "backend"
        shutil.copytree(ROOT / "backend", code, ignore=shutil.ignore_patterns("__pycache__"))
        compiled = compile_bytecode(Path(staging), args.python)
        write_zip(args.out, [(deps, ""), (code, "backend/")], pyc_tag)
    size = args.out.stat().st_size
    bytecode = "with bytecode" if compiled else f"no bytecode: no python{args.python} here"
    print(
        f"build_lambda: {args.out} ({size / 1e6:.1f} MB, {args.arch}, CPython {args.python},"
        f" {bytecode})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
