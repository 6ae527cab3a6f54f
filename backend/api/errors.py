"""Every error a client sees, in one shape, mapped from domain errors in one table."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from backend.api.http import json_response
from backend.domain import errors

if TYPE_CHECKING:
    from pydantic import ValidationError

log = logging.getLogger("parley")

# Most specific first: the first class an error is an instance of decides.
STATUS_TABLE: tuple[tuple[type[errors.ParleyError], int, str], ...] = (
    (errors.InvalidCursor, 400, "invalid_cursor"),
    (errors.BadRequest, 400, "bad_request"),
    (errors.Unauthorized, 401, "unauthorized"),
    (errors.EditWindowClosed, 403, "edit_window_closed"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.UnknownSite, 404, "unknown_site"),
    (errors.CommentNotFound, 404, "not_found"),
    (errors.ThreadLocked, 409, "thread_locked"),
    (errors.InvalidAction, 409, "invalid_action"),
    (errors.BodyTooLarge, 413, "body_too_large"),
    (errors.UnsupportedMediaType, 415, "unsupported_media_type"),
    (errors.ProofRefused, 422, "proof"),
    (errors.CaptchaRefused, 422, "captcha"),
    (errors.ValidationFailed, 422, "validation_error"),
    (errors.RateLimited, 429, "rate_limited"),
    (errors.StoreUnavailable, 503, "unavailable"),
)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return json_response(body, status, headers=headers)


def fields_of(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as {field: sentence}, the first problem of each field."""
    fields: dict[str, str] = {}
    for problem in exc.errors(include_url=False, include_input=False):
        name = str(problem["loc"][0]) if problem["loc"] else "body"
        message = problem["msg"].removeprefix("Value error, ")
        fields.setdefault(name, message)
    return fields


async def parley_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ParleyError)
    for cls, status, code in STATUS_TABLE:
        if isinstance(exc, cls):
            headers = {}
            if isinstance(exc, errors.RateLimited | errors.StoreUnavailable):
                headers["Retry-After"] = str(exc.retry_after)
            if status == 401:
                headers["WWW-Authenticate"] = "Bearer"
            return error_response(status, code, exc.message, exc.fields, headers)
    log.error("unmapped domain error %r", exc)
    return error_response(500, "internal_error", "Something went wrong on our side.")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = "No such resource." if exc.status_code == 404 else str(exc.detail)
    headers = dict(exc.headers or {})
    return error_response(exc.status_code, code, message, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Something went wrong on our side.")
