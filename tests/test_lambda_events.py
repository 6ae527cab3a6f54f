"""The Lambda entry point, driven by recorded API Gateway HTTP API (payload 2.0) and Function URL
events (tests/events/), with DynamoDB on AWS's DynamoDB Local and SSM in moto (DynamoDB Local
has no SSM).

`backend.lambda_handler` is imported for real, as Lambda's init phase does: the environment is
set first, the module builds the handler at import. Then the artifact itself (an x86_64 build
for this machine's Python, since the deployed one is arm64) is unzipped and run in a separate
interpreter without site-packages, against DynamoDB Local and moto's server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import copy
import gzip
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from backend.settings import StoreURL
from backend.store.dynamo import DynamoStore
from tests.servers import free_port
from tests.stores import DYNAMODB_LOCAL, PATIENT, SESSION, drop_table
from tests.test_infra import ROOT, build_artifact, build_script, offline_prefix

EVENTS = Path(__file__).parent / "events"
REGION = "eu-west-1"
TABLE = "parley-test"
PARAM = "/parley/test/secret-keys"
# The events are fixed files: they carry no fresh proof of work (tests/test_proof.py has it).
SITES = {
    "blog": {"origins": ["https://blog.example.com"], "moderation": "none", "proof": "off"},
    "slow": {"origins": ["https://blog.example.com"], "rate_limit_per_minute": 1, "proof": "off"},
}
URI = "/2024/12/feel-good-news/"


class Context:
    """What Mangum reads of the Lambda context object."""

    function_name = "parley-test-api"
    aws_request_id = "8e7a1c4f-2d3b-4e5f-9a8b-7c6d5e4f3a2b"


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


def body_of(answer: dict[str, Any]) -> bytes:
    """The body as the client gets it: base64 undone (API Gateway's part), gzip undone (the
    client's part: the recorded events accept gzip)."""
    raw = answer.get("body") or ""
    body = base64.b64decode(raw) if answer["isBase64Encoded"] else raw.encode()
    if (answer.get("headers") or {}).get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return body


def json_of(answer: dict[str, Any]) -> Any:
    return json.loads(body_of(answer))


def with_json_body(template: dict[str, Any], source_ip: str, **changes: Any) -> dict[str, Any]:
    """A copy of a POST event from another address, with fields of its JSON body changed."""
    out = copy.deepcopy(template)
    data = json.loads(base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"])
    data.update(changes)
    text = json.dumps(data)
    out["body"] = base64.b64encode(text.encode()).decode() if out["isBase64Encoded"] else text
    out["headers"]["content-length"] = str(len(text.encode()))
    out["requestContext"]["http"]["sourceIp"] = source_ip
    return out


def lambda_environment(table: str = TABLE, endpoint: str | None = None) -> dict[str, str]:
    at = f"&endpoint={endpoint}" if endpoint else ""
    return {
        "PARLEY_STORE": f"dynamodb://{table}?region={REGION}{at}",
        "PARLEY_SECRET_KEYS_PARAM": PARAM,
        "PARLEY_SITES": json.dumps(SITES),
        "PARLEY_PUBLIC_URL": "https://r4nd0m1d.execute-api.eu-west-1.amazonaws.com",
        "PARLEY_TRUSTED_PROXIES": "0",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "parley-test-api",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }


@pytest.fixture
def lambda_module(monkeypatch: pytest.MonkeyPatch, moto_server: str) -> Iterator[ModuleType]:
    """backend.lambda_handler, imported fresh: its own table on DynamoDB Local, made by
    `init-table`'s code; the secret keys in an SSM SecureString on a moto server, read over
    HTTP as a sandbox reads them (Parley's own client: backend/environment.py)."""
    for name in ("PARLEY_SECRET_KEYS", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    env = lambda_environment(f"{TABLE}-{uuid.uuid4().hex[:12]}", DYNAMODB_LOCAL.endpoint())
    for name, value in {**env, "AWS_ENDPOINT_URL_SSM": moto_server}.items():
        monkeypatch.setenv(name, value)
    store = DynamoStore.from_url(StoreURL.parse(env["PARLEY_STORE"]), SESSION, PATIENT)
    store.setup()
    ssm_parameter(moto_server, "lambda-test-key-0123456789abcdef")
    sys.modules.pop("backend.lambda_handler", None)
    module = importlib.import_module("backend.lambda_handler")
    yield module
    sys.modules.pop("backend.lambda_handler", None)
    drop_table(store)
    store.close()


def ssm_parameter(moto_server: str, value: str) -> None:
    boto3.client(
        "ssm",
        region_name=REGION,
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).put_parameter(Name=PARAM, Type="SecureString", Value=value, Overwrite=True)


def call(module: ModuleType, name_or_event: str | dict[str, Any]) -> dict[str, Any]:
    ev = event(name_or_event) if isinstance(name_or_event, str) else name_or_event
    answer: dict[str, Any] = module.handler(ev, Context())
    return answer


# -- through the handler, in process ---------------------------------------------------------------


def test_post_then_read_through_api_gateway_and_function_url(lambda_module: ModuleType) -> None:
    posted = call(lambda_module, "apigw-v2-post-comment.json")
    assert posted["statusCode"] == 201, body_of(posted)
    assert posted["headers"]["content-type"].startswith("application/json")
    assert posted["isBase64Encoded"] is False
    comment = json_of(posted)["comment"]
    assert comment["author"] == "JKB"
    assert "jkb@example.com" not in body_of(posted).decode()
    assert posted["headers"]["access-control-allow-origin"] == "https://blog.example.com"

    for name in ("apigw-v2-get-comments.json", "function-url-get-comments.json"):
        read = call(lambda_module, name)
        assert read["statusCode"] == 200, body_of(read)
        page = json_of(read)
        assert [c["id"] for c in page["comments"]] == [comment["id"]]
        assert page["thread"]["count"] == 1
        assert "etag" in read["headers"]


def test_store_calls_run_on_the_invocations_own_thread(
    lambda_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sandbox serves one request at a time, and Mangum gives every invocation a new event
    # loop: a worker thread per store call only cost CPU (backend.api.context.inline).
    service = lambda_module.handler.app.state.parley.comments
    threads: list[int] = []

    def read(*args: Any) -> Any:
        threads.append(threading.get_ident())
        return type(service).read(service, *args)

    monkeypatch.setattr(service, "read", read)
    assert call(lambda_module, "function-url-get-comments.json")["statusCode"] == 200
    assert threads == [threading.get_ident()]


def test_base64_bodies_from_both_event_kinds(lambda_module: ModuleType) -> None:
    first = call(lambda_module, "apigw-v2-post-comment-base64.json")
    assert first["statusCode"] == 201, body_of(first)
    assert "ünïcödé" in json_of(first)["comment"]["html"]
    second = call(lambda_module, "function-url-post-comment-base64.json")
    assert second["statusCode"] == 201, body_of(second)
    counts = call(lambda_module, "apigw-v2-get-counts.json")
    assert json_of(counts) == {"counts": {URI: 2, "/about/": 0}}


def test_idempotent_retry_stores_nothing_new(lambda_module: ModuleType) -> None:
    first = json_of(call(lambda_module, "apigw-v2-post-comment.json"))["comment"]
    again = call(lambda_module, "apigw-v2-post-comment.json")
    assert json_of(again)["comment"]["id"] == first["id"]
    assert json_of(call(lambda_module, "apigw-v2-get-comments.json"))["thread"]["count"] == 1


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("apigw-v2-post-bad-json.json", 400, None),
        ("apigw-v2-get-bad-limit.json", 400, None),
        ("function-url-post-not-json.json", 415, None),
    ],
)
def test_bad_input_gets_the_error_shape_not_a_500(
    lambda_module: ModuleType, name: str, status: int, code: str | None
) -> None:
    answer = call(lambda_module, name)
    assert answer["statusCode"] == status, body_of(answer)
    error = json_of(answer)["error"]
    assert set(error) >= {"code", "message"}
    assert "Traceback" not in body_of(answer).decode()


def test_embed_health_and_preflight(lambda_module: ModuleType) -> None:
    embed = call(lambda_module, "apigw-v2-get-embed.json")
    assert embed["statusCode"] == 200
    assert embed["headers"]["content-type"].startswith("text/javascript")
    # The recorded browser accepts brotli: the widget goes out as the build's brotli twin, so
    # base64 to API Gateway (which decodes it before sending the brotli bytes on).
    assert embed["headers"]["content-encoding"] == "br"
    assert embed["isBase64Encoded"] is True
    assert "accept-encoding" in embed["headers"]["vary"].lower()
    assert body_of(embed) == (ROOT / "backend" / "static" / "embed.js.br").read_bytes()
    health = call(lambda_module, "function-url-get-healthz.json")
    assert (health["statusCode"], json_of(health)) == (200, {"ok": True})
    preflight = call(lambda_module, "apigw-v2-options-preflight.json")
    assert preflight["statusCode"] in (200, 204)
    assert preflight["headers"]["access-control-allow-origin"] == "https://blog.example.com"


# serverless.yml filters the API function's logs at WARN (JSON format; tests/test_aws_rules.py
# cites AWS's page): Lambda's own lines go, and so does anything the app writes below WARNING
# or without a level. So a healthy page view writes no log line as long as the app itself
# logs nothing at WARNING or above for it (CloudWatch Logs bills each byte ingested).
def test_a_healthy_page_view_logs_nothing_at_warning_or_above(
    lambda_module: ModuleType, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    call(lambda_module, "apigw-v2-post-comment.json")
    capfd.readouterr()
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        for name in (
            "apigw-v2-get-embed.json",
            "apigw-v2-get-counts.json",
            "apigw-v2-options-preflight.json",
            "apigw-v2-get-comments.json",
            "function-url-get-comments.json",
            "function-url-get-healthz.json",
        ):
            assert call(lambda_module, name)["statusCode"] in (200, 204), name
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")  # a bare print would reach the log as INFO: none either


def test_client_address_is_the_source_ip_not_x_forwarded_for(lambda_module: ModuleType) -> None:
    # Site "slow" allows one write a minute per client. Changing X-Forwarded-For does not make
    # a new client; a different requestContext source IP does.
    template = event("apigw-v2-post-comment.json")
    first = with_json_body(template, "203.0.113.7", site="slow", key="slow-key-0001")
    first["headers"]["x-forwarded-for"] = "192.0.2.1"
    assert call(lambda_module, first)["statusCode"] == 201

    spoofed = with_json_body(template, "203.0.113.7", site="slow", key="slow-key-0002")
    spoofed["headers"]["x-forwarded-for"] = "192.0.2.99"
    limited = call(lambda_module, spoofed)
    assert limited["statusCode"] == 429, body_of(limited)
    assert "retry-after" in limited["headers"]

    other = with_json_body(
        event("function-url-post-comment-base64.json"), "198.51.100.23", site="slow"
    )
    assert call(lambda_module, other)["statusCode"] == 201


def test_secret_keys_come_from_ssm(lambda_module: ModuleType, moto_server: str) -> None:
    on_moto = {**lambda_environment(), "AWS_ENDPOINT_URL_SSM": moto_server}
    env = lambda_module.resolve_environment(on_moto)
    assert env["PARLEY_SECRET_KEYS"] == "lambda-test-key-0123456789abcdef"
    # An explicit PARLEY_SECRET_KEYS wins and makes no SSM call (benchmarks, local runs).
    explicit = {**lambda_environment(), "PARLEY_SECRET_KEYS": "explicit-key-0123456789"}
    assert lambda_module.resolve_environment(explicit)["PARLEY_SECRET_KEYS"] == (
        "explicit-key-0123456789"
    )


def test_missing_secret_parameter_fails_the_cold_start_clearly(
    lambda_module: ModuleType, moto_server: str
) -> None:
    env = {
        **lambda_environment(),
        "AWS_ENDPOINT_URL_SSM": moto_server,
        "PARLEY_SECRET_KEYS_PARAM": "/parley/test/missing",
    }
    with pytest.raises(lambda_module.ConfigError, match="/parley/test/missing"):
        lambda_module.build_handler(env)


# -- the artifact itself ---------------------------------------------------------------------------

RUN_EVENTS = """
import base64, gzip, json, sys
sys.path.insert(0, sys.argv[1])
import backend.lambda_handler as lh
assert lh.__file__.startswith(sys.argv[1]), lh.__file__
import mangum, pydantic_core, boto3
for module in (mangum, pydantic_core, boto3):
    assert module.__file__.startswith(sys.argv[1]), module.__file__
class Context:
    function_name = "parley-test-api"
    aws_request_id = "1"
out = []
for path in sys.argv[2:]:
    answer = lh.handler(json.load(open(path, encoding="utf-8")), Context())
    body = answer.get("body") or ""
    if answer["isBase64Encoded"]:
        body = base64.b64decode(body)
        coding = (answer.get("headers") or {}).get("content-encoding")
        if coding == "gzip":
            body = gzip.decompress(body)
        body = f"br: {len(body)} bytes" if coding == "br" else body.decode()
    out.append([answer["statusCode"], body[:2000]])
print(json.dumps({"python": sys.version.split()[0], "answers": out}))
"""


# Lambda's Python when this machine has it (it does: pyenv's 3.12), else the one running.
LAMBDA_PYTHON = "3.12"


@pytest.fixture(scope="module")
def artifact_python() -> tuple[str, str]:
    interpreter = build_script().target_interpreter(LAMBDA_PYTHON)
    if interpreter is None:
        return sys.executable, f"{sys.version_info.major}.{sys.version_info.minor}"
    return interpreter, LAMBDA_PYTHON


@pytest.fixture(scope="module")
def unzipped_artifact(
    tmp_path_factory: pytest.TempPathFactory, artifact_python: tuple[str, str]
) -> Path:
    python = artifact_python[1]
    out = ROOT / "build" / "lambda" / f"parley-x86_64-py{python}.zip"
    build_artifact(out, arch="x86_64", python=python)
    target = tmp_path_factory.mktemp("artifact")
    with zipfile.ZipFile(out) as archive:
        archive.extractall(target)
    return target


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_unzipped_artifact_answers_events(
    unzipped_artifact: Path, artifact_python: tuple[str, str], moto_server: str
) -> None:
    env = lambda_environment(f"artifact-{uuid.uuid4().hex[:12]}", DYNAMODB_LOCAL.endpoint())
    store = DynamoStore.from_url(StoreURL.parse(env["PARLEY_STORE"]), SESSION, PATIENT)
    store.setup()
    ssm_parameter(moto_server, "artifact-key-0123456789abcdef")
    env = {
        **env,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # botocore's per-service endpoint variable: the SSM read goes to moto.
        "AWS_ENDPOINT_URL_SSM": moto_server,
    }
    names = [
        "apigw-v2-post-comment.json",
        "function-url-get-comments.json",
        "apigw-v2-post-bad-json.json",
        "function-url-post-comment-base64.json",
        "apigw-v2-get-embed.json",
    ]
    # -S: no site-packages, so only the artifact's own dependencies can be imported.
    try:
        result = subprocess.run(
            [artifact_python[0], "-S", "-c", RUN_EVENTS, str(unzipped_artifact)]
            + [str(EVENTS / n) for n in names],
            env=env,
            cwd=unzipped_artifact,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        drop_table(store)
        store.close()
    assert result.returncode == 0, result.stderr
    ran = json.loads(result.stdout)
    assert ran["python"].startswith(artifact_python[1] + ".")
    answers = ran["answers"]
    assert [status for status, _ in answers] == [201, 200, 400, 201, 200]
    assert json.loads(answers[1][1])["thread"]["count"] == 1
    assert "JKB" in answers[1][1]
    # The artifact carries the widget's brotli twin, and serves it.
    twin = unzipped_artifact / "backend" / "static" / "embed.js.br"
    assert answers[4][1] == f"br: {len(twin.read_bytes())} bytes"


def test_artifact_ships_the_models_of_the_services_parley_calls(
    unzipped_artifact: Path, artifact_python: tuple[str, str]
) -> None:
    # botocore's other ~450 service models are left out (size, and cold start: botocore lists
    # their folders when it loads a model); every client the code makes must still build.
    probe = (
        "import json, botocore.session as s; session = s.get_session();"
        "[session.create_client(n, region_name='us-east-1')"
        " for n in ('dynamodb', 'ssm', 'sesv2', 'lambda')];"
        "print(json.dumps(session.get_available_services()))"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(unzipped_artifact)}
    result = subprocess.run(
        [artifact_python[0], "-S", "-c", probe], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["dynamodb", "lambda", "sesv2", "ssm"]
    called = {
        name
        for path in (ROOT / "backend").rglob("*.py")
        for name in re.findall(r'create_client\(\s*"([a-z0-9-]+)"', path.read_text())
    }
    assert called <= {"dynamodb", "sesv2", "ssm", "lambda"}, (
        f"add to build_lambda.BOTOCORE_SERVICES: {called}"
    )


def test_import_makes_no_network_call() -> None:
    # Init phase with the keys given directly: settings, DynamoDB client and app are built
    # without a single request (no DescribeTable, no credential lookup over the network).
    prefix = offline_prefix()
    assert prefix, "unshare -n is needed to prove it"
    env = {
        **lambda_environment(),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "PARLEY_SECRET_KEYS": "offline-key-0123456789abcdef",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    code = "import backend.lambda_handler as h; print(type(h.handler).__name__)"
    result = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Mangum"
