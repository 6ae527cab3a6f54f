"""Cold start: importing the Lambda handler imports what a page view needs, and nothing else.

A page view is a thread read (plus counts and the widget). Everything else is imported on first
use (backend/api/lazy.py, backend/api/context.py): admin, moderation, the feed, OpenAPI,
server-rendered HTML, notifications and mail, migration, the CLI. This runs the import in a
fresh interpreter, as Lambda's init phase does, and fails when any of those is imported eagerly,
and when a backend module nobody has classified shows up at start (decide: page view, or lazy).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.api.lazy import lazy

ROOT = Path(__file__).resolve().parent.parent

# What a page view needs (the read path, counts, the widget, the app around them).
PAGE_VIEW_MODULES = {
    "backend",
    "backend.app",
    "backend.lambda_handler",
    "backend.environment",
    "backend.settings",
    "backend.sites",
    "backend.api",
    "backend.api.cache",
    "backend.api.ceiling",  # the flood ceiling: every request on Lambda passes it
    "backend.domain.ceiling",
    "backend.api.cdn",  # the CDN secret check runs on every request
    "backend.api.comments",
    "backend.api.compress",
    "backend.api.context",
    "backend.api.cors",
    "backend.api.counts",
    "backend.api.errors",
    "backend.api.http",
    "backend.api.lazy",
    "backend.api.meta",
    "backend.api.query",  # the read's and the counts' queries, checked without pydantic
    "backend.api.views",  # the read's answer, built without pydantic
    "backend.domain",
    "backend.domain.blocks",  # a post asks whether its network or address is blocked
    "backend.domain.errors",
    "backend.domain.identity",
    "backend.domain.limits",
    "backend.domain.ids",
    "backend.domain.models",
    "backend.domain.render",
    "backend.domain.service",
    "backend.domain.spam",
    "backend.domain.tally",
    "backend.domain.text",  # the reader-text rule validates a page view's uri
    "backend.domain.tokens",
    "backend.store",
    "backend.store.base",
    "backend.store.dynamo",
    "backend.store.dynamo.client",
    "backend.store.dynamo.counters",
    "backend.store.dynamo.desk",  # part of the store (a post asks it for blocks)
    "backend.store.dynamo.items",
    "backend.store.dynamo.moderation",
    "backend.store.dynamo.outbox",
    "backend.store.dynamo.reads",
    "backend.store.dynamo.schema",
    "backend.store.dynamo.store",
    "backend.store.dynamo.table",
    "backend.store.dynamo.updates",
    "backend.store.dynamo.writes",
}
# Never at start: named so that the failure says what came in, whatever the allowlist says.
HEAVY = (
    # pydantic and the models: importing it and building the validators was the largest part
    # of the handler's own cold start (bench/RESULTS.md); bodies are checked on first write.
    "pydantic",
    "pydantic_core",
    "backend.api.schemas",
    "backend.api.writes",
    "backend.api.admin",
    "backend.api.moderate",
    "backend.api.feed",
    "backend.api.openapi",
    "backend.api.html",
    "backend.domain.moderation",
    "backend.domain.outbox",  # a post's events: imported on the first post
    "backend.notify",
    "backend.migrate",
    "backend.cli",
    "backend.demo",
    "backend.store.sqlite",
    "mistune",
    "nh3",
    "httpx",
    "smtplib",
    "aiosmtpd",
    "uvicorn",
    "boto3",  # the handler uses botocore's session: boto3 drags in its resource layer
    "s3transfer",
)

PROBE = "import json, sys; import backend.lambda_handler; print(json.dumps(sorted(sys.modules)))"


def handler_modules() -> set[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(ROOT),
        "PYTHONPATH": str(ROOT),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "fake-secret-for-the-import-test",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PARLEY_STORE": "dynamodb://parley-test?region=us-east-1",
        "PARLEY_SECRET_KEYS": "import-test-key-0123456789abcdef",
        "PARLEY_SITES": json.dumps({"blog": {"origins": ["https://blog.example.com"]}}),
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


def test_handler_imports_nothing_a_page_view_does_not_need() -> None:
    modules = handler_modules()
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"imported at cold start, should be on first use: {heavy}"
    unknown = sorted(m for m in modules if m.startswith("backend") and m not in PAGE_VIEW_MODULES)
    assert unknown == [], (
        f"new backend modules imported at cold start: {unknown}. If a page view needs them, "
        "add them to PAGE_VIEW_MODULES; if not, import them on first use (backend/api/lazy.py)"
    )


def test_lazy_endpoint_needs_module_and_function() -> None:
    for bad in ("backend.api.admin", ":queue", "backend.api.admin:"):
        with pytest.raises(ValueError, match="module:function"):
            lazy(bad)
