"""`make package` and `make deploy`: Parley on AWS in one command.

    .venv/bin/python scripts/deploy.py package --stage dev --sites infra/sites.example.json
    .venv/bin/python scripts/deploy.py deploy --stage prod --sites sites.prod.json \
        [--region us-east-1] [--param cdn=true ...]

Both build the Lambda artifact (scripts/build_lambda.py) and check the sites file. `package`
then runs `serverless package` (offline: no credentials, no network). `deploy` creates the
signing secret in SSM Parameter Store when it is missing (a SecureString of 32 random bytes;
an existing one is never changed) and runs `serverless deploy`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The deploy toolchain, both from package.json: osls (the maintained continuation of
# Serverless Framework v3) run by the npm registry's `node` package (a supported Node LTS),
# whatever `node` the machine has on PATH.
NODE = ROOT / "node_modules" / ".bin" / "node"
SERVERLESS = ROOT / "node_modules" / "osls" / "bin" / "serverless.js"


def serverless_command() -> list[str]:
    """How to run serverless: the pinned Node running the pinned osls."""
    return [str(NODE), str(SERVERLESS)]


class DeployError(Exception):
    """A step cannot go on; the message says what to do."""


def secret_param_name(stage: str, params: dict[str, str]) -> str:
    """The SSM parameter serverless.yml points the function at (`secretKeysParam`)."""
    return params.get("secretKeysParam") or f"/parley/{stage}/secret-keys"


def ensure_secret(ssm: Any, name: str) -> bool:
    """Create the SecureString `name` holding one new signing key unless it exists.
    Returns whether it was created. An existing parameter is left as it is (rotating keys
    is a deliberate act: docs/deploy.md), but one that is not a SecureString is refused."""
    try:
        found = ssm.get_parameter(Name=name, WithDecryption=False)
    except ssm.exceptions.ParameterNotFound:
        found = None
    if found is not None:
        kind = found["Parameter"]["Type"]
        if kind != "SecureString":
            raise DeployError(
                f"SSM parameter {name} exists as a {kind}; the signing keys must be a "
                "SecureString: delete it or pass --param secretKeysParam=OTHER_NAME"
            )
        return False
    try:
        ssm.put_parameter(
            Name=name,
            Description="Parley's signing keys (PARLEY_SECRET_KEYS): first signs, all verify",
            Value=secrets.token_urlsafe(32),
            Type="SecureString",
            Overwrite=False,
        )
    except ssm.exceptions.ParameterAlreadyExists:
        return False  # made by a concurrent deploy in between: keep theirs
    return True


def check_sites(path: Path) -> Path:
    """The sites file must exist and hold a JSON object of sites (infra/sites.js checks the
    rest while packaging)."""
    if not path.is_file():
        raise DeployError(
            f"sites file {path} not found: `cp infra/sites.example.json {path.name}` and edit it"
        )
    try:
        sites = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DeployError(f"sites file {path} is not valid JSON: {exc}") from exc
    if not isinstance(sites, dict) or not sites:
        raise DeployError(f"sites file {path} must map site names to their settings")
    return path.resolve()


def serverless_argv(
    command: str, stage: str, region: str, params: dict[str, str], package_dir: Path | None = None
) -> list[str]:
    argv = [*serverless_command(), command, "--stage", stage, "--region", region]
    if package_dir is not None:
        argv += ["--package", str(package_dir)]
    return argv + [f"--param={key}={value}" for key, value in sorted(params.items())]


def build_artifact() -> None:
    script = ROOT / "scripts" / "build_lambda.py"
    spec = importlib.util.spec_from_file_location("build_lambda", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if module.main([]) != 0:
        raise DeployError("the Lambda artifact could not be built")


def ssm_client(region: str) -> Any:
    import botocore.session  # only `deploy` needs AWS

    return botocore.session.get_session().create_client("ssm", region_name=region)


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DeployError(f"--param {pair!r}: expected NAME=VALUE")
        params[key] = value
    return params


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["package", "deploy"])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or "us-east-1")
    parser.add_argument("--sites", type=Path, help="sites file (default: sites.<stage>.json)")
    parser.add_argument("--param", action="append", default=[], help="serverless NAME=VALUE")
    parser.add_argument("--skip-build", action="store_true", help="use the artifact as it is")
    args = parser.parse_args(argv)

    params = parse_params(args.param)
    sites = args.sites or ROOT / f"sites.{args.stage}.json"
    params["sitesFile"] = str(check_sites(sites))
    if not all(Path(part).exists() for part in serverless_command()[:2]):
        raise DeployError("the deploy toolchain (osls, node) is missing: run `make setup`")
    if not args.skip_build:
        build_artifact()
    if args.command == "deploy":
        name = secret_param_name(args.stage, params)
        created = ensure_secret(ssm_client(args.region), name)
        print(f"deploy: signing keys in SSM {name} ({'created' if created else 'kept'})")
    command = serverless_argv(args.command, args.stage, args.region, params)
    # Fixed argv (our serverless, our own parameters); no shell.
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603


def main() -> int:
    try:
        return run()
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
