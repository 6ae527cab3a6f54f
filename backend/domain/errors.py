"""Domain errors. Each maps to one HTTP status and code in `backend.api.errors`."""

from __future__ import annotations


class ParleyError(Exception):
    """Base of every error a client can cause or be told about."""

    message = "The request could not be handled."

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None) -> None:
        self.message = message or self.message
        self.fields = fields or {}
        super().__init__(self.message)


class BadRequest(ParleyError):
    message = "The request is malformed."


class InvalidCursor(BadRequest):
    message = "The cursor is invalid or belongs to another thread."


class ValidationFailed(ParleyError):
    message = "Some fields are invalid."


class ProofRefused(ValidationFailed):
    """A post without a valid, unexpired, unused proof of work on a site that requires one."""

    message = "The form's proof of work is invalid; reload the page and post again."

    def __init__(self, message: str | None = None, *, reason: str) -> None:
        super().__init__(message, fields={"proof": reason})
        self.reason = reason


class CaptchaRefused(ValidationFailed):
    """A post whose Turnstile or hCaptcha token is missing or refused by the service, on a site
    that asks for one (backend/spam/outside.py)."""

    message = "The form's captcha was not accepted; solve it again and post again."

    def __init__(self, message: str | None = None, *, reason: str) -> None:
        super().__init__(message, fields={"captcha": reason})
        self.reason = reason


class UnsupportedMediaType(ParleyError):
    message = "Send the body as application/json."


class BodyTooLarge(ParleyError):
    message = "The request body is too large."


class Unauthorized(ParleyError):
    message = "A valid token is required."


class Forbidden(ParleyError):
    message = "This origin may not write to this site."


class EditWindowClosed(Forbidden):
    message = "The time to edit or delete this comment has passed."


class TokenForOtherSite(Forbidden):
    message = "This admin token belongs to another site."


class UnknownSite(ParleyError):
    message = "No such site."


class CommentNotFound(ParleyError):
    message = "No such comment."


class ParentNotFound(ValidationFailed):
    message = "The comment you are replying to does not exist."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, fields={"parent": "no such comment in this thread"})


class InvalidAction(ParleyError):
    """A moderation action that does not apply to the comment's current state."""

    message = "This action does not apply to the comment as it is now."


class ThreadLocked(ParleyError):
    message = "This thread is closed for new comments."


class RateLimited(ParleyError):
    message = "Too many comments from your network; try again shortly."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class StoreUnavailable(ParleyError):
    message = "Storage is unavailable; try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreRefused(StoreUnavailable):
    """The store refused a request as one it can never take (DynamoDB's ValidationException: a
    key or item past its limits). Answered as a 503 like any store failure; the worker does not
    try such an event again but moves it to the dead letters."""

    message = "Storage refused the request."


class DuplicateKey(ParleyError):
    """Raised by a store when an idempotency key was already used; carries the first comment id."""

    def __init__(self, comment_id: str) -> None:
        super().__init__("duplicate idempotency key")
        self.comment_id = comment_id
