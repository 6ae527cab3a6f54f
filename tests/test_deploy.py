"""`make deploy`'s steps that need no AWS account: the signing secret (on moto's SSM), the sites
check, and the order deploy runs in (a stand-in serverless records its arguments). The real
`serverless package` through the same argument builder runs in tests/test_infra.py."""

from __future__ import annotations

import importlib.util
import io
import json
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from moto import mock_aws

from backend.domain.ceiling import SandboxCeiling

ROOT = Path(__file__).resolve().parent.parent


def load_deploy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy", ROOT / "scripts" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = load_deploy()


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield botocore.session.get_session().create_client("ssm", region_name="eu-west-1")


def test_secret_is_created_once_as_a_secure_string(ssm: Any) -> None:
    name = "/parley/prod/secret-keys"
    assert deploy.ensure_secret(ssm, name) is True
    stored = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString"
    assert len(stored["Value"]) >= 32
    # A second deploy keeps the key (tokens and links signed with it stay valid).
    assert deploy.ensure_secret(ssm, name) is False
    again = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert again["Value"] == stored["Value"]
    assert again["Version"] == stored["Version"]


def test_secret_keys_differ_between_stages(ssm: Any) -> None:
    deploy.ensure_secret(ssm, "/parley/a/secret-keys")
    deploy.ensure_secret(ssm, "/parley/b/secret-keys")
    values = {
        ssm.get_parameter(Name=f"/parley/{s}/secret-keys", WithDecryption=True)["Parameter"][
            "Value"
        ]
        for s in "ab"
    }
    assert len(values) == 2


def test_a_plain_string_parameter_is_refused(ssm: Any) -> None:
    ssm.put_parameter(Name="/parley/prod/secret-keys", Value="x" * 40, Type="String")
    with pytest.raises(deploy.DeployError, match="SecureString"):
        deploy.ensure_secret(ssm, "/parley/prod/secret-keys")


def test_secret_name_follows_serverless_parameter() -> None:
    assert deploy.secret_param_name("prod", {}) == "/parley/prod/secret-keys"
    assert deploy.secret_param_name("prod", {"secretKeysParam": "/x/y"}) == "/x/y"


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), ("{", "not valid JSON"), ("[]", "map site names"), ("{}", "map site")],
)
def test_sites_file_is_checked(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "sites.prod.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(deploy.DeployError, match=message):
        deploy.check_sites(path)


def test_bad_param_is_refused() -> None:
    with pytest.raises(deploy.DeployError, match="NAME=VALUE"):
        deploy.parse_params(["cdn"])


class Account:
    """A Lambda client whose GetAccountSettings answers the given quota (moto does not
    implement it); every other call goes to moto's Lambda."""

    def __init__(self, quota: int, unreserved: int, client: Any = None) -> None:
        self.quota, self.unreserved = quota, unreserved
        self.client = client or botocore.session.get_session().create_client(
            "lambda", region_name="eu-west-1"
        )
        self.exceptions = self.client.exceptions

    def get_account_settings(self) -> dict[str, Any]:
        return {
            "AccountLimit": {
                "ConcurrentExecutions": self.quota,
                "UnreservedConcurrentExecutions": self.unreserved,
            }
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def account(quota: int, unreserved: int) -> Account:
    return Account(quota, unreserved)


def fake_serverless(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for node_modules/.bin/serverless that writes its arguments to a file."""
    record = tmp_path / "serverless-args.json"
    script = tmp_path / "serverless"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"json.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_deploy_creates_the_secret_then_runs_serverless_deploy(
    ssm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, record = fake_serverless(tmp_path)
    sites = tmp_path / "sites.prod.json"
    sites.write_text(json.dumps({"blog": {"origins": ["https://b.example"]}}), encoding="utf-8")
    monkeypatch.setattr(deploy, "serverless_command", lambda: [str(script)])
    monkeypatch.setattr(deploy, "ssm_client", lambda region: ssm)
    monkeypatch.setattr(deploy, "aws_client", lambda name, region: account(1000, 1000))
    status = deploy.run(
        [
            "deploy",
            "--stage",
            "prod",
            "--sites",
            str(sites),
            "--param",
            "cdn=true",
            "--param",
            "alarmEmail=ops@example.com",
            "--skip-build",
        ]
    )
    assert status == 0
    args = json.loads(record.read_text(encoding="utf-8"))
    assert args[:5] == ["deploy", "--stage", "prod", "--region", args[4]]
    assert f"--param=sitesFile={sites.resolve()}" in args
    assert "--param=cdn=true" in args
    assert "--param=alarmEmail=ops@example.com" in args
    assert "--param=reservedConcurrency=2" in args
    stored = ssm.get_parameter(Name="/parley/prod/secret-keys", WithDecryption=True)
    assert stored["Parameter"]["Type"] == "SecureString"


def test_package_touches_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script, record = fake_serverless(tmp_path)
    sites = tmp_path / "sites.dev.json"
    sites.write_text(json.dumps({"blog": {"origins": ["https://b.example"]}}), encoding="utf-8")
    monkeypatch.setattr(deploy, "serverless_command", lambda: [str(script)])

    def no_aws(region: str) -> Any:
        raise AssertionError("package must not reach AWS")

    monkeypatch.setattr(deploy, "ssm_client", no_aws)
    assert deploy.run(["package", "--sites", str(sites), "--skip-build"]) == 0
    args = json.loads(record.read_text(encoding="utf-8"))
    assert args[0] == "package" and "--stage" in args and "dev" in args


def test_make_deploy_passes_stage_sites_and_params() -> None:
    result = subprocess.run(
        ["make", "-n", "deploy", "STAGE=prod", "SITES=sites.prod.json", "PARAMS=cdn=true a=b"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if "scripts/deploy.py" in x)
    assert line.split()[1:] == [
        "scripts/deploy.py",
        "deploy",
        "--stage",
        "prod",
        "--region",
        "us-east-1",
        "--sites",
        "sites.prod.json",
        "--param",
        "cdn=true",
        "--param",
        "a=b",
    ]


# -- the alarm mail address ----------------------------------------------------------------------


def test_deploy_refuses_to_run_unwatched_without_saying_so() -> None:
    with pytest.raises(deploy.DeployError, match=r"alarmEmail=you@example\.org"):
        deploy.alarm_email({}, None)
    with pytest.raises(deploy.DeployError, match="not a mail address"):
        deploy.alarm_email({"alarmEmail": "ops"}, None)
    assert deploy.alarm_email({"alarmEmail": "ops@example.com"}, None) == "ops@example.com"


def test_deploy_asks_for_the_address_at_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return " ops@example.com \n"

    assert deploy.alarm_email({}, ask) == "ops@example.com"
    assert asked and "alarm mail" in asked[0]
    assert deploy.alarm_email({}, lambda prompt: "none") == ""
    assert "WARNING: no alarm mail" in capsys.readouterr().err


# -- reserved concurrency that fits the account (PutFunctionConcurrency: AWS keeps at least 100
# executions unreserved; a new account's quota is often 10) ----------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def make_function(client: Any, name: str, env: dict[str, str] | None = None) -> None:
    iam = botocore.session.get_session().create_client("iam", region_name="eu-west-1")
    try:
        role = iam.get_role(RoleName="parley-test")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName="parley-test",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": env or {}},
    )


def test_a_new_account_at_quota_10_gets_no_reservation_and_one_clear_line(aws: None) -> None:
    chosen = deploy.plan_concurrency(account(10, 10), "parley-prod-api", "5")
    value, line = chosen.reserved, chosen.line
    assert value == ""
    assert "quota is 10" in line and "100 unreserved" in line and "left off" in line


def test_a_usual_account_gets_the_reservation(aws: None) -> None:
    assert deploy.plan_concurrency(account(1000, 1000), "parley-prod-api", "5").reserved == "5"
    # Exactly at the minimum: 105 unreserved leaves 100 after reserving 5.
    assert deploy.plan_concurrency(account(105, 105), "parley-prod-api", "5").reserved == "5"
    assert deploy.plan_concurrency(account(104, 104), "parley-prod-api", "5").reserved == ""
    assert deploy.plan_concurrency(account(1000, 1000), "parley-prod-api", "").reserved == ""
    with pytest.raises(deploy.DeployError, match="whole number"):
        deploy.plan_concurrency(account(1000, 1000), "parley-prod-api", "lots")


def test_a_redeploy_counts_what_the_function_already_reserves(aws: None) -> None:
    client = account(105, 100)  # 5 already reserved, by this very function
    make_function(client.client, "parley-prod-api")
    client.put_function_concurrency(FunctionName="parley-prod-api", ReservedConcurrentExecutions=5)
    assert deploy.plan_concurrency(client, "parley-prod-api", "5").reserved == "5"
    assert deploy.plan_concurrency(client, "parley-prod-api", "6").reserved == ""


# The plan itself is pure: the account's figures in, the two parameters out. Where the
# reservation cannot be had, the function may run as many sandboxes as the account has
# unreserved, so each sandbox's ceiling shrinks by that much: the function's whole ceiling
# (sandboxes x requests, bytes, a network's share a second) stays what the defaults promise.
# AWS's rule the plan keeps ("leave at least 100 simultaneous executions unreserved",
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html and
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): a reservation
# is only planned when the account keeps 100 unreserved after it.
CEILING = "20,131072,5"


def whole(ceiling: str, sandboxes: int) -> list[float]:
    parsed = SandboxCeiling.parse(ceiling)
    assert parsed is not None
    return [
        sandboxes * parsed.requests_per_s,
        sandboxes * parsed.bytes_per_s,
        sandboxes * parsed.network_requests_per_s,
    ]


@pytest.mark.parametrize(
    ("quota", "reserved", "ceiling", "sandboxes"),
    [
        (10, "", "4,26214,1", 10),
        (50, "", "0.8,5242,0.2", 50),
        (1000, "2", CEILING, 2),
    ],
)
def test_the_plan_keeps_the_function_under_the_default_ceiling(
    quota: int, reserved: str, ceiling: str, sandboxes: int
) -> None:
    plan = deploy.plan(quota, unreserved=quota, held=0, wanted="2", ceiling=CEILING)
    assert (plan.reserved, plan.ceiling, plan.sandboxes) == (reserved, ceiling, sandboxes)
    promised = whole(CEILING, 2)
    assert all(a <= b for a, b in zip(whole(plan.ceiling, plan.sandboxes), promised, strict=True))
    if reserved:
        assert quota - int(reserved) >= deploy.UNRESERVED_MINIMUM
        assert "reserved concurrency: 2" in plan.line
    else:
        assert f"quota is {quota}" in plan.line and "left off" in plan.line
        assert f"sandboxCeiling {CEILING} -> {ceiling}" in plan.line


def test_the_plan_scales_an_owners_ceiling_and_leaves_none_alone() -> None:
    plan = deploy.plan(10, unreserved=10, held=0, wanted="5", ceiling="40,1000000,10")
    assert plan.ceiling == "20,500000,5"  # 10 sandboxes x 20 = 5 x 40
    assert deploy.plan(10, unreserved=10, held=0, wanted="2", ceiling="").ceiling == ""
    # Other functions' reservations leave this one fewer sandboxes, so less to scale by.
    plan = deploy.plan(110, unreserved=105, held=0, wanted="10", ceiling=CEILING)
    assert (plan.reserved, plan.sandboxes) == ("", 105)
    # Asked for no reservation: the owner's choice, the ceiling as given.
    plan = deploy.plan(10, unreserved=10, held=0, wanted="", ceiling=CEILING)
    assert (plan.reserved, plan.ceiling) == ("", CEILING)


def test_deploy_passes_the_scaled_ceiling_on_a_new_account(
    ssm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, record = fake_serverless(tmp_path)
    sites = tmp_path / "sites.prod.json"
    sites.write_text(json.dumps({"blog": {"origins": ["https://b.example"]}}), encoding="utf-8")
    monkeypatch.setattr(deploy, "serverless_command", lambda: [str(script)])
    monkeypatch.setattr(deploy, "ssm_client", lambda region: ssm)
    monkeypatch.setattr(deploy, "aws_client", lambda name, region: account(10, 10))
    argv = ["deploy", "--stage", "prod", "--sites", str(sites), "--skip-build"]
    assert deploy.run([*argv, "--param", "alarmEmail=ops@example.com"]) == 0
    args = json.loads(record.read_text(encoding="utf-8"))
    assert "--param=reservedConcurrency=" in args
    assert "--param=sandboxCeiling=4,26214,1" in args


def test_serverless_default_ceiling_is_the_deploy_default() -> None:
    text = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    assert f'sandboxCeiling: "{deploy.DEFAULT_CEILING}"' in text
    assert deploy.DEFAULT_CEILING == CEILING


def test_serverless_default_reservation_is_the_deploy_default() -> None:
    text = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    assert f'reservedConcurrency: "{deploy.DEFAULT_RESERVED}"' in text


# -- restoring after the breaker tripped ---------------------------------------------------------


def test_restore_puts_back_the_concurrency_the_last_deploy_set(aws: None) -> None:
    from backend.breaker.lambda_breaker import Breaker, handle

    client = account(1000, 1000).client
    make_function(client, "parley-prod-api")
    make_function(client, "parley-prod-breaker", {"PARLEY_BREAKER_NORMAL": "5"})
    client.put_function_concurrency(FunctionName="parley-prod-api", ReservedConcurrentExecutions=5)
    handle(Breaker("parley-prod-api", 0), client, alarm_event("ALARM"))
    tripped = client.get_function_concurrency(FunctionName="parley-prod-api")
    assert tripped["ReservedConcurrentExecutions"] == 0
    assert "5 sandboxes" in deploy.restore(client, "prod")
    back = client.get_function_concurrency(FunctionName="parley-prod-api")
    assert back["ReservedConcurrentExecutions"] == 5


def test_restore_without_a_reservation_removes_it(aws: None) -> None:
    client = account(1000, 1000).client
    make_function(client, "parley-prod-api")
    make_function(client, "parley-prod-breaker", {"PARLEY_BREAKER_NORMAL": ""})
    client.put_function_concurrency(FunctionName="parley-prod-api", ReservedConcurrentExecutions=0)
    assert "no reservation" in deploy.restore(client, "prod")
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(
        FunctionName="parley-prod-api"
    )


def spend_alarm(cloudwatch: Any, stage: str, state: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=f"parley-{stage}-spend",
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Statistic="Sum",
        Period=86400,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(
        AlarmName=f"parley-{stage}-spend", StateValue=state, StateReason="test"
    )


def alarm_state(cloudwatch: Any, name: str) -> str:
    alarms = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return str(alarms[0]["StateValue"])


def test_restore_rearms_a_tripped_spend_alarm(aws: None) -> None:
    # A CloudWatch alarm acts only when its state changes: restored while the spend alarm is
    # still in ALARM, a flood that goes on would never trip the breaker again. Set to OK, the
    # alarm trips it again at its next evaluation if the last 24 hours are still over.
    client = account(1000, 1000).client
    cloudwatch = botocore.session.get_session().create_client("cloudwatch", "eu-west-1")
    make_function(client, "parley-prod-api")
    make_function(client, "parley-prod-breaker", {"PARLEY_BREAKER_NORMAL": "5"})
    client.put_function_concurrency(FunctionName="parley-prod-api", ReservedConcurrentExecutions=0)
    spend_alarm(cloudwatch, "prod", "ALARM")
    said = deploy.restore(client, "prod", cloudwatch)
    assert "5 sandboxes" in said and "parley-prod-spend" in said
    assert alarm_state(cloudwatch, "parley-prod-spend") == "OK"
    # An alarm already OK, or none at all (monthlyBudgetUsd ""), is left as it is.
    spend_alarm(cloudwatch, "prod", "OK")
    assert "spend" not in deploy.restore(client, "prod", cloudwatch)
    cloudwatch.delete_alarms(AlarmNames=["parley-prod-spend"])
    assert "5 sandboxes" in deploy.restore(client, "prod", cloudwatch)


def alarm_event(state: str, previous: str = "OK") -> dict[str, Any]:
    """A CloudWatch alarm's Lambda action event, shaped as the CloudWatch User Guide documents
    it ("Invoke a Lambda function from an alarm")."""
    return {
        "source": "aws.cloudwatch",
        "alarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:parley-prod-FloodAlarm-X",
        "accountId": "123456789012",
        "time": "2026-12-02T20:00:00.000+0000",
        "region": "eu-west-1",
        "alarmData": {
            "alarmName": "parley-prod-FloodAlarm-X",
            "state": {"value": state, "reason": "Threshold Crossed", "timestamp": "x"},
            "previousState": {"value": previous, "reason": "", "timestamp": "x"},
            "configuration": {"description": "flood", "metrics": []},
        },
    }


# -- a failed first deploy ------------------------------------------------------------------------


def test_a_failed_first_deploy_names_the_kept_table_and_how_to_delete_it(aws: None) -> None:
    session = botocore.session.get_session()
    dynamodb = session.create_client("dynamodb", region_name="eu-west-1")
    cfn = session.create_client("cloudformation", region_name="eu-west-1")
    for name in ("parley-prod-ParleyTable-1ABC", "parley-staging-ParleyTable-2DEF", "other"):
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    lines = deploy.left_behind(cfn, dynamodb, "prod", "eu-west-1")
    assert len(lines) == 1, lines
    assert "parley-prod-ParleyTable-1ABC" in lines[0]
    assert "--no-deletion-protection-enabled" in lines[0] and "delete-table" in lines[0]


def test_deploy_reports_what_bills_when_serverless_fails(
    ssm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = tmp_path / "serverless"
    failing.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    failing.chmod(0o755)
    sites = tmp_path / "sites.prod.json"
    sites.write_text(json.dumps({"blog": {"origins": ["https://b.example"]}}), encoding="utf-8")
    monkeypatch.setattr(deploy, "serverless_command", lambda: [str(failing)])
    monkeypatch.setattr(deploy, "ssm_client", lambda region: ssm)
    calls: list[str] = []

    def client(name: str, region: str) -> Any:
        calls.append(name)
        if name == "lambda":
            return account(10, 10)
        return botocore.session.get_session().create_client(name, region_name=region)

    monkeypatch.setattr(deploy, "aws_client", client)
    argv = ["deploy", "--stage", "prod", "--sites", str(sites), "--skip-build"]
    status = deploy.run([*argv, "--param", "alarmEmail=ops@example.com"])
    assert status == 1
    assert calls == ["lambda", "cloudformation", "dynamodb"]
    err = capsys.readouterr()
    assert "reserved concurrency: left off" in err.out
