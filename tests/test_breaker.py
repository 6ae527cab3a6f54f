"""The flood breaker's function (backend/breaker/lambda_breaker.py) on moto's Lambda: the
alarm's event, shaped as the CloudWatch User Guide documents it, trips the API function's
concurrency; an alarm that clears (ALARM to OK: the spend alarm, the only one whose OK action
is the breaker) puts the usual concurrency back, if the function is still as the breaker left
it; any other state leaves it; any other shape is an error. `make restore` is in
tests/test_deploy.py, the alarm and the permission that let CloudWatch invoke it in
tests/test_aws_rules.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from moto import mock_aws
from starlette.testclient import TestClient

from backend.app import create_app
from backend.breaker.lambda_breaker import Breaker, NotAnAlarmEvent, handle
from backend.settings import Settings
from backend.store.base import Store
from tests.test_deploy import alarm_event, make_function

ROOT = Path(__file__).resolve().parent.parent


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
    # previousState OK: nothing was tripped by this alarm.
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


def test_a_cleared_alarm_puts_the_usual_concurrency_back(client: Any) -> None:
    breaker = Breaker("parley-prod-api", 0, normal=5)
    handle(breaker, client, alarm_event("ALARM"))
    assert concurrency(client) == 0
    result = handle(breaker, client, alarm_event("OK", previous="ALARM"))
    assert result == {"tripped": False, "state": "OK", "restored": True, "concurrency": 5}
    assert concurrency(client) == 5


def test_a_cleared_alarm_without_a_usual_reservation_removes_it(client: Any) -> None:
    breaker = Breaker("parley-prod-api", 0, normal=None)
    handle(breaker, client, alarm_event("ALARM"))
    assert handle(breaker, client, alarm_event("OK", previous="ALARM"))["restored"] is True
    answer = client.get_function_concurrency(FunctionName="parley-prod-api")
    assert "ReservedConcurrentExecutions" not in answer


def test_a_cleared_alarm_leaves_a_concurrency_the_owner_changed(client: Any) -> None:
    # The owner set 3 by hand (or `make restore` ran): the breaker did not set it, so it stays.
    client.put_function_concurrency(FunctionName="parley-prod-api", ReservedConcurrentExecutions=3)
    result = handle(Breaker("parley-prod-api", 0, 5), client, alarm_event("OK", previous="ALARM"))
    assert result["restored"] is False
    assert concurrency(client) == 3


def test_an_alarm_that_starts_ok_restores_nothing(client: Any) -> None:
    # A new alarm goes INSUFFICIENT_DATA -> OK at its first evaluation: that clears no trip.
    client.put_function_concurrency(FunctionName="parley-prod-api", ReservedConcurrentExecutions=0)
    event = alarm_event("OK", previous="INSUFFICIENT_DATA")
    assert handle(Breaker("parley-prod-api", 0, 5), client, event)["restored"] is False
    assert concurrency(client) == 0


def test_configuration_comes_from_the_environment() -> None:
    breaker = Breaker.from_env({"PARLEY_BREAKER_TARGET": "parley-x-api"})
    assert breaker == Breaker("parley-x-api", 0, None)
    assert Breaker.from_env(
        {"PARLEY_BREAKER_TARGET": "f", "PARLEY_BREAKER_TRIPPED": "2", "PARLEY_BREAKER_NORMAL": "4"}
    ) == Breaker("f", 2, 4)
    with pytest.raises(ValueError, match="TARGET"):
        Breaker.from_env({})
    with pytest.raises(ValueError, match="whole number"):
        Breaker.from_env({"PARLEY_BREAKER_TARGET": "f", "PARLEY_BREAKER_TRIPPED": "-1"})
    with pytest.raises(ValueError, match="whole number"):
        Breaker.from_env({"PARLEY_BREAKER_TARGET": "f", "PARLEY_BREAKER_NORMAL": "x"})


# -- what the spend estimate counts of transfer (infra/spend.js) ----------------------------------
# No CloudWatch metric counts a Function URL's bytes, so the spend alarm counts every request
# as `breakerBytesPerRequest` bytes on the wire. That bounds the month only while no answer an
# attacker can ask for without reading the table is bigger (answers that read it are also
# counted per read unit: a read unit is at most 8 KB of items). These are those answers, asked
# for as a flood would (no compression): bench/flood.py's list, plus every static file.

NO_TABLE_READ = ["/api/v1/openapi.json", "/embed.js", "/widget/de.js", "/demo/", "/admin", "/",
                 "/healthz", "/no-such-page"]  # fmt: skip


def bytes_per_request() -> int:
    text = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    match = re.search(r'^    breakerBytesPerRequest: "(\d+)"$', text, re.M)
    assert match, "serverless.yml: breakerBytesPerRequest"
    return int(match.group(1))


def test_no_answer_that_reads_no_table_is_bigger_than_the_estimate_counts(
    settings: Settings, store: Store
) -> None:
    limit = bytes_per_request()
    plain = {"Accept-Encoding": "identity"}
    with TestClient(create_app(settings, store), base_url="http://api.test") as api:
        answers = {path: api.get(path, headers=plain) for path in NO_TABLE_READ}
    for path, answer in answers.items():
        size = len(answer.content) + sum(len(k) + len(v) + 4 for k, v in answer.headers.items())
        assert size <= limit, f"{path}: {size} bytes, the spend estimate counts {limit}"
    for file in (ROOT / "backend" / "static").rglob("*"):
        if file.is_file():
            assert file.stat().st_size <= limit - 1024, file  # headers too
