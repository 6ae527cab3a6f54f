"""The widget's answers: the loader (GET /embed.js) and the thread bundle (GET
/widget/thread.<hash>.js). Brotli to clients that accept it (the build's twin), gzip to the
others, and a 304 when a browser revalidates the loader, so a reader's return after its five
minutes of max-age costs headers rather than the script again (bench/RESULTS.md, cost); the
bundle, named by its content, is cached for a year and never revalidated."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.api import meta
from backend.app import create_app
from backend.store.sqlite import SQLiteStore
from tests.conftest import make_settings

BROWSER = "gzip, deflate, br"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'parley.db'}"), store)
    with TestClient(app, base_url="http://api.test") as test_client:
        yield test_client
    store.close()


@pytest.fixture
def static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A static directory of our own holding a copy of the built widget and its twins."""
    folder = tmp_path / "static"
    (folder / "widget").mkdir(parents=True)
    bundle = json.loads((meta.STATIC / "widget.json").read_text())["bundle"]
    for name in (
        "embed.js",
        "embed.js.br",
        "widget.json",
        f"widget/{bundle}",
        f"widget/{bundle}.br",
    ):
        shutil.copy2(meta.STATIC / name, folder / name)
    monkeypatch.setattr(meta, "STATIC", folder)
    monkeypatch.setattr(meta, "_named", [])  # the header's once-a-second memo
    return folder


def get(client: TestClient, path: str = "/embed.js", **headers: str) -> tuple[Any, bytes]:
    """The answer and its body exactly as sent (httpx would otherwise undo the coding)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def unbrotli(data: bytes) -> bytes:
    node = shutil.which("node")
    assert node is not None, "node is part of `make setup`"
    script = (
        "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    )
    return subprocess.run([node, "-e", script], input=data, capture_output=True, check=True).stdout


def test_brotli_gzip_or_plain_as_the_client_accepts(client: TestClient, static: Path) -> None:
    plain = (static / "embed.js").read_bytes()
    answer, body = get(client, **{"accept-encoding": BROWSER})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "br"
    assert body == (static / "embed.js.br").read_bytes() and unbrotli(body) == plain
    assert len(body) < len(gzip.compress(plain, compresslevel=9))
    assert "accept-encoding" in answer.headers["vary"].lower()

    answer, body = get(client, **{"accept-encoding": "gzip, br;q=0"})
    assert answer.headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    answer, body = get(client, **{"accept-encoding": "identity"})
    assert "content-encoding" not in answer.headers and body == plain
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("accept", [BROWSER, "gzip", ""])
def test_a_revalidation_is_a_304_without_the_script(
    client: TestClient, static: Path, accept: str
) -> None:
    first, _ = get(client, **{"accept-encoding": accept})
    etag = first.headers["etag"]
    again, body = get(client, **{"accept-encoding": accept, "if-none-match": etag})
    assert again.status_code == 304 and body == b""
    assert again.headers["cache-control"] == "public, max-age=300"
    assert again.headers["etag"].removeprefix("W/") == etag.removeprefix("W/")
    # Another coding's tag is another representation: the script is sent.
    other, body = get(client, **{"accept-encoding": accept, "if-none-match": '"elsewhere"'})
    assert other.status_code == 200 and body


def test_a_rebuilt_widget_is_served_and_a_stale_twin_never(
    client: TestClient, static: Path
) -> None:
    first, _ = get(client, **{"accept-encoding": BROWSER})
    script = static / "embed.js"
    script.write_bytes(script.read_bytes() + b"\n/* rebuilt */")
    later = os.stat(static / "embed.js.br").st_mtime_ns + 1_000_000_000
    os.utime(script, ns=(later, later))  # the twin is now older than the script
    answer, body = get(
        client, **{"accept-encoding": BROWSER, "if-none-match": first.headers["etag"]}
    )
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body).endswith(b"/* rebuilt */")


def test_no_widget_built_is_a_clear_404(client: TestClient, static: Path) -> None:
    (static / "embed.js").unlink()
    answer = client.get("/embed.js")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def bundle_of(static: Path) -> str:
    return str(json.loads((static / "widget.json").read_text())["bundle"])


def test_the_bundle_is_immutable_for_a_year_in_either_coding(
    client: TestClient, static: Path
) -> None:
    name = bundle_of(static)
    plain = (static / "widget" / name).read_bytes()
    answer, body = get(client, f"/widget/{name}", **{"accept-encoding": BROWSER})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "br"
    assert unbrotli(body) == plain
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["content-type"].startswith("text/javascript")
    answer, body = get(client, f"/widget/{name}", **{"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The loader is the short-lived one, and names this bundle.
    loader, _ = get(client, **{"accept-encoding": "identity"})
    assert loader.headers["cache-control"] == "public, max-age=300"
    assert name.encode() in (static / "embed.js").read_bytes()


def test_an_older_bundles_name_is_sent_on_to_the_current_one(
    client: TestClient, static: Path
) -> None:
    name = bundle_of(static)
    answer = client.get("/widget/thread.0123456789ab.js", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == name
    assert answer.headers["cache-control"] == "no-store"
    final = client.get("/widget/thread.0123456789ab.js")
    assert final.status_code == 200 and final.content == (static / "widget" / name).read_bytes()
    for bad in ("/widget/thread.x.js", "/widget/thread.0123456789AB.js"):
        wrong = client.get(bad, follow_redirects=False)
        assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
    # The languages beside it are still the static files.
    assert client.get("/widget/nope.js").status_code == 404


def test_the_page_views_answers_name_the_apis_bundle(client: TestClient, static: Path) -> None:
    name = bundle_of(static)
    origin = {"origin": "http://127.0.0.1:9"}
    for path in ("/api/v1/counts?site=blog&uri=/a/", "/api/v1/comments?site=blog&uri=/a/"):
        answer = client.get(path, headers=origin)
        assert answer.status_code == 200, answer.text
        assert answer.headers["parley-widget"] == name
        exposed = answer.headers.get("access-control-expose-headers", "")
        assert "Parley-Widget" in exposed, (path, dict(answer.headers))
        again = client.get(path, headers={**origin, "if-none-match": answer.headers["etag"]})
        assert again.status_code == 304 and again.headers["parley-widget"] == name


def test_no_bundle_built_is_a_clear_404(client: TestClient, static: Path) -> None:
    name = bundle_of(static)
    (static / "widget.json").unlink()
    answer = client.get(f"/widget/{name}")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert "parley-widget" not in client.get("/api/v1/counts?site=blog&uri=/a/").headers


# The language files (GET /widget/<lang>.js) are not named by content: cached briefly like the
# loader, with an ETag of their content (not the zip's fixed date) and a 304 on revalidation.
def test_a_language_file_is_cached_briefly_and_revalidated(
    client: TestClient, static: Path
) -> None:
    (static / "widget" / "de.js").write_bytes(b"self.parleyLang={hi:'Hallo'}" + b" " * 2000)
    for coding in (BROWSER, "identity"):
        answer, _ = get(client, "/widget/de.js", **{"accept-encoding": coding})
        assert answer.status_code == 200, coding
        assert answer.headers["cache-control"] == "public, max-age=300"
        assert answer.headers["content-type"].startswith("text/javascript")
        assert "last-modified" not in answer.headers
        tag = answer.headers["etag"]
        again, again_body = get(client, "/widget/de.js", **{"accept-encoding": coding,
                                                            "if-none-match": tag})  # fmt: skip
        assert again.status_code == 304 and again_body == b"", coding
        assert again.headers["cache-control"] == "public, max-age=300"
    first = get(client, "/widget/de.js")[0].headers["etag"]
    (static / "widget" / "de.js").write_bytes(b"self.parleyLang={hi:'Guten Tag'}" + b" " * 1996)
    assert get(client, "/widget/de.js")[0].headers["etag"] != first  # same size, new tag


def test_an_unknown_language_file_is_a_clear_404(client: TestClient, static: Path) -> None:
    for path in ("/widget/xx.js", "/widget/..%2fembed.js", "/widget/DE_DE.js"):
        answer, body = get(client, path)
        assert answer.status_code == 404, path
        assert json.loads(body)["error"]["code"] == "not_found"


# GET /api/v1/openapi.json: built once a process, gzipped when the client accepts it, cached a
# day and revalidated with a 304: a flood of it is no longer 28 KB per request for nothing.
def test_the_openapi_document_is_compressed_cached_and_revalidated(client: TestClient) -> None:
    plain_answer, plain = get(client, "/api/v1/openapi.json", **{"accept-encoding": "identity"})
    assert plain_answer.status_code == 200 and "content-encoding" not in plain_answer.headers
    document = json.loads(plain)
    assert document["openapi"].startswith("3.")
    answer, body = get(client, "/api/v1/openapi.json", **{"accept-encoding": BROWSER})
    assert answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert len(body) * 4 < len(plain)
    for response in (plain_answer, answer):
        assert response.headers["cache-control"] == "public, max-age=86400"
        assert "accept-encoding" in response.headers["vary"].lower()
        for coding in (BROWSER, "identity"):
            again, again_body = get(client, "/api/v1/openapi.json", **{
                "accept-encoding": coding, "if-none-match": response.headers["etag"]})  # fmt: skip
            assert again.status_code == 304 and again_body == b""
    assert answer.headers["etag"] == "W/" + plain_answer.headers["etag"]
