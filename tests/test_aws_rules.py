"""AWS's documented rules that the packaged stack depends on, checked against the template that
`make package` writes. No emulator here enforces them (moto and DynamoDB Local accept a stack
that AWS then refuses or that fails quietly), so each rule is written down with the page that
states it, and the test reads the packaged CloudFormation (tests/infra_support.py) against it.

Each rule's source is named in the comment above its test (AWS's own documentation; the pages
were read for this module, not fetched by it: nothing here uses the network)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra_support import (
    Packaged,
    build_artifact,
    called_names,
    function_actions,
    imported_modules,
    packaged,
)


@pytest.fixture(scope="module")
def default_stack() -> Packaged:
    build_artifact()
    return packaged("default")


@pytest.fixture(scope="module")
def full_stack() -> Packaged:
    build_artifact()
    return packaged("full")


def _ref_name(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt [X, Arn]` points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def _conditions(stack: Packaged) -> dict[str, bool]:
    """Every Condition evaluated. Serverless resolves ${param:...} while packaging, so each
    condition compares literals; this evaluates the few intrinsic forms the stack uses."""
    raw: dict[str, Any] = stack.template.get("Conditions", {})
    done: dict[str, bool] = {}

    def value(node: Any) -> bool:
        if isinstance(node, dict):
            ((fn, args),) = node.items()
            if fn == "Condition":
                return cond(args)
            if fn == "Fn::Not":
                return not value(args[0])
            if fn == "Fn::And":
                return all(value(a) for a in args)
            if fn == "Fn::Or":
                return any(value(a) for a in args)
            if fn == "Fn::Equals":
                left, right = args
                assert isinstance(left, str | int) and isinstance(right, str | int), node
                return str(left) == str(right)
        raise AssertionError(f"condition form not understood: {node!r}")

    def cond(name: str) -> bool:
        if name not in done:
            done[name] = value(raw[name])
        return done[name]

    for name in raw:
        cond(name)
    return done


def _resolve(node: Any, conditions: dict[str, bool]) -> Any:
    """`Fn::If` resolved under the stack's conditions; AWS::NoValue becomes None."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return _resolve(yes if conditions[name] else no, conditions)
        if node == {"Ref": "AWS::NoValue"}:
            return None
        return {k: _resolve(v, conditions) for k, v in node.items()}
    if isinstance(node, list):
        return [r for r in (_resolve(v, conditions) for v in node) if r is not None]
    return node


def _live(stack: Packaged) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation would create for this stack: conditions applied."""
    conditions = _conditions(stack)
    return {
        name: _resolve(resource, conditions)
        for name, resource in stack.resources.items()
        if conditions.get(resource.get("Condition", ""), True)
    }


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


# -- Lambda function URLs ------------------------------------------------------------------------
# "Control access to Lambda function URLs", AWS Lambda Developer Guide
# (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html): "Starting in October 2025, new
# function URLs will require both lambda:InvokeFunctionUrl and lambda:InvokeFunction
# permissions." With AuthType NONE the function's resource-based policy must grant both to
# everyone ("Principal": "*"): InvokeFunctionUrl with the condition
# lambda:FunctionUrlAuthType = NONE, and InvokeFunction with lambda:InvokedViaFunctionUrl = true
# (in CloudFormation, AWS::Lambda::Permission's FunctionUrlAuthType and InvokedViaFunctionUrl).
# Without the condition on the second, anyone could call the Invoke API directly.


def _permissions_on(resources: dict[str, dict[str, Any]], function: str) -> list[dict[str, Any]]:
    return [
        p["Properties"]
        for p in _of_type(resources, "AWS::Lambda::Permission").values()
        if _ref_name(p["Properties"]["FunctionName"]) == function
    ]


def function_url_violations(stack: Packaged) -> list[str]:
    """What the urls-auth rule finds wrong in a stack (empty: nothing)."""
    resources = _live(stack)
    problems: list[str] = []
    urls = _of_type(resources, "AWS::Lambda::Url")
    if not urls:
        problems.append("no function URL")
    for name, url in urls.items():
        props = url["Properties"]
        if props["AuthType"] != "NONE":
            continue
        function = _ref_name(props["TargetFunctionArn"])
        assert function is not None, name
        granted = _permissions_on(resources, function)
        public = [p for p in granted if p["Principal"] == "*"]
        if not any(
            p["Action"] == "lambda:InvokeFunctionUrl" and p.get("FunctionUrlAuthType") == "NONE"
            for p in public
        ):
            problems.append(f"{name}: no public lambda:InvokeFunctionUrl (AuthType NONE)")
        if not any(
            p["Action"] == "lambda:InvokeFunction" and p.get("InvokedViaFunctionUrl") is True
            for p in public
        ):
            problems.append(
                f"{name}: no public lambda:InvokeFunction with InvokedViaFunctionUrl: every "
                "request to a new function URL answers 403"
            )
    for permission in _of_type(resources, "AWS::Lambda::Permission").values():
        props = permission["Properties"]
        if (
            props["Principal"] == "*"
            and props["Action"] == "lambda:InvokeFunction"
            and props.get("InvokedViaFunctionUrl") is not True
        ):
            problems.append(f"{props['FunctionName']}: the Invoke API is open to everyone")
    return problems


@pytest.mark.parametrize("variant", ["default", "full"])
def test_a_public_function_url_is_granted_both_invoke_permissions(variant: str) -> None:
    build_artifact()
    assert function_url_violations(packaged(variant)) == []


# -- Alarm notifications -------------------------------------------------------------------------
# "Encrypting messages published to Amazon SNS with AWS KMS", section "Enable compatibility
# between event sources from AWS services and encrypted topics", Amazon SNS Developer Guide
# (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services):
# CloudWatch (like the other AWS services that publish to SNS) needs kms:Decrypt and
# kms:GenerateDataKey* on the topic's key granted in the key's policy; the policy of the
# AWS-managed key `alias/aws/sns` cannot be changed, so a topic under it never receives an
# alarm's notification. A topic either has no KMS key or a customer-managed one whose policy
# grants cloudwatch.amazonaws.com.

AWS_MANAGED_SNS_KEY = re.compile(r"(^|:)alias/aws/sns$")


def _alarm_targets(resources: dict[str, dict[str, Any]]) -> set[str]:
    targets: set[str] = set()
    for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in props.get(key) or []:
                name = _ref_name(action)
                if name is not None:
                    targets.add(name)
    return targets


def alarm_topic_violations(stack: Packaged) -> list[str]:
    resources = _live(stack)
    problems: list[str] = []
    for name in sorted(_alarm_targets(resources)):
        target = resources[name]
        if target["Type"] != "AWS::SNS::Topic":
            continue
        key = target["Properties"].get("KmsMasterKeyId")
        if isinstance(key, str) and AWS_MANAGED_SNS_KEY.search(key):
            problems.append(f"{name}: alarms cannot publish to a topic under {key}")
    return problems


def test_alarm_topics_are_not_under_the_aws_managed_sns_key(full_stack: Packaged) -> None:
    # The full variant sets alarmEmail, so the topic exists and the alarms notify it.
    assert _alarm_targets(_live(full_stack)), "the alarms notify nothing with alarmEmail set"
    assert alarm_topic_violations(full_stack) == []


# -- The stack the issue was filed against ---------------------------------------------------------
# f86e707's template (Serverless Framework 3.40, alarmEmail set), reduced to what the two rules
# above read (tests/fixtures/aws/f86e707-stack.json): Serverless 3 is no longer the toolchain,
# so it cannot be packaged here again. Both rules must find what issue 19 found in it: the
# function URL answers 403 (one permission of the two), and no alarm mail arrives.

F86E707 = Path(__file__).resolve().parent / "fixtures" / "aws" / "f86e707-stack.json"


def test_the_rules_find_the_403_and_the_silent_alarm_topic_in_f86e707s_stack() -> None:
    stack = Packaged(F86E707.parent, json.loads(F86E707.read_text(encoding="utf-8")))
    url = function_url_violations(stack)
    assert any("InvokedViaFunctionUrl" in p and "403" in p for p in url), url
    assert alarm_topic_violations(stack) == [
        "AlarmTopic: alarms cannot publish to a topic under alias/aws/sns"
    ]


# -- Runtime ---------------------------------------------------------------------------------------
# "Lambda runtimes", AWS Lambda Developer Guide
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html): python3.12 is a supported
# runtime (deprecation scheduled for October 2028), on x86_64 and arm64. The artifact is built
# for CPython 3.12 on manylinux aarch64 (scripts/build_lambda.py), so every function must say
# exactly that, declared by serverless.yml itself (no patching of the generated resource).


def test_every_function_runs_the_runtime_the_artifact_is_built_for(default_stack: Packaged) -> None:
    functions = _of_type(_live(default_stack), "AWS::Lambda::Function")
    assert functions
    for name, function in functions.items():
        assert function["Properties"]["Runtime"] == "python3.12", name
        assert function["Properties"]["Architectures"] == ["arm64"], name
    text = (Path(__file__).resolve().parent.parent / "serverless.yml").read_text("utf-8")
    assert re.search(r"^  runtime: python3\.12$", text, re.M), "provider.runtime declares it"
    assert "Runtime:" not in text, "no runtime patched in under resources.extensions"


# -- A healthy page view writes no log line -------------------------------------------------------
# "Log-level filtering", AWS Lambda Developer Guide
# (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html):
# log-level filtering needs the JSON log format ("To use log-level filtering, your function must
# be configured to use the JSON log format"; the default is plain text, where nothing is
# filtered). System logs: at the default INFO, Lambda sends the "start" and "report" lines of
# every invocation; at WARN it sends neither. Application logs: at WARN, Lambda does not send
# INFO or DEBUG output, and a line without a level (a bare print) counts as INFO. CloudWatch
# Logs bills ingestion per GB ("Amazon CloudWatch Pricing", Logs), so the runtime's ~330 bytes
# a healthy invocation are a line of the page view's cost (bench/page_view.py).
# The worker and the breaker keep Lambda's defaults: they run a few hundred times a day and
# their INFO lines are what an owner reads when mail did not go out.


@pytest.mark.parametrize("variant", ["default", "full"])
def test_the_api_function_sends_no_log_line_for_a_healthy_invocation(variant: str) -> None:
    build_artifact()
    stack = packaged(variant)
    config = stack.resources["ApiLambdaFunction"]["Properties"].get("LoggingConfig")
    assert config is not None, "ApiLambdaFunction: no LoggingConfig, so START/REPORT every call"
    assert config.get("LogFormat") == "JSON", "levels filter nothing in the Text format"
    levels = ["DEBUG", "INFO", "WARN"]
    assert levels.index(config.get("SystemLogLevel", "INFO")) >= levels.index("WARN"), config
    app_levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
    app = config.get("ApplicationLogLevel", "INFO")
    assert app_levels.index(app) >= app_levels.index("WARN"), config
    # ERROR and above must still reach the log: a 500's traceback is how an owner finds a bug.
    assert app_levels.index(app) <= app_levels.index("ERROR"), config


# -- Every alarm reaches someone -------------------------------------------------------------------
# "Using Amazon CloudWatch alarms", section "Alarm actions", Amazon CloudWatch User Guide
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html): an
# alarm only changes state; what happens then is its actions (an SNS topic, a Lambda function,
# ...). An alarm without one tells nobody. With `alarmEmail` set every alarm must notify the
# topic; the flood alarm must act (the breaker) whatever `alarmEmail` is.


def test_every_alarm_notifies_the_topic_when_alarm_email_is_set(full_stack: Packaged) -> None:
    resources = _live(full_stack)
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 6, sorted(alarms)
    for name, alarm in alarms.items():
        actions = [_ref_name(a) for a in alarm["Properties"].get("AlarmActions") or []]
        assert "AlarmTopic" in actions, f"{name} tells nobody"


def test_the_flood_alarm_trips_the_breaker_without_alarm_email(default_stack: Packaged) -> None:
    resources = _live(default_stack)
    flood = resources["FloodAlarm"]["Properties"]
    assert [_ref_name(a) for a in flood["AlarmActions"]] == ["BreakerLambdaFunction"]
    spend = resources["SpendAlarm"]["Properties"]
    assert [_ref_name(a) for a in spend["AlarmActions"]] == ["BreakerLambdaFunction"]
    assert [_ref_name(a) for a in spend["OKActions"]] == ["BreakerLambdaFunction"]


# "Invoke a Lambda function from an alarm", Amazon CloudWatch User Guide
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions-Lambda.html):
# CloudWatch invokes the function only if the function's resource policy lets the service
# principal lambda.alarms.cloudwatch.amazonaws.com call lambda:InvokeFunction; scoped here to
# the one alarm (SourceArn) of this account (SourceAccount).


@pytest.mark.parametrize("variant", ["default", "full"])
def test_a_lambda_alarm_action_is_allowed_by_the_functions_policy(variant: str) -> None:
    build_artifact()
    resources = _live(packaged(variant))
    for name, alarm in _of_type(resources, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        for action in [*(props.get("AlarmActions") or []), *(props.get("OKActions") or [])]:
            target = _ref_name(action)
            if target is None or resources[target]["Type"] != "AWS::Lambda::Function":
                continue
            assert any(
                p["Action"] == "lambda:InvokeFunction"
                and p["Principal"] == "lambda.alarms.cloudwatch.amazonaws.com"
                and p.get("SourceArn") == {"Fn::GetAtt": [name, "Arn"]}
                and p.get("SourceAccount") == {"Ref": "AWS::AccountId"}
                for p in _permissions_on(resources, target)
            ), f"{name} cannot invoke {target}"


# -- Every alarm watches a metric that exists ------------------------------------------------
# A CloudWatch alarm on a metric name or dimension AWS never publishes stays in
# INSUFFICIENT_DATA (or, with TreatMissingData notBreaching, OK) for ever: it looks armed and
# never fires. The metrics and the dimension each is published under, from:
# - Lambda function URLs: "Monitoring Lambda function URLs"
#   (https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html): UrlRequestCount,
#   Url4xxCount, Url5xxCount (Sum), by FunctionName, Resource or ExecutedVersion;
# - Lambda functions: "Types of metrics for Lambda functions"
#   (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): Invocations,
#   Errors, Throttles (counts), Duration (milliseconds an invocation spends in the function's
#   code, init not included), by FunctionName;
# - HTTP APIs: "Monitor CloudWatch metrics for HTTP APIs in API Gateway"
#   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html): Count,
#   4xx, 5xx, by ApiId;
# - SQS: "Available CloudWatch metrics for Amazon SQS"
#   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):
#   ApproximateNumberOfMessagesVisible, ApproximateAgeOfOldestMessage, by QueueName;
# - DynamoDB: "DynamoDB Metrics and dimensions"
#   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html):
#   ReadThrottleEvents, WriteThrottleEvents, ConsumedReadCapacityUnits and
#   ConsumedWriteCapacityUnits (on-demand tables too: the request units used), by TableName, or
#   by TableName and GlobalSecondaryIndexName for an index's own.
# Periods are multiples of 60 seconds for standard-resolution metrics ("CloudWatch concepts",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html).

DOCUMENTED_METRICS: dict[tuple[str, str], set[str]] = {
    ("AWS/Lambda", "UrlRequestCount"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/Lambda", "Url4xxCount"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/Lambda", "Url5xxCount"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/Lambda", "Invocations"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/Lambda", "Duration"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/Lambda", "Errors"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/Lambda", "Throttles"): {"FunctionName", "Resource", "ExecutedVersion"},
    ("AWS/ApiGateway", "Count"): {"ApiId"},
    ("AWS/ApiGateway", "5xx"): {"ApiId"},
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): {"QueueName"},
    ("AWS/SQS", "ApproximateAgeOfOldestMessage"): {"QueueName"},
    ("AWS/DynamoDB", "ReadThrottleEvents"): {"TableName"},
    ("AWS/DynamoDB", "WriteThrottleEvents"): {"TableName"},
    ("AWS/DynamoDB", "ConsumedReadCapacityUnits"): {"TableName", "GlobalSecondaryIndexName"},
    ("AWS/DynamoDB", "ConsumedWriteCapacityUnits"): {"TableName", "GlobalSecondaryIndexName"},
}


def _alarm_metrics(props: dict[str, Any]) -> list[tuple[str, str, set[str], int]]:
    if "Metrics" not in props:
        dims = {d["Name"] for d in props.get("Dimensions", [])}
        return [(props["Namespace"], props["MetricName"], dims, int(props["Period"]))]
    found = []
    for metric in props["Metrics"]:
        if "MetricStat" in metric:
            stat = metric["MetricStat"]
            dims = {d["Name"] for d in stat["Metric"].get("Dimensions", [])}
            m = stat["Metric"]
            found.append((m["Namespace"], m["MetricName"], dims, int(stat["Period"])))
    return found


def test_every_alarm_watches_a_documented_metric(full_stack: Packaged) -> None:
    for name, alarm in _of_type(_live(full_stack), "AWS::CloudWatch::Alarm").items():
        for namespace, metric, dims, period in _alarm_metrics(alarm["Properties"]):
            allowed = DOCUMENTED_METRICS.get((namespace, metric))
            assert allowed is not None, f"{name}: {namespace} {metric} is not a documented metric"
            assert dims and dims <= allowed, f"{name}: {metric} by {sorted(dims)}"
            assert period % 60 == 0, f"{name}: period {period}"


# -- Alarm windows and metric math ---------------------------------------------------------------
# "PutMetricAlarm", Amazon CloudWatch API Reference
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html),
# Period and EvaluationPeriods: an alarm's whole evaluation window, Period times
# EvaluationPeriods, is at most seven days (604,800 seconds), and at most one day (86,400
# seconds) when the period is under an hour; DatapointsToAlarm (M of N) is at most
# EvaluationPeriods. For a metric math alarm the period is its metrics' (MetricStat.Period).
# "MetricDataQuery", same reference (API_MetricDataQuery.html): in PutMetricAlarm at most 10
# queries that retrieve a metric and at most 10 expressions, exactly one of them with ReturnData
# true (the value the alarm watches); "Limits", Amazon CloudWatch User Guide
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html): a metric
# math alarm references at most 10 metrics, a hard limit. A window past the limit or an eleventh
# metric makes CloudFormation's PutMetricAlarm fail mid-deploy; cfn-lint checks neither.
# Parley's own rule on top: no window longer than one day (the spend alarm's day is the
# longest), so every alarm clears within a day of what raised it.

DAY = 86_400


def alarm_window_violations(stack: Packaged) -> list[str]:
    problems: list[str] = []
    for name, alarm in _of_type(_live(stack), "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        periods = {period for *_, period in _alarm_metrics(props)}
        evaluations = int(props["EvaluationPeriods"])
        if int(props.get("DatapointsToAlarm", evaluations)) > evaluations:
            problems.append(f"{name}: DatapointsToAlarm over EvaluationPeriods")
        for period in periods:
            window = period * evaluations
            limit = DAY if period < 3600 else 7 * DAY
            if window > limit:
                problems.append(f"{name}: a {window} s window, over AWS's {limit} s")
            elif window > DAY:
                problems.append(f"{name}: a {window} s window, over Parley's one day")
        queries = props.get("Metrics", [])
        if sum("MetricStat" in q for q in queries) > 10:
            problems.append(f"{name}: more than 10 metrics in one math alarm")
        if sum("Expression" in q for q in queries) > 10:
            problems.append(f"{name}: more than 10 expressions in one math alarm")
        if queries and sum(bool(q.get("ReturnData")) for q in queries) != 1:
            problems.append(f"{name}: not exactly one returned expression")
    return problems


@pytest.mark.parametrize("variant", ["default", "full"])
def test_every_alarm_window_and_metric_count_is_within_cloudwatchs_limits(variant: str) -> None:
    build_artifact()
    stack = packaged(variant)
    assert alarm_window_violations(stack) == []
    # The spend alarm's window is the day the breaker's month is built on (bench/flood.py).
    spend = _live(stack)["SpendAlarm"]["Properties"]
    assert {period for *_, period in _alarm_metrics(spend)} == {DAY}
    assert int(spend["EvaluationPeriods"]) == 1


# -- Every IAM action is used ----------------------------------------------------------------------
# Least privilege ("Security best practices in IAM", https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege):
# each action a role grants is one the function's code calls, or one an AWS service calls with
# the function's role on its behalf. Which IAM action each SDK call needs comes from the
# Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/):
# SES v2's SendEmail (raw content included) is ses:SendEmail, SSM's GetParameter is
# ssm:GetParameter, Lambda's Put-, Get- and DeleteFunctionConcurrency are the lambda: actions of
# the same names. The
# DynamoDB actions are derived from the store's source (tests/infra_support.py).

CLIENT_CALLS: dict[str, dict[str, str]] = {
    "sesv2": {"send_email": "ses:SendEmail"},
    "ssm": {"get_parameter": "ssm:GetParameter"},
    "lambda": {
        "put_function_concurrency": "lambda:PutFunctionConcurrency",
        "get_function_concurrency": "lambda:GetFunctionConcurrency",
        "delete_function_concurrency": "lambda:DeleteFunctionConcurrency",
    },
}

# Granted for an AWS service acting with the function's role:
# - Lambda itself writes the function's logs ("Defining Lambda function permissions with an
#   execution role", https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html:
#   logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents); osls adds logs:TagResource
#   for the log group it tags;
# - the DynamoDB Stream event source mapping reads the stream and sends failed batches to the
#   on-failure destination ("Process DynamoDB records with Lambda",
#   https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html, execution role permissions:
#   dynamodb:DescribeStream, GetRecords, GetShardIterator, ListStreams; sqs:SendMessage for an
#   SQS destination).
LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:TagResource"}
STREAM_MAPPING = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "sqs:SendMessage",
}


def client_actions(entry: str) -> set[str]:
    """The non-DynamoDB actions `entry`'s code path calls: the clients its modules create
    (`create_client("service")`) and the methods called on anything in those modules."""
    services: set[str] = set()
    called: set[str] = set()
    for path in imported_modules(entry):
        text = path.read_text(encoding="utf-8")
        services |= set(re.findall(r'create_client\(\s*"([a-z0-9-]+)"', text))
        called |= called_names(ast.parse(text))
    services.discard("dynamodb")
    unknown = services - set(CLIENT_CALLS)
    assert not unknown, f"{entry} makes clients of {unknown}: state their IAM actions here"
    return {
        action
        for service in services
        for method, action in CLIENT_CALLS[service].items()
        if method in called
    }


# Reachable in the API's modules but never run by the API function: the notification worker
# that `parley serve` runs in its lifespan (backend/app.py, `run_worker`, off unless asked;
# backend/lambda_handler.py never asks). On Lambda the worker is its own function and role.
NOT_RUN_BY = {"backend.lambda_handler": {"ses:SendEmail"}}

ROLES = {
    "IamRoleLambdaExecution": ("backend.lambda_handler", set()),
    "WorkerRole": ("backend.notify.lambda_worker", STREAM_MAPPING),
    "BreakerRole": ("backend.breaker.lambda_breaker", set()),
}


def test_every_granted_action_is_used_and_every_used_action_granted(
    full_stack: Packaged,
) -> None:
    resources = _live(full_stack)
    assert {n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"} == set(ROLES)
    for role, (entry, by_services) in ROLES.items():
        statements = [
            s
            for p in resources[role]["Properties"]["Policies"]
            for s in p["PolicyDocument"]["Statement"]
        ]
        granted = {a for s in statements for a in s["Action"]}
        code = client_actions(entry)
        if entry != "backend.breaker.lambda_breaker":
            code |= function_actions(entry)
        unused = granted - code - by_services - LOGS
        assert not unused, f"{role} grants {sorted(unused)}, which nothing calls"
        missing = code - granted - NOT_RUN_BY.get(entry, set())
        assert not missing, f"{entry} calls {sorted(missing)}, not granted to {role}"
