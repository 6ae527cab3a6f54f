"""Issue 11, items 1-3 and the text half of 8: one rule for all reader text, and a JSON reader
bounded in depth. Every refusal is a 422 (400 for the JSON itself) naming the field, before
anything is counted or stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from backend.app import create_app
from backend.domain.text import clean, problem, visible
from backend.store.sqlite import SQLiteStore
from tests.conftest import ORIGIN, make_settings
from tests.helpers import atom, error_of, new_key, post, read

GOOD: dict[str, Any] = {
    "site": "blog", "uri": "/p/", "title": "A post", "author": "Ann", "email": "a@b.co",
    "website": "https://ann.example", "text": "hello",
}  # fmt: skip
JSON = {"Content-Type": "application/json"}

# (character, the fields that refuse it). Every one of these is refused in every field.
REFUSED_EVERYWHERE = [
    "\ud800",  # lone high surrogate: item 1, used to be a 500 from SQLite
    "\udfff",  # lone low surrogate
    "\ufffe",  # non-characters: item 3, used to break the Atom feed
    "\uffff",
    "\ufdd0",
    "\U0001fffe",
    "\U0010ffff",
    "\x00",
    "\x07",
    "\x1b",  # ESC: terminal escapes in an admin's log or CLI
    "\x7f",
    "\x85",  # NEL
    "\x9b",  # C1 CSI
    "\u202e",  # right-to-left override
    "\u202a",  # left-to-right embedding
    "\u2066",  # left-to-right isolate
    "\u2069",  # pop directional isolate
]
REFUSED_IN_ONE_LINE = ["\n", "\r", "\t", "\u2028", "\u2029"]
TEXT_FIELDS = ["author", "title", "text", "email", "website", "uri"]


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app over one SQLite file for the big matrices: the rule sits at the API's edge,
    before any store; the store-parametrized tests below cover both stores."""
    path: Path = tmp_path_factory.mktemp("edge") / "parley.db"
    store = SQLiteStore(path)
    store.setup()
    app = create_app(make_settings(f"sqlite:///{path}"), store)
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        yield client
    store.close()


def raw_post(client: TestClient, body: dict[str, Any]) -> Any:
    """Post with JSON escapes kept as escapes (\\ud800 is valid JSON, not valid UTF-8)."""
    return client.post("/api/v1/comments", content=json.dumps(body).encode(), headers=JSON)


def placed(field: str, char: str) -> str:
    """A value for `field` that is fine except for `char`."""
    return {
        "author": f"An{char}n",
        "title": f"A {char} post",
        "text": f"hello {char} there",
        "email": f"a{char}@b.co",
        "website": f"https://ann.example/a{char}b",
        "uri": f"/p{char}/",
    }[field]


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("char", REFUSED_EVERYWHERE, ids=lambda c: f"U+{ord(c):04X}")
def test_refused_everywhere(edge: TestClient, field: str, char: str) -> None:
    response = raw_post(edge, {**GOOD, "key": new_key(), field: placed(field, char)})
    assert response.status_code == 422, response.text
    assert field in error_of(response)["fields"]


@pytest.mark.parametrize("field", ["author", "title"])
@pytest.mark.parametrize("char", REFUSED_IN_ONE_LINE, ids=lambda c: f"U+{ord(c):04X}")
def test_one_line_fields(edge: TestClient, field: str, char: str) -> None:
    response = raw_post(edge, {**GOOD, "key": new_key(), field: placed(field, char)})
    assert response.status_code == 422, response.text
    assert field in error_of(response)["fields"]


def test_refused_text_is_not_counted_against_the_rate_limit(client: TestClient) -> None:
    # Site "slow" allows 3 writes a minute: ten refused posts leave all three.
    for _ in range(10):
        bad = {**GOOD, "site": "slow", "key": new_key(), "text": "x\ud800"}
        assert raw_post(client, bad).status_code == 422
    for _ in range(3):
        post(client, site="slow", uri="/p/")


@pytest.mark.parametrize(
    "name",
    [
        "\u200b",
        "\u200b\u200c\u200d",
        "\u2060\ufeff",
        "\u3164",
        "\u2800\u2800",
        " \u00ad ",
        "\u034f",
    ],
)
def test_names_must_show_something(edge: TestClient, name: str) -> None:
    response = raw_post(edge, {**GOOD, "key": new_key(), "author": name})
    assert response.status_code == 422, response.text
    assert "author" in error_of(response)["fields"]


@pytest.mark.parametrize(
    "text", ["***", "** **", "---", "* ", "1.", "[](https://x.example)", "> ", "```\n```", "\u200b"]
)
def test_text_that_renders_empty(edge: TestClient, text: str) -> None:
    response = raw_post(edge, {**GOOD, "key": new_key(), "text": text})
    assert response.status_code == 422, response.text
    assert "text" in error_of(response)["fields"]


def test_edit_to_text_that_renders_empty_or_hostile(client: TestClient) -> None:
    posted = post(client, uri="/p/")
    url = f"/api/v1/comments/{posted['comment']['id']}"
    auth = {"Authorization": f"Bearer {posted['token']}", **JSON}
    for text in ("***", "a\ud800", "\u202eevil", "a\uffff"):
        body = json.dumps({"site": "blog", "uri": "/p/", "text": text}).encode()
        response = client.patch(url, content=body, headers=auth)
        assert response.status_code == 422, response.text
        assert "text" in error_of(response)["fields"]


@pytest.mark.parametrize(
    "name",
    ["José", "Zoë Ä", "李小龙", "محمد", "עִבְרִית", "👩‍👩‍👧", "🏳️‍🌈", "A\u200dB", "Ω≈ç√", "O'Brien <3"],
)
def test_real_names_and_scripts_are_kept(edge: TestClient, name: str) -> None:
    text = f"{name} wrote\u2028across\r\nlines\ttabbed"
    posted = post(edge, uri="/names/", author=name, text=text)
    assert posted["comment"]["author"] == name
    shown = next(c for c in read(edge, "/names/")["comments"] if c["id"] == posted["comment"]["id"])
    assert shown["author"] == name
    assert "across" in shown["html"] and "\u2028" not in shown["html"]


def test_feed_stays_valid(client: TestClient) -> None:
    post(client, uri="/feed/", author="Ann \U0001f600", text="fine \u00e9 text")
    for params in ({"site": "blog"}, {"site": "blog", "uri": "/feed/"}):
        feed = atom(client.get("/api/v1/feed.atom", params=params))  # fails on a control
        assert [e.author for e in feed.entries] == ["Ann \U0001f600"]


# -- the JSON reader ------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [17, 100, 5000, 100_000])
@pytest.mark.parametrize(
    "path", ["/api/v1/comments", "/api/v1/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/likes"]
)
def test_deep_json_is_a_400(edge: TestClient, depth: int, path: str) -> None:
    body = b'{"a":' * depth + b"1" + b"}" * depth
    if len(body) > 32_000:
        body = b"[" * depth  # the unclosed flavour stays under the body limit
    response = edge.post(path, content=body[:32_000], headers=JSON)
    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == "bad_request"


def test_deep_json_on_admin_and_patch(client: TestClient) -> None:
    body = b"[" * 5000 + b"]" * 5000
    for response in (
        client.patch("/api/v1/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV", content=body, headers=JSON),
        client.post("/api/v1/admin/threads/lock", content=body, headers=JSON),
        client.post("/api/v1/admin/erase", content=body, headers=JSON),
    ):
        assert response.status_code in (400, 401), response.text
        error_of(response)


def test_brackets_inside_strings_do_not_count(client: TestClient) -> None:
    text = '[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{ \\" [[[['
    posted = post(client, text=text)
    assert posted["comment"]["html"]


def test_gzip_body_is_a_415(client: TestClient) -> None:
    import gzip

    body = gzip.compress(json.dumps({**GOOD, "key": new_key()}).encode())
    response = client.post(
        "/api/v1/comments", content=body, headers={**JSON, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 415, response.text
    assert error_of(response)["code"] == "unsupported_media_type"


# -- the rule itself ------------------------------------------------------------------------------


def test_rule_units() -> None:
    assert problem("fine") is None
    assert problem("a\nb", multiline=True) is None
    assert problem("a\nb") == "must be a single line"
    assert "surrogate" in (problem("\udbff") or "")
    assert "U+FFFF" in (problem("\uffff") or "")
    assert "U+0085" in (problem("a\x85") or "")
    assert clean("a\r\nb\rc\u2028d\u2029e", multiline=True) == "a\nb\nc\nd\ne"
    assert not visible("\u200b\u200d\ufe0f \u3164")
    assert visible("\u0301a") and visible("\U0001f600")
    with pytest.raises(ValueError):
        clean("\u200b", required=True)
