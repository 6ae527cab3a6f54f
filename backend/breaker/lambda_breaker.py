"""AWS Lambda entry point of the flood breaker: `backend.breaker.lambda_breaker.handler`, a third
function in serverless.yml (same artifact), invoked by the flood alarm's Lambda action.

The event is the one CloudWatch documents for a Lambda alarm action ("Invoke a Lambda function
from an alarm", Amazon CloudWatch User Guide): `source` "aws.cloudwatch", `alarmArn`, and
`alarmData` with the alarm's new `state`. Only a move into ALARM trips the breaker; any other
state is logged and left alone (restoring is the owner's decision: a flood that paused for a few
minutes would otherwise open the endpoint again). An event of any other shape is an error, so a
misrouted invocation shows in the function's Errors rather than passing silently.

Configuration (the function's environment, set by infra/breaker.yml):
    PARLEY_BREAKER_TARGET   the API function's name
    PARLEY_BREAKER_TRIPPED  the reserved concurrency to set while tripped (0: refuse everything)
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Breaker:
        target = environ.get("PARLEY_BREAKER_TARGET", "")
        raw = environ.get("PARLEY_BREAKER_TRIPPED", "0")
        if not target:
            raise ValueError("PARLEY_BREAKER_TARGET: the API function's name is missing")
        if not raw.isdigit():
            raise ValueError(f"PARLEY_BREAKER_TRIPPED={raw!r}: a whole number of sandboxes")
        return cls(target, int(raw))


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


def handle(breaker: Breaker, client: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    name, state = alarm_state(event)
    if state != "ALARM":
        log.info("alarm %s is %s: the breaker stays as it is", name, state)
        return {"tripped": False, "state": state}
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
