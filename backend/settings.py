"""Typed configuration, read once from the PARLEY_* environment at start (cold start).

Bad configuration fails here, with a message that names the variable, rather than on the
first request.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from backend.domain.ceiling import SandboxCeiling
from backend.sites import DEMO_SITE, EMAIL, Moderation, SiteConfig, SiteProblems

# SiteConfig, Moderation and DEMO_SITE live in backend/sites.py; callers import them from here.
__all__ = [
    "DEMO_SITE",
    "ConfigError",
    "MailURL",
    "Moderation",
    "Settings",
    "SiteConfig",
    "StoreURL",
]


class ConfigError(Exception):
    """Configuration that Parley refuses to start with."""


_SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class StoreURL:
    """PARLEY_STORE, parsed: a SQLite file or a DynamoDB table."""

    scheme: str  # "sqlite" or "dynamodb"
    path: str = ""  # sqlite: the database file
    table: str = ""
    region: str = ""
    endpoint: str | None = None

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy spells them.
            path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
            if not path:
                raise ConfigError(f"PARLEY_STORE={url!r}: write sqlite:///path/to/parley.db")
            return cls("sqlite", path=path)
        if parts.scheme == "dynamodb":
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            table = parts.netloc or parts.path.lstrip("/")
            region = query.get("region") or os.environ.get("AWS_REGION", "")
            if not table or not region:
                raise ConfigError(
                    f"PARLEY_STORE={url!r}: write dynamodb://TABLE?region=REGION[&endpoint=URL]"
                )
            return cls("dynamodb", table=table, region=region, endpoint=query.get("endpoint"))
        raise ConfigError(
            f"PARLEY_STORE={url!r}: unknown store; use sqlite:///path or dynamodb://TABLE?region=.."
        )


class MailTLS(StrEnum):
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


@dataclass(frozen=True)
class MailURL:
    """PARLEY_MAIL: `smtp://[user:pass@]host[:port][?tls=starttls|implicit|none]` or
    `ses://REGION`."""

    scheme: str  # "smtp" or "ses"
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    tls: MailTLS = MailTLS.STARTTLS
    region: str = ""

    @classmethod
    def parse(cls, url: str) -> MailURL:
        from urllib.parse import unquote

        hint = "write smtp://[user:pass@]host[:port][?tls=starttls|implicit|none] or ses://REGION"
        parts = urlsplit(url)
        if parts.scheme == "ses":
            region = parts.netloc or parts.path.strip("/")
            if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
                raise ConfigError(f"PARLEY_MAIL: {region!r} is not an AWS region; {hint}")
            return cls("ses", region=region)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ConfigError(f"PARLEY_MAIL: unknown mail URL; {hint}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            tls = MailTLS(query.get("tls", "starttls"))
            port = parts.port
        except ValueError:
            raise ConfigError(f"PARLEY_MAIL: bad tls or port; {hint}") from None
        default_port = {MailTLS.IMPLICIT: 465, MailTLS.STARTTLS: 587, MailTLS.NONE: 25}[tls]
        return cls(
            "smtp",
            host=parts.hostname,
            port=port or default_port,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            tls=tls,
        )


@dataclass(frozen=True)
class Settings:
    """Everything Parley reads from its environment, checked once (`Settings.from_env`)."""

    store: StoreURL
    secret_keys: tuple[str, ...]
    sites: Mapping[str, SiteConfig]
    public_url: str = "http://127.0.0.1:8000"
    trusted_proxies: int = 0
    max_body_bytes: int = 32 * 1024
    #: Behind a CDN: the values of the secret header it adds (the first is current, others
    #: are accepted during a rotation). When set, requests without one are refused.
    cdn_secrets: tuple[str, ...] = ()
    mail: MailURL | None = None  # None: no mail is sent (webhooks still are)
    mail_from: str = ""
    #: Lambda: what one sandbox may answer a second (backend/domain/ceiling.py); None: no ceiling.
    ceiling: SandboxCeiling | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        store = StoreURL.parse(env.get("PARLEY_STORE", "sqlite:///./parley.db"))
        on_lambda = "AWS_LAMBDA_FUNCTION_NAME" in env
        production = store.scheme == "dynamodb" or on_lambda

        keys = tuple(k.strip() for k in env.get("PARLEY_SECRET_KEYS", "").split(",") if k.strip())
        if not keys:
            if production:
                raise ConfigError("PARLEY_SECRET_KEYS is required outside local SQLite runs")
            keys = (_local_key(Path(store.path)),)
        if any(len(k) < 16 for k in keys):
            raise ConfigError("PARLEY_SECRET_KEYS: each key needs at least 16 characters")

        raw_sites = env.get("PARLEY_SITES", "").strip()
        if raw_sites:
            sites = _parse_sites(raw_sites)
        elif production:
            raise ConfigError("PARLEY_SITES is required outside local SQLite runs")
        else:
            sites = {"demo": DEMO_SITE}

        try:
            proxies = int(env.get("PARLEY_TRUSTED_PROXIES", "0"))
        except ValueError:
            raise ConfigError("PARLEY_TRUSTED_PROXIES must be a whole number") from None
        if not 0 <= proxies <= 10:
            raise ConfigError("PARLEY_TRUSTED_PROXIES must be between 0 and 10")

        cdn_secrets = tuple(
            v.strip() for v in env.get("PARLEY_CDN_SECRET", "").split(",") if v.strip()
        )
        if any(len(v) < 16 for v in cdn_secrets):
            raise ConfigError("PARLEY_CDN_SECRET: each value needs at least 16 characters")

        public_url = env.get("PARLEY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        if urlsplit(public_url).scheme not in ("http", "https"):
            raise ConfigError("PARLEY_PUBLIC_URL must be an http(s) URL")
        mail = None
        mail_from = env.get("PARLEY_MAIL_FROM", "").strip()
        if env.get("PARLEY_MAIL", "").strip():
            mail = MailURL.parse(env["PARLEY_MAIL"].strip())
            if not _mail_from_ok(mail_from):
                raise ConfigError(
                    "PARLEY_MAIL_FROM is required with PARLEY_MAIL: "
                    "'Blog comments <comments@example.org>' or 'comments@example.org'"
                )
        try:
            ceiling = SandboxCeiling.parse(env.get("PARLEY_SANDBOX_CEILING", ""))
        except ValueError as exc:
            raise ConfigError(f"PARLEY_SANDBOX_CEILING: {exc}") from None
        return cls(
            store=store,
            secret_keys=keys,
            sites=sites,
            public_url=public_url,
            trusted_proxies=proxies,
            cdn_secrets=cdn_secrets,
            mail=mail,
            mail_from=mail_from,
            ceiling=ceiling,
        )


def _mail_from_ok(value: str) -> bool:
    from email.utils import parseaddr

    if not value or "\n" in value or "\r" in value:
        return False
    return bool(EMAIL.match(parseaddr(value)[1]))


def _parse_sites(raw: str) -> dict[str, SiteConfig]:
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"PARLEY_SITES is not valid JSON: {exc}") from None
    else:
        import tomllib  # only a file of sites needs it; kept off the cold-start path

        path = Path(raw)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"PARLEY_SITES: cannot read {raw!r}: {exc.strerror}") from None
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"PARLEY_SITES: {raw!r} is malformed: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise ConfigError("PARLEY_SITES must map site names to their settings")
    sites: dict[str, SiteConfig] = {}
    for name, value in data.items():
        if not _SITE_NAME.match(name):
            raise ConfigError(f"PARLEY_SITES: {name!r} is not a valid site name")
        try:
            sites[name] = SiteConfig.parse(value)
        except SiteProblems as exc:
            raise ConfigError(f"PARLEY_SITES: site {name!r}: {exc}") from None
    return sites


def _local_key(db_path: Path) -> str:
    """A secret kept beside the local SQLite file, made on first start (mode 0600)."""
    key_path = db_path.with_name(db_path.name + ".key")
    try:
        return key_path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(32)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return key_path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
