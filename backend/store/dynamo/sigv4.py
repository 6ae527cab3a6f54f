"""AWS Signature Version 4 for one JSON-protocol request (backend/store/dynamo/wire.py).

The signature botocore's `SigV4Auth` makes for the same request, time and credentials
(tests/test_dynamo_wire.py holds the two side by side): every header sent is signed except the
ones proxies may rewrite, the host always, the body by its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
# What botocore leaves unsigned: a proxy or the HTTP library may change these on the way.
UNSIGNED = frozenset({"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Credentials:
    """An access key, its secret and (for a role's temporary keys, as on Lambda) the session
    token. Never printed: `repr` says only whose key it is. (A plain class: a dataclass costs
    cold start to build, tests/test_coldstart_imports.py.)"""

    __slots__ = ("key_id", "secret", "token")

    def __init__(self, key_id: str, secret: str, token: str | None = None) -> None:
        self.key_id = key_id
        self.secret = secret
        self.token = token

    def __repr__(self) -> str:
        return f"Credentials({self.key_id[:4]}...)"


def host_of(url: str) -> str:
    """The Host header for `url`: its netloc without the scheme's default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """The headers to send: `headers` with X-Amz-Date, X-Amz-Security-Token (temporary keys)
    and Authorization added. `now` is UTC; `url` has no query string (a POST to the root)."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    out = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-amz-date")}
    out["X-Amz-Date"] = stamp
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    signed = {k.lower(): " ".join(v.split()) for k, v in out.items() if k.lower() not in UNSIGNED}
    signed.setdefault("host", host_of(url))
    names = sorted(signed)
    path = quote(urlsplit(url).path or "/", safe="/~")
    canonical = "\n".join(
        [
            method.upper(),
            path,
            "",  # no query string
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{credentials.secret}".encode(), stamp[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out
