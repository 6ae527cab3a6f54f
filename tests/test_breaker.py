"""The flood breaker's function (backend/breaker/lambda_breaker.py) on moto's Lambda: the
alarm's event, shaped as the CloudWatch User Guide documents it, trips the API function's
concurrency; any other state leaves it; any other shape is an error. `make restore` is in
tests/test_deploy.py, the alarm and the permission that let CloudWatch invoke it in
tests/test_aws_rules.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from moto import mock_aws

from backend.breaker.lambda_breaker import Breaker, NotAnAlarmEvent, handle
from tests.test_deploy import alarm_event, make_function


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        lambda_client = botocore.session.get_session().create_client(
            "lambda", region_name="eu-west-1"
        )
        make_function(lambda_client, "parley-prod-api")
        lambda_client.put_function_concurrency(
            FunctionName="parley-prod-api", ReservedConcurrentExecutions=5
        )
        yield lambda_client


def concurrency(client: Any) -> int:
    answer = client.get_function_concurrency(FunctionName="parley-prod-api")
    return int(answer["ReservedConcurrentExecutions"])


def test_an_alarm_trips_the_api_functions_concurrency(client: Any) -> None:
    result = handle(Breaker("parley-prod-api", 0), client, alarm_event("ALARM"))
    assert result == {"tripped": True, "state": "ALARM", "concurrency": 0}
    assert concurrency(client) == 0


def test_a_low_tripped_value_is_set_as_given(client: Any) -> None:
    handle(Breaker("parley-prod-api", 1), client, alarm_event("ALARM"))
    assert concurrency(client) == 1


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_other_states_leave_the_function_alone(client: Any, state: str) -> None:
    assert handle(Breaker("parley-prod-api", 0), client, alarm_event(state))["tripped"] is False
    assert concurrency(client) == 5


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"Records": []},  # a Stream batch sent to the wrong function
        {"source": "aws.events", "detail-type": "Scheduled Event"},
        {"source": "aws.cloudwatch", "alarmData": {"state": {"value": "ALARMING"}}},
        {"source": "aws.cloudwatch", "alarmData": "ALARM"},
    ],
)
def test_any_other_event_is_an_error_not_a_trip(client: Any, event: dict[str, Any]) -> None:
    with pytest.raises(NotAnAlarmEvent):
        handle(Breaker("parley-prod-api", 0), client, event)
    assert concurrency(client) == 5


def test_configuration_comes_from_the_environment() -> None:
    breaker = Breaker.from_env({"PARLEY_BREAKER_TARGET": "parley-x-api"})
    assert breaker == Breaker("parley-x-api", 0)
    assert Breaker.from_env(
        {"PARLEY_BREAKER_TARGET": "f", "PARLEY_BREAKER_TRIPPED": "2"}
    ) == Breaker("f", 2)
    with pytest.raises(ValueError, match="TARGET"):
        Breaker.from_env({})
    with pytest.raises(ValueError, match="whole number"):
        Breaker.from_env({"PARLEY_BREAKER_TARGET": "f", "PARLEY_BREAKER_TRIPPED": "-1"})
