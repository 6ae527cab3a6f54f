"""`make package`, `make deploy` and `make restore`: Parley on AWS in one command each.

    .venv/bin/python scripts/deploy.py package --stage dev --sites infra/sites.example.json
    .venv/bin/python scripts/deploy.py deploy --stage prod --sites sites.prod.json \
        [--region us-east-1] [--param alarmEmail=you@example.org] [--param cdn=true ...]
    .venv/bin/python scripts/deploy.py restore --stage prod [--region us-east-1]

`package` and `deploy` build the Lambda artifact (scripts/build_lambda.py) and check the sites
file. `package` then runs `serverless package` (offline: no credentials, no network).
`deploy` first makes sure someone is told when things go wrong (the alarm mail address, asked
for or required), reads the account's Lambda concurrency quota and keeps the API function's
reserved concurrency only if the account can give it, creates the signing secret in SSM
Parameter Store when it is missing (a SecureString of 32 random bytes; an existing one is never
changed), runs `serverless deploy`, and, when that fails, says what was left behind that bills.
`restore` undoes a trip of the flood breaker: the API function's usual concurrency back.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
# The deploy toolchain, both from package.json: osls (the maintained continuation of
# Serverless Framework v3) run by the npm registry's `node` package (a supported Node LTS),
# whatever `node` the machine has on PATH.
NODE = ROOT / "node_modules" / ".bin" / "node"
SERVERLESS = ROOT / "node_modules" / "osls" / "bin" / "serverless.js"


# serverless.yml's `reservedConcurrency` default (a test keeps the two equal).
DEFAULT_RESERVED = "2"
# serverless.yml's `sandboxCeiling` default (likewise).
DEFAULT_CEILING = "20,131072,5"


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


def aws_client(service: str, region: str) -> Any:
    import botocore.session

    return botocore.session.get_session().create_client(service, region_name=region)


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
UNWATCHED = "none"


def alarm_email(params: dict[str, str], ask: Callable[[str], str] | None) -> str:
    """The address the alarms mail: the `alarmEmail` parameter, or asked for when a person is
    at the terminal (`ask`). Deploying without one must be said out loud: `alarmEmail=none`."""
    email = params.get("alarmEmail", "").strip()
    if not email and ask is not None:
        email = ask(
            "deploy: the address that gets alarm mail (errors, throttles, a flood, the budget);\n"
            f"        '{UNWATCHED}' to deploy with nobody told: "
        ).strip()
    if email == UNWATCHED:
        print(
            "deploy: WARNING: no alarm mail. Nothing tells you about errors, a flood (the "
            "breaker still trips) or the budget; set alarmEmail to be told.",
            file=sys.stderr,
        )
        return ""
    if not email:
        raise DeployError(
            "no alarm mail address: pass PARAMS=alarmEmail=you@example.org (AWS mails a "
            f"confirmation link to it), or alarmEmail={UNWATCHED} to deploy with nobody told"
        )
    if not EMAIL.fullmatch(email):
        raise DeployError(f"alarmEmail {email!r} is not a mail address")
    return email


# "You can reserve concurrency for as many functions as you like, as long as you leave at
# least 100 simultaneous executions unreserved" (Lambda API reference, PutFunctionConcurrency:
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html; the developer
# guide, https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
UNRESERVED_MINIMUM = 100


class ConcurrencyPlan(NamedTuple):
    """What `make deploy` passes for the API function, and the line that says why."""

    reserved: str  # `reservedConcurrency` ("" for none)
    ceiling: str  # `sandboxCeiling` ("" for none)
    sandboxes: int  # the most sandboxes a flood can keep busy with this plan
    line: str


def scale_ceiling(ceiling: str, factor: float) -> str:
    """`sandboxCeiling` with each of its three figures times `factor` (at most 1), rounded
    down: never more than the figures times the factor, never zero."""
    if ceiling.strip() == "" or factor >= 1:
        return ceiling
    requests, size, network = (float(part) for part in ceiling.split(","))

    def down(value: float) -> str:
        return f"{max(math.floor(value * 1000) / 1000, 0.001):g}"

    return f"{down(requests * factor)},{max(math.floor(size * factor), 1)},{down(network * factor)}"


def check_wanted(wanted: str) -> None:
    if wanted != "" and (not wanted.isdigit() or int(wanted) < 1):
        raise DeployError(f"reservedConcurrency {wanted!r}: a whole number of sandboxes, or ''")


def plan(quota: int, unreserved: int, held: int, wanted: str, ceiling: str) -> ConcurrencyPlan:
    """The API function's reserved concurrency and sandbox ceiling for an account with this
    `quota`, `unreserved` executions, of which this function already reserves `held` (a
    redeploy gives them back first). `wanted` and `ceiling` are the parameters asked for: the
    defaults promise a flood at most `wanted` sandboxes, each under `ceiling`. Where AWS
    cannot reserve `wanted`, the function shares what is unreserved, so every sandbox gets
    `ceiling` times wanted / sandboxes: the function's whole ceiling (requests, bytes and a
    network's requests a second) stays what `wanted` sandboxes promised. A sandbox still
    bills its duration while a flood keeps it waiting: docs/deploy.md says what that costs."""
    if wanted == "":
        return ConcurrencyPlan(
            "",
            ceiling,
            unreserved + held,
            "reserved concurrency: none asked for (the function shares the account's)",
        )
    check_wanted(wanted)
    available = unreserved + held
    if int(wanted) <= available - UNRESERVED_MINIMUM:
        return ConcurrencyPlan(
            wanted, ceiling, int(wanted), f"reserved concurrency: {wanted} (account quota {quota})"
        )
    scaled = scale_ceiling(ceiling, int(wanted) / available)
    if scaled == ceiling:
        ceiling_said = f"sandboxCeiling {ceiling or 'none'} as it is"
    else:
        ceiling_said = (
            f"sandboxCeiling {ceiling} -> {scaled} a sandbox, so that {available} sandboxes "
            f"answer no more in all than {wanted} would have"
        )
    return ConcurrencyPlan(
        "",
        scaled,
        available,
        f"reserved concurrency: left off: the account's quota is {quota} with {unreserved} "
        f"unreserved, and AWS keeps {UNRESERVED_MINIMUM} unreserved, so {wanted} cannot be "
        f"reserved; the function shares the account's {available}; {ceiling_said}; the "
        "flood breaker stays. A flood costs more an hour than with the reservation, and one "
        "that fills the account also delays the breaker function "
        '(docs/deploy.md, "Flood ceiling and breaker"): ask AWS Support (Service Quotas, '
        "Lambda concurrent executions) for 1000, then deploy again",
    )


def plan_concurrency(
    lambda_client: Any, function: str, wanted: str, ceiling: str = ""
) -> ConcurrencyPlan:
    """`plan` for the account `lambda_client` reaches. What `function` already reserves
    counts as available (a redeploy keeps it)."""
    check_wanted(wanted)
    settings = lambda_client.get_account_settings()["AccountLimit"]
    quota = int(settings["ConcurrentExecutions"])
    unreserved = int(settings["UnreservedConcurrentExecutions"])
    try:
        current = lambda_client.get_function_concurrency(FunctionName=function)
        held = int(current.get("ReservedConcurrentExecutions") or 0)
    except lambda_client.exceptions.ResourceNotFoundException:
        held = 0
    return plan(quota, unreserved, held, wanted, ceiling)


def left_behind(cfn: Any, dynamodb: Any, stage: str, region: str) -> list[str]:
    """After a failed `serverless deploy`: what of the stack is still there and bills, with the
    commands that remove it. A first deploy that rolled back keeps the table (Retain), which
    bills point-in-time recovery and storage."""
    stack = f"parley-{stage}"
    lines: list[str] = []
    try:
        (found,) = cfn.describe_stacks(StackName=stack)["Stacks"]
        status = found["StackStatus"]
    except cfn.exceptions.ClientError:
        status = "GONE"
    if status in {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"}:
        lines.append(
            f"stack {stack} is {status}: remove it before deploying again: "
            f"aws cloudformation delete-stack --region {region} --stack-name {stack}"
        )
    pages = dynamodb.get_paginator("list_tables").paginate()
    tables = [name for page in pages for name in page["TableNames"]]
    for table in (t for t in tables if t.startswith(f"{stack}-ParleyTable")):
        if status not in {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "GONE"}:
            continue  # a live stack's table: its comments
        lines.append(
            f"table {table} was kept (it is never deleted with the stack) and bills its "
            "backups and storage; if it holds no comments yet, delete it: aws dynamodb "
            f"update-table --region {region} --table-name {table} "
            f"--no-deletion-protection-enabled && aws dynamodb delete-table --region {region} "
            f"--table-name {table}"
        )
    return lines


def restore(lambda_client: Any, stage: str, cloudwatch: Any = None) -> str:
    """Undo a trip of the flood breaker: the API function's usual reserved concurrency (the
    breaker function's PARLEY_BREAKER_NORMAL, what the last deploy set) back. A spend alarm
    still in ALARM is set to OK: an alarm acts only when its state changes, so left in ALARM
    it would not trip the breaker again however long a flood went on; set to OK, its next
    evaluation (a minute) trips it again if the last 24 hours are still over the budget's pace."""
    api, breaker = f"parley-{stage}-api", f"parley-{stage}-breaker"
    config = lambda_client.get_function_configuration(FunctionName=breaker)
    normal = config.get("Environment", {}).get("Variables", {}).get("PARLEY_BREAKER_NORMAL", "")
    if normal == "":
        lambda_client.delete_function_concurrency(FunctionName=api)
        said = f"restore: {api} shares the account's concurrency again (no reservation)"
    else:
        lambda_client.put_function_concurrency(
            FunctionName=api, ReservedConcurrentExecutions=int(normal)
        )
        said = f"restore: {api} may run {normal} sandboxes again"
    spend = f"parley-{stage}-spend"
    alarms = [] if cloudwatch is None else cloudwatch.describe_alarms(AlarmNames=[spend])
    if alarms and any(a["StateValue"] == "ALARM" for a in alarms["MetricAlarms"]):
        cloudwatch.set_alarm_state(
            AlarmName=spend, StateValue="OK", StateReason="make restore: the owner reopened"
        )
        said += (
            f"\nrestore: {spend} re-armed; if the last 24 hours are still over the monthly"
            " budget's pace it trips the breaker again within minutes (raise monthlyBudgetUsd"
            " to keep it open)"
        )
    return said


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
    parser.add_argument("command", choices=["package", "deploy", "restore"])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or "us-east-1")
    parser.add_argument("--sites", type=Path, help="sites file (default: sites.<stage>.json)")
    parser.add_argument("--param", action="append", default=[], help="serverless NAME=VALUE")
    parser.add_argument("--skip-build", action="store_true", help="use the artifact as it is")
    args = parser.parse_args(argv)

    params = parse_params(args.param)
    if args.command == "restore":
        lambda_client = aws_client("lambda", args.region)
        print(restore(lambda_client, args.stage, aws_client("cloudwatch", args.region)))
        return 0
    sites = args.sites or ROOT / f"sites.{args.stage}.json"
    params["sitesFile"] = str(check_sites(sites))
    if not all(Path(part).exists() for part in serverless_command()[:2]):
        raise DeployError("the deploy toolchain (osls, node) is missing: run `make setup`")
    if not args.skip_build:
        build_artifact()
    if args.command == "deploy":
        params["alarmEmail"] = alarm_email(params, input if sys.stdin.isatty() else None)
        function = f"parley-{args.stage}-api"
        chosen = plan_concurrency(
            aws_client("lambda", args.region),
            function,
            params.get("reservedConcurrency", DEFAULT_RESERVED),
            params.get("sandboxCeiling", DEFAULT_CEILING),
        )
        params["reservedConcurrency"], params["sandboxCeiling"] = chosen.reserved, chosen.ceiling
        print(f"deploy: {chosen.line}")
        name = secret_param_name(args.stage, params)
        created = ensure_secret(ssm_client(args.region), name)
        print(f"deploy: signing keys in SSM {name} ({'created' if created else 'kept'})")
    command = serverless_argv(args.command, args.stage, args.region, params)
    # Fixed argv (our serverless, our own parameters); no shell.
    status = subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603
    if args.command == "deploy" and status != 0:
        cfn, dynamodb = (
            aws_client("cloudformation", args.region),
            aws_client("dynamodb", args.region),
        )
        for line in left_behind(cfn, dynamodb, args.stage, args.region):
            print(f"deploy: {line}", file=sys.stderr)
    elif args.command == "deploy" and params["alarmEmail"]:
        print(
            f"deploy: AWS has mailed {params['alarmEmail']} a subscription confirmation (from "
            "no-reply@sns.amazonaws.com, 'AWS Notification - Subscription Confirmation'); "
            "follow its link once, or no alarm mail arrives"
        )
    return status


def main() -> int:
    try:
        return run()
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
