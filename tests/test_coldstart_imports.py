"""Cold start: importing the Lambda handler imports what a page view needs, and nothing else.

A page view is a thread read (plus counts and the widget). Everything else is imported on first
use (backend/api/lazy.py, backend/api/context.py): admin, moderation, the feed, OpenAPI,
server-rendered HTML, notifications and mail, migration, the CLI. This runs the import in a
fresh interpreter, as Lambda's init phase does, and fails when any of those is imported eagerly,
and when a backend module nobody has classified shows up at start (decide: page view, or lazy).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend.api.lazy import lazy

ROOT = Path(__file__).resolve().parent.parent

# What a page view needs (the read path, counts, the widget, the app around them).
PAGE_VIEW_MODULES = {
    "backend",
    "backend.app",
    "backend.lambda_handler",
    "backend.lambda_app",
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
    "backend.store.dynamo.models",  # part of the store (a post reads the spam filter's model)
    "backend.store.dynamo.moderation",
    "backend.store.dynamo.outbox",
    "backend.store.dynamo.reads",
    "backend.store.dynamo.search",  # part of the store (a post writes its search postings)
    "backend.store.dynamo.sigv4",  # the reads' own client, and its signature
    "backend.store.dynamo.store",
    "backend.store.dynamo.table",
    "backend.store.dynamo.updates",
    "backend.store.dynamo.wire",
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
    "backend.domain.drafts",  # a post's Draft and Posted records
    "backend.store.reports",  # what bulk writes and repair runs report
    "backend.store.dynamo.schema",  # the table's definition: `parley init-table`
    "backend.notify",
    "backend.migrate",
    "backend.cli",
    "backend.demo",
    "backend.store.sqlite",
    "mistune",
    "nh3",
    "httpx",
    "akismet",  # a site's Akismet check: imported on the first post of a site with a key
    "smtplib",
    "aiosmtpd",
    "uvicorn",
    "boto3",
    "botocore",  # built on the first request that is not a read (backend/store/dynamo/client.py)
    "urllib3",
    "s3transfer",
    "backend.store.dynamo.events",  # botocore's events for the reads: tests only
)

PROBE = """
import dataclasses, gc, json, sys
import backend.lambda_handler as h
from backend.api.lazy import Later
table = h.handler.app.router.routes
records = [
    c for m in list(sys.modules.values()) if m.__name__.startswith("backend")
    for c in vars(m).values()
    if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == m.__name__
]
print(json.dumps({
    "modules": sorted(sys.modules),
    "records": sorted(f"{c.__module__}.{c.__qualname__}" for c in records),
    # A dataclass without a docstring gets one made from inspect.signature, at import.
    "undocumented": sorted(
        c.__qualname__ for c in records if c.__doc__.startswith(c.__name__ + "(")
    ),
    "collector_on": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "routes_made": [getattr(r, "path", "?") for r in table if not isinstance(r, Later)],
    "later_made": [r.made for r in table if isinstance(r, Later)],
}))
"""


@functools.cache
def handler_start() -> dict[str, Any]:
    """What a fresh interpreter holds once `import backend.lambda_handler` is done."""
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
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_handler_imports_nothing_a_page_view_does_not_need() -> None:
    modules = set(handler_start()["modules"])
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


# Dataclasses made at start: each costs 1-3 ms of cold start to build on Python 3.12 (six
# generated methods compiled one by one, for a frozen one), about a third of Parley's own
# share of the init (bench/RESULTS.md). A new one on this list should be one a page view needs.
START_RECORDS = [
    "backend.api.cache.Cached",
    "backend.api.cache.KnownQuery",
    "backend.api.context.Context",
    "backend.api.meta.Widget",
    "backend.api.query.CountsQuery",
    "backend.api.query.ReadQuery",
    "backend.domain.ceiling.Admission",  # the sandbox ceiling: every request
    "backend.domain.ceiling.Budget",
    "backend.domain.ceiling.SandboxCeiling",
    "backend.domain.models.Block",
    "backend.domain.models.Comment",
    "backend.domain.models.NewComment",
    "backend.domain.models.Origin",
    "backend.domain.models.OutboxEvent",
    "backend.domain.models.Page",
    "backend.domain.models.QueuePage",
    "backend.domain.models.Thread",
    "backend.domain.service.NumberedPage",
    "backend.settings.MailURL",
    "backend.settings.Settings",
    "backend.settings.StoreURL",
    "backend.sites.SiteConfig",
]


def test_no_new_record_classes_at_start_and_each_has_a_docstring() -> None:
    start = handler_start()
    new = sorted(set(start["records"]) - set(START_RECORDS))
    assert new == [], (
        f"dataclasses newly built at cold start: {new}. Each costs 1-3 ms of every cold "
        "start: define it in a module a page view does not import, or add it to START_RECORDS"
    )
    assert start["undocumented"] == [], "a docstring spares inspect.signature at import"


# The page view's routes: made at start. Every other route is made on first use (`Later`):
# Starlette compiles a regular expression for each route it makes.
PAGE_VIEW_ROUTES = [
    "/api/v1/comments",
    "/api/v1/counts",
    "/healthz",
    "/embed.js",
    "/widget/thread.{hash:str}.js",
    "/widget/{lang:str}.js",
    "/widget",
]


def test_only_the_page_views_routes_are_made_at_start() -> None:
    start = handler_start()
    assert start["routes_made"] == PAGE_VIEW_ROUTES, (
        "routes made at cold start: a page view needs only its own; list any other in "
        "backend/app.py's later_routes"
    )
    assert start["later_made"] == [False]


def test_init_runs_with_the_collector_paused_and_leaves_it_running() -> None:
    """backend/lambda_handler.py: ~a tenth of init's CPU was the collector walking the heap
    being built (bench/RESULTS.md); what init made is frozen out of its sight afterwards."""
    start = handler_start()
    assert start["collector_on"] is True
    assert start["frozen"] > 20_000, "init's objects were not frozen: was the pause removed?"


# -- a page view's requests, served by a fresh sandbox --------------------------------------------

# botocore (with urllib3 and boto3's layers) was ~95% of the init's CPU: a sandbox that only
# serves page views never imports it. Its reads go through Parley's own client
# (backend/store/dynamo/wire.py); botocore comes in on the first write or other request.
BOTOCORE = ("boto3", "botocore", "s3transfer", "urllib3")

READ_PROBE = """
import json, sys
import backend.lambda_handler as h
class Context:
    function_name = "parley-test-api"
    aws_request_id = "1"
answers = [h.handler(event, Context())["statusCode"] for event in json.loads(sys.argv[1])]
print(json.dumps({"answers": answers, "modules": sorted(sys.modules)}))
"""


def page_view_events() -> list[dict[str, Any]]:
    """A page view's requests as a Function URL hands them over: the thread (twice: the
    second is a kept page, revalidated with one GetItem), its counts, the widget, and the
    build-time fragment's HTML."""
    template = json.loads(
        (ROOT / "tests" / "events" / "function-url-get-comments.json").read_text()
    )
    events = []
    for path, query in (
        ("/api/v1/comments", "site=blog&uri=%2Fa%2F"),
        ("/api/v1/comments", "site=blog&uri=%2Fa%2F"),
        ("/api/v1/counts", "site=blog&uri=%2Fa%2F&uri=%2Fb%2F"),
        ("/embed.js", ""),
        ("/api/v1/comments.html", "site=blog&uri=%2Fa%2F"),
    ):
        event = json.loads(json.dumps(template))
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["rawQueryString"] = query
        event.pop("queryStringParameters")
        events.append(event)
    return events


def test_a_page_view_on_a_fresh_sandbox_imports_no_botocore(tmp_path: Path) -> None:
    """As deployed: the secret keys read from SSM at init (a moto server stands in), the
    store on DynamoDB Local, the role's keys in the environment."""
    from datetime import UTC, datetime

    import boto3
    from moto.server import ThreadedMotoServer

    from backend.domain.models import Comment, NewComment, Status
    from tests.servers import free_port
    from tests.stores import dynamodb_local_store

    port = free_port()
    ssm = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    ssm.start()
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    boto3.client(
        "ssm", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}", **keys
    ).put_parameter(Name="/parley/keys", Type="SecureString", Value="ssm-key-0123456789abcdef")
    with dynamodb_local_store(tmp_path) as (store, url), contextlib.ExitStack() as stop:
        stop.callback(ssm.stop)
        comment = Comment(
            site="blog", uri="/a/", id="01KD" + "0" * 22, parent=None, author="A",
            email="a@example.com", website=None, text="t", html="<p>t</p>",
            status=Status.APPROVED, created=datetime(2026, 1, 2, tzinfo=UTC),
        )  # fmt: skip
        store.create_comment(NewComment(comment, "T", "seed-a", 1_800_000_000))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(ROOT),
            "PYTHONPATH": str(ROOT),
            "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "parley-test-api",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_SSM": f"http://127.0.0.1:{port}",
            "PARLEY_STORE": f"dynamodb://{url.table}?region=us-east-1&endpoint={url.endpoint}",
            "PARLEY_SECRET_KEYS_PARAM": "/parley/keys",
            "PARLEY_SITES": json.dumps({"blog": {"origins": ["https://blog.example.com"]}}),
            "PARLEY_TRUSTED_PROXIES": "0",
        }
        result = subprocess.run(
            [sys.executable, "-c", READ_PROBE, json.dumps(page_view_events())],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    ran = json.loads(result.stdout)
    assert ran["answers"] == [200, 200, 200, 200, 200]
    loaded = sorted(m for m in ran["modules"] if m.split(".")[0] in BOTOCORE)
    assert loaded == [], f"a page view imported {loaded[:5]}...: its reads must not need botocore"
