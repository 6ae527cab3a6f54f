"""AWS's documented rules that the packaged stack depends on, checked against the template that
`make package` writes. No emulator here enforces them (moto and DynamoDB Local accept a stack
that AWS then refuses or that fails quietly), so each rule is written down with the page that
states it, and the test reads the packaged CloudFormation (tests/infra_support.py) against it.

Each rule's source is named in the comment above its test (AWS's own documentation; the pages
were read for this module, not fetched by it: nothing here uses the network)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra_support import Packaged, build_artifact, packaged


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
