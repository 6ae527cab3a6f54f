"""The packaged stack, shared by the tests that read it (test_infra.py, test_aws_rules.py):
`serverless package` (osls) with fake credentials and no network, once per process and variant
(the defaults, and every option switched on), and the derivation of what each function's code
calls on AWS."""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARTIFACT = ROOT / "build" / "lambda" / "parley.zip"


def build_artifact(out: Path = ARTIFACT, arch: str = "arm64", python: str = "3.12") -> Path:
    """Run scripts/build_lambda.py (dependencies cached under build/lambda/)."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_lambda.py"),
            "--arch",
            arch,
            "--python",
            python,
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def load_script(name: str) -> ModuleType:
    """scripts/NAME.py as a module (the scripts are not part of the package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_script() -> ModuleType:
    """scripts/build_lambda.py as a module."""
    return load_script("build_lambda")


def offline_prefix() -> list[str]:
    """`unshare -n`: a new network namespace with only a loopback that is down, so packaging
    provably reaches nothing. Empty where namespaces can't be made (then only the fake
    credentials and the disabled telemetry keep it local)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return [unshare, "-n"] if probe.returncode == 0 else []


def serverless_package(out_dir: Path, home: Path, params: dict[str, str]) -> dict[str, Any]:
    """`serverless package` with fake credentials and no network; returns the update template."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # no ~/.aws, no ~/.serverless of the developer's
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "fake-secret-for-offline-packaging",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        "SLS_INTERACTIVE_SETUP_DISABLE": "1",
        "CI": "true",
    }
    # The argument list `make package` / `make deploy` use (scripts/deploy.py).
    argv = load_script("deploy").serverless_argv("package", "test", "eu-west-1", params, out_dir)
    command = [*offline_prefix(), *argv]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=240
    )
    if result.returncode != 0:
        raise AssertionError(f"serverless package failed:\n{result.stdout}\n{result.stderr}")
    template: dict[str, Any] = json.loads(
        (out_dir / "cloudformation-template-update-stack.json").read_text(encoding="utf-8")
    )
    return template


def cfn_lint(*templates: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--format",
            "parseable",
            *(str(t) for t in templates),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


# -- fixtures ------------------------------------------------------------------------------------

SITES = {"blog": {"origins": ["https://blog.example.com"], "moderation": "first-time"}}
FULL = {
    "cdn": "true",
    "alarmEmail": "ops@example.com",
    "publicUrl": "https://comments.example.com",
    "trustedProxies": "2",
    "secretKeysParam": "/parley/test/keys",
}

TABLE_JSON = ROOT / "backend" / "store" / "table.json"


@dataclass(frozen=True)
class Packaged:
    directory: Path
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def of_type(self, kind: str) -> dict[str, Any]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}


_ROOT_DIR: list[Path] = []


def _package_root() -> Path:
    if not _ROOT_DIR:
        build_artifact()
        root = Path(tempfile.mkdtemp(prefix="parley-sls-"))
        (root / "sites.json").write_text(json.dumps(SITES), encoding="utf-8")
        _ROOT_DIR.append(root)
    return _ROOT_DIR[0]


@functools.cache
def packaged(name: str) -> Packaged:
    """The stack packaged with the defaults ("default") or every option on ("full")."""
    params = {"default": {}, "full": FULL}[name]
    root = _package_root()
    out = root / name
    params = {"sitesFile": str(root / "sites.json"), **params}
    return Packaged(out, serverless_package(out, root / f"home-{name}", params))


def statements(stack: Packaged, role: str = "IamRoleLambdaExecution") -> list[dict[str, Any]]:
    """The statements of a role's inline policies."""
    props = stack.resources[role]["Properties"]
    return [s for p in props["Policies"] for s in p["PolicyDocument"]["Statement"]]


# boto3 client method -> the IAM action it needs. Table setup (`parley init-table`) is not the
# function's business: CloudFormation makes the table.
_METHOD_ACTIONS = {
    "get_item": "GetItem",
    "batch_get_item": "BatchGetItem",
    "query": "Query",
    "scan": "Scan",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "batch_write_item": "BatchWriteItem",
    "transact_get_items": "GetItem",
}
_SETUP_ONLY = {"create_table", "update_time_to_live", "describe_table", "get_waiter"}
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def store_actions() -> set[str]:
    """The DynamoDB actions the function's store (backend/store/dynamo/) uses, read from its
    source. bulk.py is left out: imports and exports run from `parley import/export` with the
    owner's credentials, never in the function, which must not be granted a Scan."""
    package = ROOT / "backend" / "store" / "dynamo"
    sources = sorted(p for p in package.glob("*.py") if p.name != "bulk.py")
    assert sources, "the DynamoDB store is missing"
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    actions: set[str] = set()
    for method in set(re.findall(r"\.([a-z_]+)\(", text)):
        if method in _METHOD_ACTIONS:
            actions.add(_METHOD_ACTIONS[method])
        elif method == "transact_write_items":
            for kind in re.findall(r"[\"'](Put|Update|Delete|ConditionCheck)[\"']\s*:", text):
                actions.add(_TRANSACT_ACTIONS[kind])
    assert not actions & {"Scan"}, "DESIGN: never a Scan"
    return {f"dynamodb:{a}" for a in actions}


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(entry: str) -> set[Path]:
    """The backend modules `entry` imports, transitively, at module level or inside a function
    (lazy imports count: they run on the function's code path too)."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        path = _module_file(todo.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("backend")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backend"):
                todo += [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
    return seen


def _called_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Attribute):
                names.add(call.func.attr)
            elif isinstance(call.func, ast.Name):
                names.add(call.func.id)
    return names


def _direct_actions(node: ast.AST) -> set[str]:
    """The client calls in a function, and the transaction items it builds."""
    actions = {_METHOD_ACTIONS[n] for n in _called_names(node) if n in _METHOD_ACTIONS}
    for d in ast.walk(node):
        if isinstance(d, ast.Dict):
            for key in d.keys:
                if isinstance(key, ast.Constant) and key.value in _TRANSACT_ACTIONS:
                    actions.add(_TRANSACT_ACTIONS[key.value])
    return actions


def function_actions(entry: str) -> set[str]:
    """The DynamoDB actions one Lambda function's code path uses: the Store methods its modules
    call (every `x.name(` whose name is a method of the Store protocol, found in the modules
    `entry` imports outside backend/store/), followed through backend/store/dynamo/ (every
    function, by name, to the functions it calls) to the client calls and transaction items
    they reach. Over-approximate by design: a name called anywhere counts."""
    store = ROOT / "backend" / "store"
    protocol = ast.parse((store / "base.py").read_text(encoding="utf-8"))
    store_methods = {
        f.name
        for c in protocol.body
        if isinstance(c, ast.ClassDef) and c.name in {"Store", "Outbox"}
        for f in c.body
        if isinstance(f, ast.FunctionDef)
    }
    callers = [p for p in _imported(entry) if store not in p.parents]
    wanted = set().union(*(_called_names(ast.parse(p.read_text("utf-8"))) for p in callers))
    callees: dict[str, set[str]] = {}
    actions: dict[str, set[str]] = {}
    for path in (store / "dynamo").glob("*.py"):
        if path.name == "bulk.py":  # `parley import/export` only, never in a function
            continue
        for f in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(f, ast.FunctionDef):
                callees.setdefault(f.name, set()).update(_called_names(f))
                actions.setdefault(f.name, set()).update(_direct_actions(f))
    used: set[str] = set()
    reached: set[str] = set()
    todo = sorted(wanted & store_methods)
    assert todo, f"{entry} calls no Store method: the derivation is broken"
    while todo:
        name = todo.pop()
        if name in reached or name not in callees:
            continue
        reached.add(name)
        used |= actions[name]
        todo += callees[name] - reached
    return {f"dynamodb:{a}" for a in used}
