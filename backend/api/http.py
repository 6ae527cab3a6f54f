"""Request and response plumbing shared by the handlers: bodies, params, origins, clients."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from backend.domain import errors
from backend.settings import Settings, SiteConfig

M = TypeVar("M", bound=BaseModel)

JSON_TYPE = "application/json"
NO_STORE = "no-store"


def json_response(
    data: Any, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    body = data if isinstance(data, bytes) else _dumps(data)
    return Response(body, status, headers=headers, media_type=JSON_TYPE)


def model_response(
    model: BaseModel, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    return Response(model.__pydantic_serializer__.to_json(model), status, headers, JSON_TYPE)


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


async def read_json(request: Request, model: type[M], max_bytes: int) -> M:
    """Parse a JSON body into `model`, refusing what is too big, not JSON, or malformed.

    Requiring application/json also blocks cross-site form posts (CSRF): a plain HTML form
    cannot send that content type without a CORS preflight.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_TYPE:
        raise errors.UnsupportedMediaType()
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise errors.BodyTooLarge(f"The request body may be at most {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise errors.BodyTooLarge(f"The request body may be at most {max_bytes} bytes.")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise errors.BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise errors.BadRequest("The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        from backend.api.errors import fields_of

        raise errors.ValidationFailed(fields=fields_of(exc)) from None


def read_params(request: Request, model: type[M], *, lists: tuple[str, ...] = ()) -> M:
    """Parse query parameters; malformed parameters are a 400 naming each bad one."""
    data: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        if name in lists:
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        from backend.api.errors import fields_of

        raise errors.BadRequest(
            "Some parameters are missing or invalid.", fields=fields_of(exc)
        ) from None


def require_origin(request: Request, site: SiteConfig) -> None:
    """Reader writes come from the site's own pages, or not at all.

    Browsers always send Origin on cross-origin writes, so a missing Origin is a script or a
    forged request, not a reader.
    """
    origin = request.headers.get("origin")
    if origin is None or not site.allows_origin(origin):
        raise errors.Forbidden()


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized()
    return token.strip()


def client_ip(request: Request, settings: Settings) -> str:
    """The client's address: the socket's (or API Gateway's source IP, which Mangum puts
    there); X-Forwarded-For only counts for as many hops as are configured to be trusted,
    since any client can send that header."""
    peer = request.client.host if request.client else "unknown"
    if settings.trusted_proxies:
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= settings.trusted_proxies:
            return hops[-settings.trusted_proxies]
    return peer
