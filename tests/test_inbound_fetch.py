"""The SSRF guard of the inbound fetcher (backend/inbound/fetch.py): which addresses it
connects to, that it resolves once and connects to what it checked, redirects re-checked,
size, time and type bounds. Servers are stand-ins on 127.0.0.1 (tests/standins.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.inbound import addresses
from backend.inbound.fetch import Fetcher, FetchFailed
from tests.servers import serve
from tests.standins import MB, PUBLIC, Relay, StandIn

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "169.254.169.254",  # the cloud's metadata service
    "224.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.2.1",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:7f00:1",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
]
ALLOWED = [
    "93.184.216.34",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "64:ff9b::5db8:d822",
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_addresses(text: str) -> None:
    address = addresses.parse(text)
    assert address is not None
    assert addresses.why_refused(address) is not None


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses(text: str) -> None:
    address = addresses.parse(text)
    assert address is not None
    assert addresses.why_refused(address) is None


@pytest.fixture(scope="module")
def standin() -> Iterator[tuple[StandIn, str]]:
    s = StandIn()
    s.pages["/post"] = (200, "<html><body><a href='https://blog.example/x'>x</a></body></html>")
    with serve(s.app()) as base:
        yield s, base


def test_loopback_server_refused_unless_the_site_allows_it(standin: tuple[StandIn, str]) -> None:
    _, base = standin
    with pytest.raises(FetchFailed, match="loopback") as refused:
        Fetcher().get(base + "/post")
    assert not refused.value.retry
    fetched = Fetcher(allow_private=True).get(base + "/post")
    assert fetched.status == 200 and fetched.content_type == "text/html"
    assert b"blog.example" in fetched.body


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/",
        "http://017700000001/",
    ],
)
def test_literal_and_odd_spellings_never_connect(url: str) -> None:
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, text="<p>", headers={"content-type": "text/html"})

    def resolver(host: str, port: int) -> list[str]:
        # Odd numeric spellings are names to httpx; the system resolver reads them as IPv4.
        import socket

        return [socket.gethostbyname(host)]

    with pytest.raises(FetchFailed):
        Fetcher(transport=httpx.MockTransport(record), resolver=resolver).get(url)
    assert sent == []


def test_names_resolving_to_private_addresses_are_refused() -> None:
    for answer in (["10.1.2.3"], ["fd00::5"], [PUBLIC, "127.0.0.1"], ["::ffff:10.0.0.1"]):
        fetcher = Fetcher(
            resolver=lambda host, port, a=answer: a,
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )
        with pytest.raises(FetchFailed, match="only public addresses"):
            fetcher.get("http://blog.example/post")


def test_dns_rebinding_resolves_once_and_connects_to_what_was_checked() -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    sent: list[tuple[str, str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.host, request.headers["host"], request.extensions))
        return httpx.Response(200, text="<p>hi</p>", headers={"content-type": "text/html"})

    fetched = Fetcher(resolver=rebinding, transport=httpx.MockTransport(record)).get(
        "https://blog.example/post"
    )
    assert fetched.body == b"<p>hi</p>"
    assert asked == ["blog.example"]  # once: the second (private) answer is never asked for
    assert [(h, host) for h, host, _ in sent] == [(PUBLIC, "blog.example")]
    assert sent[0][2]["sni_hostname"] == "blog.example"  # TLS still checks the name


def test_a_public_source_redirecting_to_loopback_or_metadata_is_stopped(
    standin: tuple[StandIn, str],
) -> None:
    s, base = standin
    relay = Relay(base)
    fetcher = Fetcher(resolver=lambda host, port: [PUBLIC], transport=relay)  # type: ignore[arg-type]
    assert fetcher.get("http://blog.example/post").status == 200  # the relay works
    with pytest.raises(FetchFailed, match="loopback"):
        fetcher.get("http://blog.example/hostile/to-loopback")
    with pytest.raises(FetchFailed, match="link-local"):
        fetcher.get("http://blog.example/hostile/to-metadata")
    assert "/secret" not in s.hits
    assert set(relay.sent) == {PUBLIC}


def test_redirects_are_limited(standin: tuple[StandIn, str]) -> None:
    _, base = standin
    with pytest.raises(FetchFailed, match="redirects"):
        Fetcher(allow_private=True).get(base + "/hostile/loop")


def test_only_http_urls_without_credentials() -> None:
    for url in (
        "file:///etc/passwd",
        "ftp://blog.example/",
        "gopher://x/",
        "http://u:p@a.example/",
        "nope",
    ):
        with pytest.raises(FetchFailed):
            Fetcher(resolver=lambda h, p: [PUBLIC]).get(url)


def test_a_50_mb_body_is_cut_at_the_limit(standin: tuple[StandIn, str]) -> None:
    _, base = standin
    fetcher = Fetcher(allow_private=True)
    with pytest.raises(FetchFailed, match="more than"):
        fetcher.get(base + "/hostile/huge")
    with pytest.raises(FetchFailed, match=f"declares {50 * MB}"):
        fetcher.get(base + "/hostile/huge-declared")


def test_a_slow_drip_stops_at_the_deadline(standin: tuple[StandIn, str]) -> None:
    _, base = standin
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="longer than") as failed:
        Fetcher(allow_private=True, deadline_s=1.0).get(base + "/hostile/drip")
    assert failed.value.retry
    assert time.monotonic() - started < 20  # the drip alone would take 30 s


def test_only_html_and_json_are_read(standin: tuple[StandIn, str]) -> None:
    _, base = standin
    with pytest.raises(FetchFailed, match="image/png"):
        Fetcher(allow_private=True).get(base + "/hostile/image")
    fetched = Fetcher(allow_private=True).get(base + "/api/v1/statuses/1/context")
    assert fetched.status == 404  # a 4xx is the caller's to judge (410 removes a mention)


def test_no_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, standin: tuple[StandIn, str]
) -> None:
    _, base = standin
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    assert Fetcher(allow_private=True, deadline_s=3).get(base + "/post").status == 200
