"""The deployment, proven offline: `serverless package` (osls) with fake credentials and no
network, cfn-lint over the template it makes, assertions on that template, and the artifact's
contents. AWS's own documented rules the template must meet are in tests/test_aws_rules.py.

Packaging runs once per process and variant (tests/infra_support.py); the artifact's
dependencies are cached under build/lambda/, so a rerun takes seconds."""

from __future__ import annotations

import ast
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from backend.domain.ceiling import SandboxCeiling
from backend.settings import Settings
from tests.infra_support import (
    ROOT,
    SITES,
    TABLE_JSON,
    Packaged,
    build_artifact,
    build_script,
    cfn_lint,
    function_actions,
    offline_prefix,
    packaged,
    statements,
    store_actions,
)

__all__ = ["ROOT", "build_artifact", "build_script", "offline_prefix"]


@pytest.fixture(scope="session")
def artifact() -> Path:
    return build_artifact()


@pytest.fixture(scope="session")
def default_stack(artifact: Path) -> Packaged:
    return packaged("default")


@pytest.fixture(scope="session")
def full_stack(artifact: Path) -> Packaged:
    return packaged("full")


@pytest.fixture(scope="session")
def function(default_stack: Packaged) -> dict[str, Any]:
    functions = default_stack.of_type("AWS::Lambda::Function")
    assert sorted(functions) == [
        "ApiLambdaFunction",
        "BreakerLambdaFunction",
        "WorkerLambdaFunction",
    ]
    props: dict[str, Any] = functions["ApiLambdaFunction"]["Properties"]
    return props


def _statements(stack: Packaged) -> list[dict[str, Any]]:
    return statements(stack)


def test_packaging_runs_without_network() -> None:
    # The packaging fixture wraps serverless in `unshare -n`; without it "offline" is unproven.
    assert offline_prefix(), "unshare -n is needed to prove packaging makes no network call"


# cfn-lint findings allowed in the packaged templates, each for a stated reason. Anything else,
# error or warning, fails the test.
CFN_LINT_EXCEPTIONS = {
    # Serverless resolves ${param:...} when packaging, so every Condition built on a parameter
    # (UseCdn, HasAlarmEmail, HasReservedConcurrency, ...) compares two literals. The
    # conditions stay so the template reads the same for every parameter choice.
    "W8003",
    # Serverless itself writes a DependsOn on the integration that a Ref already implies;
    # harmless, and not ours to change.
    "W3005",
}


def test_templates_pass_cfn_lint(default_stack: Packaged, full_stack: Packaged) -> None:
    # One cfn-lint run over both variants (its start-up is most of its time).
    result = cfn_lint(
        *(
            s.directory / "cloudformation-template-update-stack.json"
            for s in (default_stack, full_stack)
        )
    )
    findings = [line for line in result.stdout.splitlines() if line.strip()]
    unexplained = [f for f in findings if f.split(":")[5] not in CFN_LINT_EXCEPTIONS]
    assert not unexplained, "\n".join(unexplained)
    assert result.returncode & 2 == 0, result.stdout + result.stderr  # bit 2: errors


def test_packaging_uses_the_built_artifact(default_stack: Packaged, artifact: Path) -> None:
    state = json.loads((default_stack.directory / "serverless-state.json").read_text("utf-8"))
    assert state["package"]["artifact"] == "parley.zip"  # package.artifact, uploaded as is
    code = default_stack.resources["ApiLambdaFunction"]["Properties"]["Code"]
    assert code["S3Key"].endswith("/parley.zip")
    assert artifact == ROOT / "build" / "lambda" / "parley.zip"


# -- the function ----------------------------------------------------------------------------------


def test_function_runtime_architecture_and_handler(function: dict[str, Any]) -> None:
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "backend.lambda_handler.handler"
    assert function["MemorySize"] == 1024
    assert function["Timeout"] == 10


def test_environment_comes_from_parameters_and_holds_no_secret(
    function: dict[str, Any], full_stack: Packaged
) -> None:
    env = function["Environment"]["Variables"]
    assert set(env) == {
        "PARLEY_STORE",
        "PARLEY_SECRET_KEYS_PARAM",
        "PARLEY_SITES",
        "PARLEY_TRUSTED_PROXIES",
        "PARLEY_CDN_SECRET",
        "PARLEY_PUBLIC_URL",
        "PARLEY_MAIL",
        "PARLEY_MAIL_FROM",
        "PYDANTIC_DISABLE_PLUGINS",
        "PARLEY_SANDBOX_CEILING",
    }
    assert env["PARLEY_MAIL"] == env["PARLEY_MAIL_FROM"] == ""  # no mail unless configured
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # cold start: no entry-point scan
    assert env["PARLEY_STORE"] == {"Fn::Sub": "dynamodb://${ParleyTable}?region=${AWS::Region}"}
    assert env["PARLEY_SECRET_KEYS_PARAM"] == "/parley/test/secret-keys"
    assert json.loads(env["PARLEY_SITES"]) == SITES
    assert env["PARLEY_TRUSTED_PROXIES"] == {"Fn::If": ["UseCdn", "2", "0"]}
    full_env = full_stack.resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert full_env["PARLEY_SECRET_KEYS_PARAM"] == "/parley/test/keys"
    assert full_env["PARLEY_TRUSTED_PROXIES"] == {"Fn::If": ["UseCdn", "2", "2"]}
    assert full_env["PARLEY_PUBLIC_URL"]["Fn::If"][1] == "https://comments.example.com"
    assert full_stack.template["Conditions"]["HasPublicUrl"] == {
        "Fn::Not": [{"Fn::Equals": ["https://comments.example.com", ""]}]
    }


def test_http_api_payload_v2_catch_all(default_stack: Packaged) -> None:
    (integration,) = default_stack.of_type("AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    routes = default_stack.of_type("AWS::ApiGatewayV2::Route").values()
    assert [r["Properties"]["RouteKey"] for r in routes] == ["$default"]
    (api,) = default_stack.of_type("AWS::ApiGatewayV2::Api").values()
    assert "CorsConfiguration" not in api["Properties"], "the app answers CORS per site"


def test_function_url_is_the_default_endpoint(default_stack: Packaged) -> None:
    # The cheapest front door (cost model in bench/RESULTS.md): public, CORS left to the app.
    (url,) = default_stack.of_type("AWS::Lambda::Url").values()
    assert url["Properties"]["AuthType"] == "NONE"
    assert "Cors" not in url["Properties"], "the app answers CORS per site"
    assert url["Properties"]["TargetFunctionArn"] == {"Fn::GetAtt": ["ApiLambdaFunction", "Arn"]}
    permissions = default_stack.of_type("AWS::Lambda::Permission").values()
    assert any(
        p["Properties"]["Action"] == "lambda:InvokeFunctionUrl"
        and p["Properties"].get("FunctionUrlAuthType") == "NONE"
        for p in permissions
    )


def test_log_retention(default_stack: Packaged) -> None:
    groups = default_stack.of_type("AWS::Logs::LogGroup")
    assert {name: int(g["Properties"]["RetentionInDays"]) for name, g in groups.items()} == {
        "ApiLogGroup": 30,  # the API function's logs
        "WorkerLogGroup": 30,  # the worker's logs
        "BreakerLogGroup": 30,  # the flood breaker's logs
        "ApiAccessLogGroup": 30,  # the HTTP API's access logs
    }


# -- IAM: exactly what the store calls -------------------------------------------------------------


def test_each_function_is_granted_every_table_action_its_code_uses(
    default_stack: Packaged,
) -> None:
    api = {s.get("Sid"): s for s in _statements(default_stack)}["ParleyTableItems"]
    worker_role = default_stack.resources["WorkerRole"]["Properties"]
    (policy,) = worker_role["Policies"]
    listed = policy["PolicyDocument"]["Statement"]
    worker = {s["Sid"]: s for s in listed if "Sid" in s}["WorkerTableItems"]
    for entry, granted in (
        ("backend.lambda_handler", api),
        ("backend.notify.lambda_worker", worker),
    ):
        used = function_actions(entry)
        # The derivation reaches the reads every function makes (get_comment's BatchGetItem).
        assert {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"} <= used
        missing = used - set(granted["Action"])
        assert not missing, f"{entry} uses {sorted(missing)}, not granted"


def test_iam_grants_exactly_the_store_calls_on_the_table_and_its_index(
    default_stack: Packaged,
) -> None:
    statements = _statements(default_stack)
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    by_sid = {s["Sid"]: s for s in dynamo}
    assert set(by_sid) == {"ParleyTableItems", "ParleyTableIndex"}
    for statement in dynamo:
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in statement["Action"])
    table = by_sid["ParleyTableItems"]
    assert table["Resource"] == [{"Fn::GetAtt": ["ParleyTable", "Arn"]}]
    assert set(table["Action"]) == store_actions()
    index_names = [
        i["IndexName"] for i in json.loads(TABLE_JSON.read_text())["GlobalSecondaryIndexes"]
    ]
    assert index_names == ["gsi1", "gsi2"]
    index = by_sid["ParleyTableIndex"]
    assert index["Action"] == ["dynamodb:Query"]
    # gsi2, the marks index, is read only by the worker's scheduled counter repair.
    assert index["Resource"] == [{"Fn::Sub": "${ParleyTable.Arn}/index/gsi1"}]


def test_iam_reads_only_the_secret_parameter(default_stack: Packaged) -> None:
    (ssm,) = [s for s in _statements(default_stack) if s.get("Sid") == "ParleySecretKeys"]
    assert ssm["Action"] == ["ssm:GetParameter"]
    assert ssm["Resource"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
            ":parameter/parley/test/secret-keys"
        }
    ]
    others = {a for s in _statements(default_stack) for a in s["Action"]}
    assert others <= store_actions() | {
        "ssm:GetParameter",
        "logs:CreateLogStream",
        "logs:CreateLogGroup",
        "logs:TagResource",
        "logs:PutLogEvents",
    }


# -- the notification worker -----------------------------------------------------------------------


def test_worker_function_is_fed_by_outbox_inserts_with_retries_and_dead_letters(
    default_stack: Packaged,
) -> None:
    worker = default_stack.resources["WorkerLambdaFunction"]["Properties"]
    assert worker["Handler"] == "backend.notify.lambda_worker.handler"
    assert worker["Runtime"] == "python3.12" and worker["Architectures"] == ["arm64"]
    assert worker["Role"] == {"Fn::GetAtt": ["WorkerRole", "Arn"]}
    assert worker["Code"] == default_stack.resources["ApiLambdaFunction"]["Properties"]["Code"]
    (mapping,) = default_stack.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "WorkerLambdaFunction"}
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["ParleyTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["MaximumRetryAttempts"] == 5 and props["BisectBatchOnFunctionError"] is True
    dlq = props["DestinationConfig"]["OnFailure"]["Destination"]
    assert dlq == {"Fn::GetAtt": ["WorkerDeadLetters", "Arn"]}
    (pattern,) = props["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "E#"}]}}},
    }
    (rule,) = default_stack.of_type("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    table = json.loads(TABLE_JSON.read_text(encoding="utf-8"))
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_worker_role_is_least_privilege_and_the_api_gains_nothing(
    default_stack: Packaged, full_stack: Packaged
) -> None:
    role = default_stack.resources["WorkerRole"]["Properties"]
    (policy,) = role["Policies"]
    listed = policy["PolicyDocument"]["Statement"]
    statements = {s["Sid"]: s for s in listed if "Sid" in s}
    # SES only with `mail` = ses://REGION (the full variant), for that region alone.
    (ses,) = [s["Fn::If"] for s in listed if "Fn::If" in s]
    assert ses[0] == "UsesSes" and ses[2] == {"Ref": "AWS::NoValue"}
    assert default_stack.template["Conditions"]["UsesSes"] == {
        "Fn::Not": [{"Fn::Equals": ["", ""]}]
    }
    statements["WorkerMail"] = ses[1]
    full = full_stack.resources["WorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    (full_ses,) = [s["Fn::If"][1] for s in full["Statement"] if "Fn::If" in s]
    assert full_ses["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:ses:eu-west-2:${AWS::AccountId}:identity/*"}
    ]
    assert full_stack.template["Conditions"]["UsesSes"] == {
        "Fn::Not": [{"Fn::Equals": ["eu-west-2", ""]}]
    }
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in statement["Action"])
    assert set(statements["WorkerTableItems"]["Action"]) <= store_actions()
    assert statements["WorkerTableItems"]["Resource"] == [{"Fn::GetAtt": ["ParleyTable", "Arn"]}]
    assert statements["WorkerTableIndex"]["Action"] == ["dynamodb:Query"]
    assert statements["WorkerTableIndex"]["Resource"] == [
        {"Fn::Sub": f"${{ParleyTable.Arn}}/index/{name}"} for name in ("gsi1", "gsi2")
    ]
    assert statements["WorkerDeadLetters"]["Action"] == ["sqs:SendMessage"]
    assert statements["WorkerStream"]["Resource"] == [{"Fn::Sub": "${ParleyTable.Arn}/stream/*"}]
    assert statements["WorkerMail"]["Action"] == ["ses:SendEmail"]  # SES v2's SendEmail
    api_actions = {a for s in _statements(default_stack) for a in s["Action"]}
    assert not {a for a in api_actions if a.startswith(("sqs:", "ses:"))}
    assert not api_actions & {"dynamodb:GetRecords", "dynamodb:GetShardIterator"}


# -- the table -------------------------------------------------------------------------------------


def test_table_is_table_json_kept_on_delete(default_stack: Packaged) -> None:
    table = default_stack.resources["ParleyTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    ceiling = {"MaxReadRequestUnits": 200, "MaxWriteRequestUnits": 50}
    expected = json.loads(TABLE_JSON.read_text(encoding="utf-8"))
    expected["OnDemandThroughput"] = ceiling
    for index in expected["GlobalSecondaryIndexes"]:
        index["OnDemandThroughput"] = ceiling
    assert table["Properties"] == expected
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


# -- alarms and CloudFront -------------------------------------------------------------------------


def _metrics(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
        for m in alarm["Properties"]["Metrics"]
        if "MetricStat" in m
    }


def test_alarms_on_5xx_and_throttles(default_stack: Packaged, full_stack: Packaged) -> None:
    alarms = default_stack.of_type("AWS::CloudWatch::Alarm")
    assert _metrics(alarms["ErrorsAlarm"]) == {
        ("AWS/Lambda", "Url5xxCount"),
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Lambda", "Errors"),
    }
    assert _metrics(alarms["ThrottlesAlarm"]) == {
        ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
    }
    for alarm in alarms.values():
        metrics = alarm["Properties"].get("Metrics", [])
        assert [m["Id"] for m in metrics if m["ReturnData"]] == (["total"] if metrics else [])
    # The SNS topic exists only with alarmEmail set.
    assert default_stack.template["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": ["", ""]}]
    }
    topic = full_stack.resources["AlarmTopic"]["Properties"]
    assert topic["Subscription"] == [{"Protocol": "email", "Endpoint": "ops@example.com"}]


def test_cloudfront_is_optional_and_caches_only_reads(
    default_stack: Packaged, full_stack: Packaged
) -> None:
    assert default_stack.template["Conditions"]["UseCdn"] == {"Fn::Equals": ["false", "true"]}
    assert full_stack.template["Conditions"]["UseCdn"] == {"Fn::Equals": ["true", "true"]}
    for stack in (default_stack, full_stack):
        for name in ("Cdn", "CdnReadsCachePolicy", "CdnAdminCachePolicy"):
            assert stack.resources[name]["Condition"] == "UseCdn"
    config = full_stack.resources["Cdn"]["Properties"]["DistributionConfig"]
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == caching_disabled
    cached = {
        b["PathPattern"]
        for b in config["CacheBehaviors"]
        if b["CachePolicyId"] == {"Ref": "CdnReadsCachePolicy"}
    }
    assert cached == {
        "/embed.js",
        "/widget/*",
        "/api/v1/comments",
        "/api/v1/counts",
        "/api/v1/feed.atom",
    }
    policy = full_stack.resources["CdnReadsCachePolicy"]["Properties"]["CachePolicyConfig"]
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"]["Headers"] == ["Origin"]  # CORS answers differ by Origin
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert key["CookiesConfig"]["CookieBehavior"] == "none"
    assert policy["DefaultTTL"] == 0  # only what the app's s-maxage allows
    env = full_stack.resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert env["PARLEY_PUBLIC_URL"]["Fn::If"][2]["Fn::If"][0] == "UseCdn"


# -- limits on traffic and spend (issue 11, items 9 and 10) ----------------------------------------


def test_function_concurrency_is_reserved(default_stack: Packaged) -> None:
    props = default_stack.resources["ApiLambdaFunction"]["Properties"]
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": ["HasReservedConcurrency", "2", {"Ref": "AWS::NoValue"}]
    }
    assert default_stack.template["Conditions"]["HasReservedConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": ["2", ""]}]
    }


def test_every_sandbox_has_the_flood_ceiling(default_stack: Packaged) -> None:
    # bench/flood.py's worst hour assumes these figures (docs/deploy.md, "Flood ceiling").
    env = default_stack.resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    ceiling = Settings.from_env({"PARLEY_SANDBOX_CEILING": env["PARLEY_SANDBOX_CEILING"]}).ceiling
    assert ceiling == SandboxCeiling(requests_per_s=20, bytes_per_s=131072,
                                     network_requests_per_s=5)  # fmt: skip
    worker = default_stack.resources["WorkerLambdaFunction"]["Properties"]
    assert "PARLEY_SANDBOX_CEILING" not in worker["Environment"]["Variables"]


def test_http_api_stage_is_throttled_and_logged(default_stack: Packaged) -> None:
    (stage,) = default_stack.of_type("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert float(props["DefaultRouteSettings"]["ThrottlingRateLimit"]) == 20
    assert int(props["DefaultRouteSettings"]["ThrottlingBurstLimit"]) == 40
    logs = props["AccessLogSettings"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(logs["Format"])  # one JSON object per request
    assert {"requestId", "ip", "status", "path", "bytes"} <= set(fields)


def test_table_has_an_on_demand_ceiling(default_stack: Packaged) -> None:
    props = default_stack.resources["ParleyTable"]["Properties"]
    for scope in (props, *props["GlobalSecondaryIndexes"]):
        ceiling = scope["OnDemandThroughput"]
        assert ceiling["MaxReadRequestUnits"] > 0 and ceiling["MaxWriteRequestUnits"] > 0


# -- the spend breaker (infra/spend.js, infra/breaker.yml) --------------------------------------


def cost_prices() -> dict[str, Any]:
    """bench/cost.py's PRICES, read from its source (the cost model the estimate must follow)."""
    tree = ast.parse((ROOT / "bench" / "cost.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "PRICES":
            prices: dict[str, Any] = ast.literal_eval(node.value)
            return prices
    raise AssertionError("bench/cost.py has no PRICES")


def metric_key(query: dict[str, Any]) -> tuple[str, str, str]:
    """(namespace, metric, which): the index, or the function's logical id, or ""."""
    metric = query["MetricStat"]["Metric"]
    dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
    function = dims.get("FunctionName", {})
    which = dims.get("GlobalSecondaryIndexName") or (function.get("Ref", "") if function else "")
    return metric["Namespace"], metric["MetricName"], which


def evaluate(alarm: dict[str, Any], sums: dict[tuple[str, str, str], float]) -> float:
    """The alarm's returned expression, for one period whose metric sums are `sums` (a metric
    not named there has no data: FILL makes it 0)."""
    queries = alarm["Properties"]["Metrics"]
    values = {q["Id"]: sums.get(metric_key(q), 0.0) for q in queries if "MetricStat" in q}
    expressions = {q["Id"]: q["Expression"] for q in queries if "Expression" in q}

    def value(name: str) -> float:
        if name in values:
            return values[name]
        text = re.sub(r"FILL\((\w+),\s*0\)", r"\1", expressions[name])
        assert re.fullmatch(r"[\w\s.*+/()-]+", text), text
        names = set(re.findall(r"[A-Za-z_]\w*", text))
        return float(eval(text, {"__builtins__": {}}, {n: value(n) for n in names}))

    (returned,) = [q["Id"] for q in queries if q["ReturnData"]]
    return value(returned)


def test_the_spend_alarm_trips_on_a_days_estimate_at_the_budgets_pace(
    default_stack: Packaged, full_stack: Packaged
) -> None:
    alarms = full_stack.of_type("AWS::CloudWatch::Alarm")
    spend, warning = alarms["SpendAlarm"], alarms["SpendWarningAlarm"]
    for alarm in (spend, warning):
        props = alarm["Properties"]
        assert {q["MetricStat"]["Period"] for q in props["Metrics"] if "MetricStat" in q} == {
            86400
        }, "one day's sums"
        assert props["EvaluationPeriods"] == 1 and props["DatapointsToAlarm"] == 1
        assert float(props["Threshold"]) == 10, "monthlyBudgetUsd"
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert spend["Properties"]["AlarmName"] == "parley-test-spend"  # what `make restore` re-arms

    # The spend alarm trips the breaker and, when it clears, closes it; both mail (alarmEmail).
    def ref(action: dict[str, Any]) -> str:
        action = action["Fn::If"][1] if "Fn::If" in action else action
        return str(action.get("Ref") or action["Fn::GetAtt"][0])

    refs = {k: [ref(a) for a in spend["Properties"][k]] for k in ("AlarmActions", "OKActions")}
    assert refs == {"AlarmActions": ["BreakerLambdaFunction", "AlarmTopic"],
                    "OKActions": ["BreakerLambdaFunction", "AlarmTopic"]}  # fmt: skip
    # The warning (half the budget's pace) only mails: the owner hears before readers lose it.
    assert [a["Ref"] for a in warning["Properties"]["AlarmActions"]] == ["AlarmTopic"]
    assert "OKActions" not in warning["Properties"]
    # The day's estimate is bench/cost.py's: Lambda requests and GB-seconds of the API function
    # and the worker (each invocation's duration rounded up to the next ms, at most 1 ms), the
    # HTTP API's requests, the table's and every index's units (but the marks index's reads:
    # the worker's schedule alone), and transfer counted as `breakerBytesPerRequest` for every
    # API request and every read unit (no metric counts a Function URL's bytes).
    p = cost_prices()
    day = {
        ("AWS/Lambda", "Invocations", "ApiLambdaFunction"): 1_000_000,
        ("AWS/Lambda", "Duration", "ApiLambdaFunction"): 5_000_000.0,  # milliseconds
        ("AWS/Lambda", "Invocations", "WorkerLambdaFunction"): 500,
        ("AWS/Lambda", "Duration", "WorkerLambdaFunction"): 60_000.0,
        ("AWS/ApiGateway", "Count", ""): 200_000,
        ("AWS/DynamoDB", "ConsumedReadCapacityUnits", ""): 3_000_000,
        ("AWS/DynamoDB", "ConsumedReadCapacityUnits", "gsi1"): 100_000,
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", ""): 10_000,
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "gsi1"): 2_000,
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "gsi2"): 3_000,
    }
    dollars = (
        1.0005 * p["lambda_per_million_requests"]
        + 0.2 * p["http_api_per_million_requests"]
        + 3.1 * p["dynamodb_per_million_rru"]
        + 0.015 * p["dynamodb_per_million_wru"]
        + (5_000 + 1_000 + 60 + 0.5) * 1.0 * p["lambda_arm64_per_gb_s"]
        + (1_000_000 + 3_100_000) * 65536 / 1e9 * p["transfer_out_per_gb"]
    )
    assert evaluate(spend, day) == pytest.approx(30 * dollars, rel=1e-9)
    assert evaluate(warning, day) == pytest.approx(60 * dollars, rel=1e-9)
    # Every index's writes are counted (table.json names them), and every index's reads but
    # the marks index's.
    indexes = {i["IndexName"] for i in json.loads(TABLE_JSON.read_text())["GlobalSecondaryIndexes"]}
    keys = {metric_key(q) for q in spend["Properties"]["Metrics"] if "MetricStat" in q}
    assert {k[2] for k in keys if k[1] == "ConsumedWriteCapacityUnits"} == indexes | {""}
    assert {k[2] for k in keys if k[1] == "ConsumedReadCapacityUnits"} == indexes - {"gsi2"} | {""}
    # Without alarmEmail the spend alarm still acts (the breaker); the warning is not made.
    assert default_stack.resources["SpendWarningAlarm"]["Condition"] == "HasSpendWarning"
    assert default_stack.template["Conditions"]["HasSpendBreaker"] == {
        "Fn::Not": [{"Fn::Equals": ["10", ""]}]
    }


def test_the_breaker_may_read_and_clear_only_the_api_functions_concurrency(
    default_stack: Packaged,
) -> None:
    (trip,) = [s for s in statements(default_stack, "BreakerRole") if s["Sid"] == "BreakerTrip"]
    assert sorted(trip["Action"]) == [
        "lambda:DeleteFunctionConcurrency",
        "lambda:GetFunctionConcurrency",
        "lambda:PutFunctionConcurrency",
    ]
    assert trip["Resource"] == [{"Fn::GetAtt": ["ApiLambdaFunction", "Arn"]}]


def test_a_budget_mails_the_alarm_address(default_stack: Packaged, full_stack: Packaged) -> None:
    assert default_stack.resources["MonthlyBudget"]["Condition"] == "HasBudget"
    budget = full_stack.resources["MonthlyBudget"]["Properties"]
    assert budget["Budget"]["BudgetType"] == "COST"
    assert budget["Budget"]["TimeUnit"] == "MONTHLY"
    assert float(budget["Budget"]["BudgetLimit"]["Amount"]) == 10
    # Budget names are unique per account, whatever the region: the name carries both.
    assert budget["Budget"]["BudgetName"] == "parley-test-eu-west-1-monthly"
    kinds = {n["Notification"]["NotificationType"] for n in budget["NotificationsWithSubscribers"]}
    assert kinds == {"ACTUAL", "FORECASTED"}
    for notification in budget["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [
            {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}
        ]


def test_the_cdn_sends_a_secret_the_function_requires(full_stack: Packaged) -> None:
    """Item 10: with `cdn`, the function trusts X-Forwarded-For only from CloudFront, which
    proves itself with a header the function is configured to require."""
    config = full_stack.resources["Cdn"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "X-Parley-Cdn-Secret"
    derived = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    assert header["HeaderValue"] == {"Fn::If": ["HasCdnSecret", "", derived]}
    env = full_stack.resources["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    secret = env["PARLEY_CDN_SECRET"]["Fn::If"]
    assert secret[0] == "UseCdn" and secret[2] == ""
    current = secret[1]["Fn::Join"][1][0]
    assert current == header["HeaderValue"]  # the same value on both sides
    from backend.api.cdn import HEADER

    assert header["HeaderName"].lower() == HEADER


# -- the artifact ----------------------------------------------------------------------------------


def _wheel_tags(names: list[str], archive: zipfile.ZipFile, package: str) -> list[str]:
    (wheel,) = [n for n in names if re.fullmatch(rf"{package}-[^/]+\.dist-info/WHEEL", n)]
    text = archive.read(wheel).decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]


def test_artifact_holds_only_runtime_files(artifact: Path) -> None:
    with zipfile.ZipFile(artifact) as archive:
        names = archive.namelist()
        unzipped = sum(i.file_size for i in archive.infolist())
    assert "backend/lambda_handler.py" in names
    assert "backend/static/embed.js" in names
    assert "backend/store/table.json" in names
    assert "mangum/__init__.py" in names
    assert "boto3/__init__.py" in names
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"tests", "node_modules", "widget", "bench", "scripts", "infra", "bin"}
    assert not tops & {"uvicorn", "click"}, "server-only dependencies stay out"
    assert not [n for n in names if n.endswith((".db", ".pyi", ".cpython-311.pyc"))]
    assert artifact.stat().st_size < 30 * 1024 * 1024, "well under Lambda's 50 MB zip limit"
    assert unzipped < 100 * 1024 * 1024, "well under Lambda's 250 MB unzipped limit"


def test_artifact_binary_wheels_are_for_lambda_arm64_python312(artifact: Path) -> None:
    with zipfile.ZipFile(artifact) as archive:
        names = archive.namelist()
        for package in ("pydantic_core", "nh3"):
            tags = _wheel_tags(names, archive, package)
            assert tags, package
            for tag in tags:
                python, abi, platform = tag.split("-")
                assert python in ("cp312", "cp37", "cp38", "cp39", "cp310", "cp311"), tag
                assert abi in ("cp312", "abi3"), tag
                assert "aarch64" in platform and "manylinux" in platform, tag
        shared = [n for n in names if n.endswith(".so")]
        assert shared
        assert not [n for n in shared if "x86_64" in n or "cpython-311" in n], shared


def test_artifact_carries_bytecode_for_python312(artifact: Path) -> None:
    # /var/task is read-only on Lambda: without .pyc every cold start compiles every module.
    assert build_script().target_interpreter("3.12"), "a Python 3.12 is needed to compile .pyc"
    with zipfile.ZipFile(artifact) as archive:
        names = set(archive.namelist())
        pyc = archive.read("backend/__pycache__/lambda_handler.cpython-312.pyc")
    for module in (
        "backend/lambda_handler",
        "botocore/client",
        "starlette/routing",
        "mangum/adapter",
    ):
        head, _, tail = module.rpartition("/")
        assert f"{head}/__pycache__/{tail}.cpython-312.pyc" in names, module
    assert int.from_bytes(pyc[4:8], "little") == 0b01, "unchecked-hash pyc (flags word)"


def test_every_parameter_is_in_the_deploy_guides_table() -> None:
    # serverless.yml says so in its header; the table is where an owner looks a parameter up.
    text = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    names = re.findall(r"^    (\w+): ", text.split("\nprovider:")[0], re.M)
    assert "monthlyBudgetUsd" in names
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = [n for n in names if f"| `{n}` |" not in guide]
    assert missing == []
