"""botocore's request events, raised for the wire client's requests too (client.py).

A handler registered on botocore's client (`provide-client-params`, `before-parameter-build`,
`before-call`, `after-call`) sees the wire client's GetItem, Query and BatchGetItem as it sees
botocore's own, with the same arguments, and a `before-call` answer stands in for DynamoDB's
the same way. Only `Connection.instrumented` attaches it (tests: counting requests, injecting
faults); a sandbox serving readers never does, so it never imports botocore for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.hooks import first_non_none_response

from backend.store.dynamo.wire import Answer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class BotocoreEvents:
    """An `Observer` (wire.py) that emits botocore's events through a client's emitter."""

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client
        self._events = client.meta.events

    def _event(self, stage: str, operation: str) -> str:
        return f"{stage}.{self._client.meta.service_model.service_id.hyphenize()}.{operation}"

    def _model(self, operation: str) -> Any:
        return self._client.meta.service_model.operation_model(operation)

    def params(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        model = self._model(operation)
        context: dict[str, Any] = {}
        answers = self._events.emit(
            self._event("provide-client-params", operation),
            params=params,
            model=model,
            context=context,
        )
        params = first_non_none_response(answers, default=params)
        self._events.emit(
            self._event("before-parameter-build", operation),
            params=params,
            model=model,
            context=context,
        )
        return params

    def before(
        self, operation: str, url: str, headers: dict[str, str], body: bytes
    ) -> Answer | None:
        request: dict[str, Any] = {"url_path": "/", "method": "POST", "headers": headers}
        request.update({"query_string": "", "body": body, "url": url, "context": {}})
        events: Any = self._events  # botocore's stubs leave emit_until_response out
        _, answer = events.emit_until_response(
            self._event("before-call", operation),
            model=self._model(operation),
            params=request,
            request_signer=None,
            context={},
        )
        if answer is None:
            return None
        http, parsed = answer
        return int(http.status_code), parsed

    def after(self, operation: str, status: int, headers: dict[str, str], parsed: Any) -> None:
        self._events.emit(
            self._event("after-call", operation),
            http_response=AWSResponse(
                self._client.meta.endpoint_url,
                status,
                HTTPHeaders.from_dict(headers),
                None,
            ),
            parsed=parsed,
            model=self._model(operation),
            context={},
        )
