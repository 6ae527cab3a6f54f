"""Request and response plumbing shared by the handlers: bodies, params, origins, clients."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from backend.domain import errors
from backend.settings import Settings, SiteConfig

if TYPE_CHECKING:  # pydantic is imported on first use: the page view never needs it
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")

JSON_TYPE = "application/json"
# Every answer but a 204 (no content) carries these (backend.app.SecurityHeaders): no MIME
# sniffing, no framing of our pages, no referrer leak. Nothing Parley serves is meant to be
# framed (the widget renders into the host page itself); this stops clickjacking of /admin and
# the one-click confirm pages.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)
NO_STORE = "no-store"
MAX_JSON_DEPTH = 16  # our bodies are flat objects; 16 leaves room and bounds the parser's work

# A JSON string (escapes included), or one bracket: what the depth scan looks at.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_response(
    data: Any, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    body = data if isinstance(data, bytes) else dumps(data)
    return Response(body, status, headers=headers, media_type=JSON_TYPE)


def model_response(
    model: BaseModel, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    return Response(model.__pydantic_serializer__.to_json(model), status, headers, JSON_TYPE)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison of If-None-Match against our ETag: a comma-separated list of
    entity tags (each maybe `W/`-prefixed) or `*`; an exact tag, never a substring."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip().removeprefix("W/")
        if candidate == "*" or candidate == etag:
            return True
    return False


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON, as pydantic writes it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


async def read_json(request: Request, model: type[M], max_bytes: int) -> M:
    """Parse a JSON body into `model`, refusing what is too big, not JSON, or malformed.

    Requiring application/json also blocks cross-site form posts (CSRF): a plain HTML form
    cannot send that content type without a CORS preflight.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_TYPE:
        raise errors.UnsupportedMediaType()
    if request.headers.get("content-encoding", "identity").strip().lower() != "identity":
        raise errors.UnsupportedMediaType("Send the body uncompressed, without Content-Encoding.")
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
    raw = b"".join(chunks)
    if _too_deep(raw):
        raise errors.BadRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise errors.BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise errors.BadRequest("The body must be a JSON object.")
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        from backend.api.errors import fields_of

        raise errors.ValidationFailed(fields=fields_of(exc)) from None


def _too_deep(raw: bytes) -> bool:
    """Whether brackets outside strings nest deeper than MAX_JSON_DEPTH.

    Checked before parsing: Python's parser recurses once per level, and a 25 KB body of
    `{"a":` repeated would otherwise end in a RecursionError (a 500) on any JSON endpoint.
    Malformed input is left for the parser to refuse.
    """
    depth = 0
    for token in _JSON_TOKENS.finditer(raw):
        match token.group():
            case b"[" | b"{":
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    return True
            case b"]" | b"}":
                depth -= 1
    return False


def read_params(request: Request, model: type[M], *, lists: tuple[str, ...] = ()) -> M:
    """Parse query parameters; malformed parameters are a 400 naming each bad one, and so is a
    parameter given twice that takes one value (which of the two would count?)."""
    data: dict[str, Any] = {}
    repeated: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in lists:
            data.setdefault(name, []).append(value)
        elif name in data:
            repeated[name] = "give it once"
        else:
            data[name] = value
    if repeated:
        raise errors.BadRequest("Some parameters are missing or invalid.", fields=repeated)
    from pydantic import ValidationError

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
