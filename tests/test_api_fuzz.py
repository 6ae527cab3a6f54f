"""Property-based fuzzing of every endpoint: the documented ones from openapi.json
(schemathesis), with a valid Origin on every call (so writes get past the Origin check) and a
valid admin token on admin calls (so they get past authorisation), over a thread that already
has comments; and the routes outside the document (the server-rendered thread, the one-click
moderation pages) with hypothesis directly. Whatever is sent, the answer is never a 5xx and is
in the documented error shape."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

import hypothesis
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from starlette.testclient import TestClient

from backend.app import create_app
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, make_settings
from tests.helpers import new_key, proof
from tests.moderation_support import TOKEN, sites

_db = Path(tempfile.mkdtemp(prefix="parley-fuzz-")) / "fuzz.db"
_store = SQLiteStore(_db)
_store.setup()
# blog holds every comment (moderation: all), open publishes; both have admin tokens.
app = create_app(make_settings(f"sqlite:///{_db}", sites()), _store)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
BOUNDED = hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
)


def _seed() -> None:
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        for site in ("open", "blog"):
            for uri in ("/", "/post/"):
                body = {"site": site, "uri": uri, "author": "Ann", "email": "a@b.co",
                        "text": "Seeded *comment*", "key": new_key(),
                        "proof": proof(client, site)}  # fmt: skip
                assert client.post("/api/v1/comments", json=body).status_code in (201, 202)


_seed()


@schema.parametrize()
@BOUNDED
def test_no_server_errors(case: schemathesis.Case) -> None:
    headers = {"Origin": ORIGIN}
    if case.path.startswith("/api/v1/admin/"):
        headers["Authorization"] = f"Bearer {TOKEN}"
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error])


_client = TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN})
_any_text = st.text(st.characters(codec="utf-8"), max_size=300)


@BOUNDED
@hypothesis.given(signed=_any_text, action=_any_text)
def test_moderation_pages_never_fail(signed: str, action: str) -> None:
    path = "/moderate/" + quote(signed, safe="")
    for response in (
        _client.get(path),
        _client.post(path, data={"action": action}),
        _client.post(path, content=action.encode(), headers={"Content-Type": "text/plain"}),
    ):
        assert response.status_code < 500, (signed, response.text)
        if not response.headers["content-type"].startswith("text/html"):
            assert set(response.json()) == {"error"}  # no such route: the JSON error shape


@BOUNDED
@hypothesis.given(
    params=st.dictionaries(
        st.sampled_from(["site", "uri", "sort", "limit", "after", "x"]), _any_text, max_size=5
    )
)
def test_server_rendered_thread_never_fails(params: dict[str, str]) -> None:
    response = _client.get("/api/v1/comments.html", params=params)
    assert response.status_code < 500, (params, response.text)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
