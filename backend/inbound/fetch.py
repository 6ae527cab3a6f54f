"""The one place Parley fetches a URL that someone else supplied (a Webmention's source, a
fediverse post and its replies): under an SSRF guard, run by the worker, never in a request.

- Public addresses only (addresses.py), unless the site's `fetch_private_addresses` allows
  others (tests and local stand-ins on 127.0.0.1).
- The name is resolved once per hop, every address it resolves to is checked, and the
  connection goes to the checked address (the URL's host is replaced by it; the Host header
  and TLS's server name keep the name): a resolver that answers public, then private (DNS
  rebinding), is never asked twice.
- Redirects are followed by hand, at most `max_redirects`, each one resolved and checked
  again; only http and https, no credentials in URLs.
- Bounded: `max_bytes` of body (a declared length over it is refused before reading), a
  deadline for the whole fetch, each read bounded too (a slow drip stops at the deadline).
- Only text/html and JSON bodies are read; anything else is refused.
- No proxy from the environment (a proxy would resolve the name again, unchecked).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from backend.inbound import addresses

if TYPE_CHECKING:
    import httpx

REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
MAX_BYTES: Final = 1024 * 1024
DEADLINE_S: Final = 10.0
MAX_REDIRECTS: Final = 5
HTML: Final = "text/html"
JSON_TYPES: Final = ("application/json", "application/activity+json", "application/ld+json")
USER_AGENT: Final = "Parley (Webmention and reply fetcher; +https://www.w3.org/TR/webmention/)"

Resolver = Callable[[str, int], Sequence[str]]


class FetchFailed(Exception):
    """The fetch was refused or failed. `retry` says whether trying later could help (a
    timeout, a 5xx); a refused address, type or size will not change by waiting."""

    def __init__(self, problem: str, *, retry: bool = False) -> None:
        super().__init__(problem)
        self.retry = retry


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the final URL, after redirects
    status: int  # 200..299, or a 4xx the caller may care about (404, 410)
    content_type: str  # "text/html" or a JSON type; "" for a 4xx without a readable body
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host`, in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"{host} does not resolve: {exc}", retry=True) from None
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass
class Fetcher:
    allow_private: bool = False
    resolver: Resolver = system_resolver
    transport: httpx.BaseTransport | None = None  # tests: record where a request went
    max_bytes: int = MAX_BYTES
    deadline_s: float = DEADLINE_S
    max_redirects: int = MAX_REDIRECTS
    clock: Callable[[], float] = time.monotonic
    resolved: list[tuple[str, str]] = field(default_factory=list)  # (name, address) asked

    def get(self, url: str, *, accept: str = "text/html, application/json;q=0.9") -> Fetched:
        import httpx

        deadline = self.clock() + self.deadline_s
        timeout = httpx.Timeout(min(5.0, self.deadline_s))
        client = httpx.Client(
            transport=self.transport, trust_env=False, timeout=timeout, follow_redirects=False
        )
        try:
            return self._follow(client, url, accept, deadline)
        finally:
            if self.transport is None:  # an injected transport is its owner's to close
                client.close()

    def _follow(self, client: httpx.Client, url: str, accept: str, deadline: float) -> Fetched:
        import httpx

        current = self._check_url(url)
        for _ in range(self.max_redirects + 1):
            request = self._pinned(client, current, accept)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise FetchFailed(f"{current} timed out", retry=True) from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{current}: {type(exc).__name__}", retry=True) from None
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    current = self._check_url(str(current.join(response.headers["location"])))
                    continue
                return self._read(current, response, deadline)
            finally:
                response.close()
        raise FetchFailed(f"more than {self.max_redirects} redirects from {url}")

    # -- one hop -----------------------------------------------------------------------------

    def _check_url(self, url: str) -> httpx.URL:
        import httpx

        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchFailed(f"not a URL: {url[:200]!r}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise FetchFailed(f"only http and https URLs are fetched, not {url[:200]!r}")
        if parsed.userinfo:
            raise FetchFailed("URLs with credentials are not fetched")
        return parsed

    def _address(self, host: str, port: int) -> str:
        literal = addresses.parse(host)
        if literal is not None:
            found = [str(literal)]
        else:
            found = list(self.resolver(host, port))
            if not found:
                raise FetchFailed(f"{host} has no address", retry=True)
        for text in found:
            address = addresses.parse(text)
            if address is None:
                raise FetchFailed(f"{host} resolved to something that is not an address")
            why = addresses.why_refused(address)
            if why is not None and not self.allow_private:
                raise FetchFailed(f"{host} is {why}: only public addresses are fetched")
        self.resolved.append((host, found[0]))
        return found[0]

    def _pinned(self, client: httpx.Client, url: httpx.URL, accept: str) -> httpx.Request:
        """The request to `url`, sent to the one address just checked."""
        port = url.port or (443 if url.scheme == "https" else 80)
        address = self._address(url.host, port)
        host_header = url.netloc.decode("ascii")
        extensions: dict[str, object] = {}
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host  # the certificate is checked against the name
        return client.build_request(
            "GET",
            url.copy_with(host=address),
            headers={
                "Host": host_header,
                "Accept": accept,
                "Accept-Encoding": "identity",
                "User-Agent": USER_AGENT,
            },
            extensions=extensions,
        )

    def _read(self, url: httpx.URL, response: httpx.Response, deadline: float) -> Fetched:
        import httpx

        status = response.status_code
        if status >= 500 or status == 429:
            raise FetchFailed(f"{url} answered {status}", retry=True)
        if status >= 300:
            return Fetched(str(url), status, "", b"")
        media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != HTML and media not in JSON_TYPES and not media.endswith("+json"):
            raise FetchFailed(f"{url} is {media or 'untyped'}: only HTML and JSON are read")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchFailed(f"{url} declares {declared} bytes, over {self.max_bytes}")
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise FetchFailed(f"{url} sent more than {self.max_bytes} bytes")
                if self.clock() > deadline:
                    raise FetchFailed(f"{url} took longer than {self.deadline_s} s", retry=True)
        except httpx.TimeoutException:
            raise FetchFailed(f"{url} timed out", retry=True) from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{url}: {type(exc).__name__}", retry=True) from None
        return Fetched(str(url), status, media, bytes(body))
