"""What the Lambda entry point (`backend.lambda_handler.handler`) builds, once per sandbox.

Everything is built at import of the entry point, which Lambda runs in its init phase (billed
and timed as cold start, then reused by every request this sandbox serves): the settings, the
store (and so its DynamoDB client) and the app. Nothing per request lives at module level; a
module global that outlived one request would leak it into the next (STYLE.md, "hidden
globals").

Mangum answers API Gateway HTTP API (payload 2.0) and Lambda Function URL events, which share
one shape. It puts `requestContext.http.sourceIp` into the ASGI scope's `client`, which is the
address the app trusts; X-Forwarded-For is only read when PARLEY_TRUSTED_PROXIES says so, since
anyone can send that header.

The secret keys stay out of the CloudFormation template and the function's configuration:
serverless.yml sets PARLEY_SECRET_KEYS_PARAM to the name of an SSM SecureString, read here once
per cold start. PARLEY_SECRET_KEYS, when set, wins (local runs, tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import Mapping

from mangum import Mangum

from backend.app import create_app
from backend.environment import SECRET_PARAM_VAR, resolve_environment
from backend.settings import ConfigError, Settings
from backend.store import open_store

# Answers API Gateway hands back as text rather than base64. Mangum matches these as substrings
# of Content-Type ("+xml" covers the Atom feed, "text/" the widget and the HTML pages).
TEXT_MIME_TYPES = [
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/vnd.oai.openapi",
    "+json",
    "+xml",
]


def build_handler(environ: Mapping[str, str]) -> Mangum:
    """Settings, store and app for one Lambda sandbox, wrapped for Lambda events."""
    settings = Settings.from_env(resolve_environment(environ))
    # A sandbox serves one request at a time: the store is called on the event loop's thread.
    app = create_app(settings, open_store(settings), one_request_at_a_time=True)
    # No lifespan: there is nothing to start or stop, and it would cost every cold start.
    return Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)


__all__ = ["SECRET_PARAM_VAR", "ConfigError", "build_handler", "resolve_environment"]
