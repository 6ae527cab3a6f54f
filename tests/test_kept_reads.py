"""A kept page of a thread answered in front of Starlette (backend/api/comments.py, `KeptReads`)
is the general path's answer, header for header and byte for byte.

The oracle is the same app with the fast path taken out: both answer the same requests (every
mix of Origin, Accept-Encoding and If-None-Match a reader, a CDN or a crawler sends) from the
same store, and their ASGI messages must be equal, while a spy checks that the fast path
answered each of them itself. The rest pins what the fast path must not change: one stamp
lookup a read, the store's errors, the CDN guard, the sandbox ceiling.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from backend.api import comments
from backend.api.comments import KeptReads
from backend.app import create_app
from backend.domain.ceiling import SandboxCeiling
from backend.domain.errors import StoreUnavailable
from backend.settings import Settings
from backend.store.base import Store
from tests.conftest import ORIGIN, Clock, make_settings
from tests.helpers import post

QUERY = b"site=blog&uri=/post/"
Message = dict[str, Any]
RawHeaders = list[tuple[bytes, bytes]]

ORIGINS = [None, ORIGIN, "http://127.0.0.1:8080", "http://evil.test", ""]
ENCODINGS = [None, "gzip", "gzip;q=0", "br, *", "identity", "deflate, gzip;q=0.5"]


def matches(etag: str) -> list[str | None]:
    return [None, etag, f"W/{etag}", '"other"', f'"other", {etag}', "*", f"x{etag}"]


def general(app: Starlette) -> Starlette:
    """The same app without its fast path: the oracle."""
    app.user_middleware = [m for m in app.user_middleware if m.cls is not KeptReads]
    app.middleware_stack = None
    return app


def passed_on(app: Starlette) -> list[bytes]:
    """Spy on the requests the fast path hands to the general path (their query strings)."""
    layer: Any = app.middleware_stack
    assert layer is not None, "call the app once first"
    while not isinstance(layer, KeptReads):
        layer = layer.app
    inner, seen = layer.app, []

    async def recorder(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["query_string"])
        await inner(scope, receive, send)

    layer.app = recorder
    return seen


async def call(
    app: Starlette, headers: RawHeaders, query: bytes = QUERY, method: str = "GET"
) -> list[Message]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": "/api/v1/comments", "raw_path": b"/api/v1/comments",
        "root_path": "", "query_string": query, "headers": headers,
        "client": ("203.0.113.9", 50000), "server": ("api.test", 80),
    }  # fmt: skip
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def request_headers(**named: str | None) -> RawHeaders:
    raw = [(b"host", b"api.test")]
    raw += [(k.replace("_", "-").encode(), v.encode()) for k, v in named.items() if v is not None]
    return raw


@pytest.fixture
def apps(settings: Settings, store: Store, clock: Clock) -> Iterator[tuple[Starlette, Starlette]]:
    yield (
        create_app(settings, store, clock=clock),
        general(create_app(settings, store, clock=clock)),
    )


def seed(fast: Starlette, texts: list[str]) -> None:
    client = TestClient(fast, base_url="http://api.test", headers={"Origin": ORIGIN})
    for text in texts:
        post(client, text=text)


def etag_of(messages: list[Message]) -> str:
    found = dict(messages[0]["headers"])[b"etag"].decode()
    return found.removeprefix("W/")


@pytest.mark.parametrize("size", ["small", "large"])  # below and above gzip's 1,024 B
def test_a_kept_read_is_the_general_paths_answer(
    apps: tuple[Starlette, Starlette], size: str
) -> None:
    fast, oracle = apps
    seed(fast, ["hi"] if size == "small" else [f"comment {i} " * 30 for i in range(8)])

    async def compare() -> None:
        for app in (fast, oracle):  # each keeps the page; the fast app remembers the query
            await call(app, request_headers())
        seen = passed_on(fast)
        etag = etag_of(await call(fast, request_headers()))
        for origin, encoding, match in itertools.product(ORIGINS, ENCODINGS, matches(etag)):
            headers = request_headers(origin=origin, accept_encoding=encoding)
            headers += request_headers(if_none_match=match)[1:]
            want, got = await call(oracle, headers), await call(fast, headers)
            assert got == want, (origin, encoding, match)
        assert seen == [], "the fast path passed kept reads on"

    asyncio.run(compare())


def test_the_loaders_check_is_the_general_paths_answer(
    apps: tuple[Starlette, Starlette], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader's check of a thread built into the page (`built`): unchanged, the empty 204
    is answered by the fast path; changed, the first page is the general path's; either way
    with one stamp lookup."""
    fast, oracle = apps
    seed(fast, ["hi"])
    client = TestClient(fast, base_url="http://api.test")
    built = client.get("/api/v1/comments.html?" + QUERY.decode()).headers["etag"]
    check = QUERY + b"&limit=10&sort=oldest&built=" + quote(built.removeprefix("W/")).encode()
    mixes = [
        request_headers(origin=origin, accept_encoding=encoding)
        for origin, encoding in itertools.product(ORIGINS, ENCODINGS)
    ]

    async def compare(status: int) -> list[bytes]:
        for app in (fast, oracle):  # the fast app remembers the query
            await call(app, request_headers(), check)
        seen = passed_on(fast)
        lookups = Lookups(store, monkeypatch)
        for headers in mixes:
            want = await call(oracle, headers, check)
            lookups.calls = 0
            got = await call(fast, headers, check)
            assert got == want, headers
            assert got[0]["status"] == status
            assert lookups.calls == 1
        monkeypatch.undo()
        return seen

    assert asyncio.run(compare(204)) == [], "the fast path passed unchanged checks on"
    seed(oracle, ["changed"])  # the same store, past the fast path's spy
    assert asyncio.run(compare(200)) == [check] * len(mixes)


def test_the_first_of_a_repeated_header_counts_on_both_paths(
    apps: tuple[Starlette, Starlette],
) -> None:
    fast, oracle = apps
    seed(fast, [f"comment {i} " * 30 for i in range(4)])
    twice = [
        (b"origin", b"http://evil.test"), (b"origin", ORIGIN.encode()),
        (b"accept-encoding", b"identity"), (b"accept-encoding", b"gzip"),
        (b"if-none-match", b'"other"'), (b"if-none-match", b"*"),
    ]  # fmt: skip

    async def compare() -> None:
        for app in (fast, oracle):
            await call(app, [])
        seen = passed_on(fast)
        for order in (twice, twice[::-1]):
            assert await call(fast, order) == await call(oracle, order)
        assert seen == []

    asyncio.run(compare())


def test_the_widget_header_follows_the_bundle_on_both_paths(
    apps: tuple[Starlette, Starlette], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, oracle = apps
    seed(fast, ["hi"])

    async def compare() -> None:
        for named in ({}, {"Parley-Widget": "thread.0123456789ab.js"}, {}):
            monkeypatch.setattr(comments, "widget_headers", lambda named=named: dict(named))
            for app in (fast, oracle):
                await call(app, [])
            got = await call(fast, [])
            assert got == await call(oracle, [])
            assert dict(got[0]["headers"]).get(b"parley-widget") == (
                named["Parley-Widget"].encode() if named else None
            )

    asyncio.run(compare())


def test_what_the_fast_path_does_not_answer_goes_on_unchanged(
    apps: tuple[Starlette, Starlette],
) -> None:
    fast, oracle = apps
    seed(fast, ["hi"])
    others = [
        (b"site=blog&uri=/post/&limit=0", "GET"),  # refused, with the fields named
        (b"site=nope&uri=/post/", "GET"),
        (b"site=blog&uri=/post/&site=blog", "GET"),
        (b"site=blog&uri=/elsewhere/", "GET"),
        (QUERY, "HEAD"),
    ]

    async def compare() -> None:
        for query, method in [*others, *others]:  # the second time, queries seen before
            headers = request_headers(origin=ORIGIN, accept_encoding="gzip")
            want = await call(oracle, headers, query, method)
            assert await call(fast, headers, query, method) == want, (query, method)

    asyncio.run(compare())


class Lookups:
    """The store's thread_stamp, counted, and made to fail on demand."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.failing = False
        real = store.thread_stamp

        def counted(site: str, uri: str) -> str | None:
            self.calls += 1
            if self.failing:
                raise StoreUnavailable()
            return real(site, uri)

        monkeypatch.setattr(store, "thread_stamp", counted)


def test_a_stale_page_costs_one_stamp_lookup_not_two(
    apps: tuple[Starlette, Starlette], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = apps
    seed(fast, ["first"])
    client = TestClient(fast, base_url="http://api.test", headers={"Origin": ORIGIN})
    path = "/api/v1/comments?" + QUERY.decode()
    first = client.get(path)
    client.get(path)  # kept from here on
    lookups = Lookups(store, monkeypatch)
    assert client.get(path).content == first.content
    assert lookups.calls == 1
    seed(fast, ["second"])
    lookups.calls = 0
    again = client.get(path)  # the fast path finds the stamp moved; the handler reads on
    assert len(again.json()["comments"]) == 2
    assert lookups.calls == 1


@pytest.mark.parametrize("query", [QUERY, QUERY + b"&limit=10&built=%22built%22"])
def test_a_failing_stamp_lookup_is_the_general_paths_error(
    apps: tuple[Starlette, Starlette], store: Store, monkeypatch: pytest.MonkeyPatch, query: bytes
) -> None:
    fast, oracle = apps
    seed(fast, ["hi"])

    async def compare() -> None:
        for app in (fast, oracle):
            await call(app, [], query)
        lookups = Lookups(store, monkeypatch)
        lookups.failing = True
        headers = request_headers(origin=ORIGIN, accept_encoding="gzip")
        want = await call(oracle, headers, query)
        lookups.calls = 0
        got = await call(fast, headers, query)
        assert want[0]["status"] == 503
        assert got == want
        assert lookups.calls == 1  # asked once, raised where the handler would have met it

    asyncio.run(compare())


SECRET = "cdn-secret-0123456789abcdef"


@pytest.mark.parametrize("query", [QUERY, QUERY + b"&limit=10&built=%22built%22"])
def test_behind_a_cdn_the_guard_still_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: bytes
) -> None:
    from backend.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    url = f"sqlite:///{tmp_path / 'parley.db'}"
    settings = make_settings(url, PARLEY_CDN_SECRET=SECRET)
    fast = create_app(settings, store, clock=Clock())
    oracle = general(create_app(settings, store, clock=Clock()))
    with TestClient(fast, headers={"Origin": ORIGIN, "X-Parley-Cdn-Secret": SECRET}) as client:
        post(client, text="hi")

    async def compare() -> None:
        through = [(b"x-parley-cdn-secret", SECRET.encode())]
        for app in (fast, oracle):
            await call(app, through, query)
        seen = passed_on(fast)
        lookups = Lookups(store, monkeypatch)
        for secret in (SECRET, "wrong-secret-0123456789", None):
            headers = request_headers(origin=ORIGIN, x_parley_cdn_secret=secret)
            lookups.calls = 0
            got = await call(fast, headers, query)
            assert got == await call(oracle, headers, query), secret
            assert got[0]["status"] == (200 if secret == SECRET else 403)
            assert lookups.calls == (2 if secret == SECRET else 0)  # one a path
        # The two refused ones; a changed check (a tag built nowhere) goes on as well.
        assert len(seen) == (2 if query == QUERY else 3)

    asyncio.run(compare())
    store.close()


def test_kept_reads_count_against_the_sandbox_ceiling(tmp_path: Path) -> None:
    from backend.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "parley.db")
    store.setup()
    ceiling = SandboxCeiling(requests_per_s=20, bytes_per_s=10**9, network_requests_per_s=1)
    settings = dataclasses.replace(
        make_settings(f"sqlite:///{tmp_path / 'parley.db'}"), ceiling=ceiling
    )
    app = create_app(settings, store)
    names = [m.cls.__name__ for m in app.user_middleware]
    assert names[:2] == ["CeilingGuard", "KeptReads"]
    guard = app.user_middleware[0]
    guard.kwargs["clock"] = lambda: 100.0  # time stands still: only the budget moves

    async def sleep(seconds: float) -> None:
        pass

    guard.kwargs["sleep"] = sleep
    path = "/api/v1/comments?" + QUERY.decode()
    with TestClient(app, base_url="http://api.test", headers={"Origin": ORIGIN}) as client:
        statuses = [client.get(path).status_code]
        seen = passed_on(app)
        statuses += [client.get(path).status_code for _ in range(19)]
    # One network's share (1 a second, 10 at once) is answered, kept reads included, and
    # the rest are refused before any route: the fast path answered none of those either.
    assert statuses == [200] * 10 + [429] * 10
    assert seen == []
    store.close()
