"""AWS Lambda entry point of the flood breaker: `backend.breaker.lambda_breaker.handler`, a third
function in serverless.yml (same artifact), invoked by the flood alarm's Lambda action.

The event is the one CloudWatch documents for a Lambda alarm action ("Invoke a Lambda function
from an alarm", Amazon CloudWatch User Guide): `source` "aws.cloudwatch", `alarmArn`, and
`alarmData` with the alarm's new `state` and its `previousState`. A move into ALARM trips the
breaker. A move from ALARM to OK closes it again: the usual concurrency goes back, but only if
the function is still at the tripped value (an owner who changed it by hand, or `make restore`,
decided already). Only alarms that list the breaker among their OK actions send that: the spend
alarm (infra/breaker.yml), whose last 24 hours fall back under the budget's pace a day after a
trip at most; the request-rate flood alarm does not, so a flood that paused for a few minutes
does not reopen the endpoint (the owner does, with `make restore`). Any other state is logged
and left alone. An event of any other shape is an error, so a misrouted invocation shows in the
function's Errors rather than passing silently.

Configuration (the function's environment, set by serverless.yml):
    PARLEY_BREAKER_TARGET   the API function's name
    PARLEY_BREAKER_TRIPPED  the reserved concurrency to set while tripped (0: refuse everything)
    PARLEY_BREAKER_NORMAL   the usual reserved concurrency ("": none), put back when it clears
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("parley.breaker")


class NotAnAlarmEvent(ValueError):
    """The invocation is not a CloudWatch alarm's state change."""


@dataclass(frozen=True)
class Breaker:
    target: str
    tripped: int
    normal: int | None = None  # the usual reserved concurrency; None: no reservation

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Breaker:
        target = environ.get("PARLEY_BREAKER_TARGET", "")
        raw = environ.get("PARLEY_BREAKER_TRIPPED", "0")
        normal = environ.get("PARLEY_BREAKER_NORMAL", "")
        if not target:
            raise ValueError("PARLEY_BREAKER_TARGET: the API function's name is missing")
        for name, value in (("TRIPPED", raw), ("NORMAL", normal or "0")):
            if not value.isdigit():
                raise ValueError(f"PARLEY_BREAKER_{name}={value!r}: a whole number of sandboxes")
        return cls(target, int(raw), int(normal) if normal else None)


def alarm_state(event: Mapping[str, Any]) -> tuple[str, str]:
    """(alarm name, new state) of a CloudWatch alarm event, or NotAnAlarmEvent."""
    if not isinstance(event, Mapping) or event.get("source") != "aws.cloudwatch":
        raise NotAnAlarmEvent("not a CloudWatch alarm event (source is not aws.cloudwatch)")
    data = event.get("alarmData")
    state = data.get("state") if isinstance(data, Mapping) else None
    value = state.get("value") if isinstance(state, Mapping) else None
    if value not in {"ALARM", "OK", "INSUFFICIENT_DATA"}:
        raise NotAnAlarmEvent(f"alarm event without a known state: {value!r}")
    assert isinstance(data, Mapping)
    return str(data.get("alarmName", "")), str(value)


def previous_state(event: Mapping[str, Any]) -> str:
    previous = event["alarmData"].get("previousState")
    value = previous.get("value") if isinstance(previous, Mapping) else None
    return str(value or "")


def reserved(client: Any, function: str) -> int | None:
    answer = client.get_function_concurrency(FunctionName=function)
    value = answer.get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


def close(breaker: Breaker, client: Any, name: str) -> dict[str, Any]:
    """The alarm cleared: the usual concurrency back, if the function is still tripped."""
    now = reserved(client, breaker.target)
    if now != breaker.tripped:
        log.info("alarm %s cleared; %s's concurrency is %s, not the breaker's: left", name,
                 breaker.target, now)  # fmt: skip
        return {"tripped": False, "state": "OK", "restored": False}
    if breaker.normal is None:
        client.delete_function_concurrency(FunctionName=breaker.target)
    else:
        client.put_function_concurrency(
            FunctionName=breaker.target, ReservedConcurrentExecutions=breaker.normal
        )
    log.warning("alarm %s cleared: %s's usual concurrency (%s) is back", name, breaker.target,
                "none reserved" if breaker.normal is None else breaker.normal)  # fmt: skip
    return {"tripped": False, "state": "OK", "restored": True, "concurrency": breaker.normal}


def handle(breaker: Breaker, client: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    name, state = alarm_state(event)
    if state == "OK" and previous_state(event) == "ALARM":
        return close(breaker, client, name)
    if state != "ALARM":
        log.info("alarm %s is %s: the breaker stays as it is", name, state)
        return {"tripped": False, "state": state, "restored": False}
    client.put_function_concurrency(
        FunctionName=breaker.target, ReservedConcurrentExecutions=breaker.tripped
    )
    log.warning(
        "alarm %s: %s's reserved concurrency set to %d; restore it with `make restore`",
        name,
        breaker.target,
        breaker.tripped,
    )
    return {"tripped": True, "state": state, "concurrency": breaker.tripped}


_client: Any = None


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    global _client
    if _client is None:
        import botocore.session

        _client = botocore.session.get_session().create_client("lambda")
    return handle(Breaker.from_env(os.environ), _client, event)
