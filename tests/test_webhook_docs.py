"""docs/notifications.md's verification snippets, run as written against real deliveries of
Parley's webhook sender: the JavaScript one under node with npm's `standardwebhooks` (the
reference verifier the docs name, in package.json's devDependencies), the Python one with
PyPI's. Only the placeholder secret is replaced. A tampered body and an old delivery are
refused."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import WebhookVerificationError

from backend.notify.webhook import standard_secret
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock
from tests.helpers import post
from tests.notify_support import drain, mail_client, webhook_server
from tests.stores import sqlite_store

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
PLACEHOLDER = "whsec_..."
SECRET = "a-webhook-secret-of-the-blog"


def block(lang: str) -> str:
    """The docs' ```lang block that verifies a delivery, with the real secret in it."""
    after = "Verifying, with the `standardwebhooks` package"
    found = re.search(re.escape(after) + r".*?```" + lang + r"\n(.*?)```", DOC, re.S)
    assert found, lang
    code = found.group(1)
    assert code.count(PLACEHOLDER) == 1, code
    return code.replace(PLACEHOLDER, standard_secret(SECRET))


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[tuple[Store, Any]]:
    with sqlite_store(tmp_path) as pair:
        yield pair


def delivery(sqlite: Any, sent_at: float) -> tuple[bytes, dict[str, str]]:
    """One real delivery (its body bytes and headers as received) of a comment posted at
    `sent_at`, with words that a body's encoding must carry exactly."""
    with webhook_server() as hook:
        blog = {"origins": [ORIGIN], "moderation": "none", "webhook": hook.url, "notify": "all"}
        sites = {"blog": {**blog, "webhook_secret": SECRET}}
        with mail_client(sqlite, Clock(sent_at), sites, None) as client:
            post(client, author="Ann \u200f\U0001f600 ]]>", text='caf\u00e9 "<b>" \\u0000')
            drain(client)
    [raw], [headers] = hook.raw, hook.headers
    return raw, headers


def node_verify(raw: bytes, headers: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The JavaScript snippet as an ES module under node, given the body as a Buffer (`rawBody`)
    and the headers as received (`headers`); it prints what it verified."""
    node = shutil.which("node")
    assert node is not None, "node is part of `make setup`"
    script = (
        f"const rawBody = Buffer.from('{base64.b64encode(raw).decode()}', 'base64')\n"
        f"const headers = {json.dumps(headers)}\n"
        f"{block('js')}"
        "process.stdout.write(JSON.stringify(payload))\n"
    )
    # Run from the repository, whose node_modules holds the package (`npm ci`, `make setup`).
    return subprocess.run(
        [node, "--input-type=module", "-"],
        input=script, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_snippets_verify_a_real_delivery(sqlite: Any) -> None:
    raw, headers = delivery(sqlite, time.time())  # verifiers check the time against their clock
    node = node_verify(raw, headers)
    assert node.returncode == 0, node.stderr
    assert json.loads(node.stdout) == json.loads(raw)
    assert json.loads(raw)["parley"]["comment"]["author"] == "Ann \u200f\U0001f600 ]]>"

    scope = {"request_body_bytes": raw, "request_headers": headers}
    exec(block("python"), scope)  # the docs' own Python, run as written
    assert scope["payload"] == json.loads(raw)


def test_the_snippets_refuse_a_tampered_body(sqlite: Any) -> None:
    raw, headers = delivery(sqlite, time.time())
    tampered = raw.replace(b'"blog"', b'"blug"')
    assert tampered != raw
    node = node_verify(tampered, headers)
    assert node.returncode != 0
    assert "Error: No matching signature found\n" in node.stderr, node.stderr

    scope = {"request_body_bytes": tampered, "request_headers": headers}
    with pytest.raises(WebhookVerificationError, match="No matching signature found"):
        exec(block("python"), scope)


def test_the_snippets_refuse_a_delivery_replayed_later(sqlite: Any) -> None:
    raw, headers = delivery(sqlite, time.time() - 600)  # captured ten minutes ago
    node = node_verify(raw, headers)
    assert node.returncode != 0
    assert "Error: Message timestamp too old\n" in node.stderr, node.stderr

    scope = {"request_body_bytes": raw, "request_headers": headers}
    with pytest.raises(WebhookVerificationError, match="too old"):
        exec(block("python"), scope)
