"""One site's settings (an entry of PARLEY_SITES), checked by hand at start.

Plain Python rather than a pydantic model: the settings are built on every Lambda cold start,
and importing pydantic and building its validators costs more than the rest of the page view's
own code together (bench/RESULTS.md, "Cold start"). `SiteConfig.parse` refuses what a model
with `extra="forbid"` would: unknown keys, wrong types (a bool is not a number here), values
out of range; each problem names its key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class Moderation(StrEnum):
    NONE = "none"
    FIRST_TIME = "first-time"
    ALL = "all"


class SiteProblems(ValueError):
    """What is wrong with one site's settings: `problems` maps a key to a sentence."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {why}" for key, why in problems.items()))
        self.problems = problems


ORIGIN = re.compile(r"^https?://[^/\s:]+(:(\d{1,5}|\*))?$")
EMAIL = re.compile(r"^[^@\s<>,]{1,64}@[^@\s<>,]+\.[^@\s<>,.]{2,}$")
_TOKEN_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_NOTIFY = ("all", "pending", "none")
DIGESTS = ("instant", "capped", "hourly", "daily")
_PROOF = ("required", "off")
CAPTCHAS = ("off", "turnstile", "hcaptcha")
# What a webhook's body speaks: Parley's own (the mixed body), or one chat service's API
# (backend/notify/chat.py).
WEBHOOK_FORMATS = ("parley", "slack", "discord", "telegram")
# A Telegram chat: its numeric id (negative for groups and channels) or @channelusername.
# An account whose posts a page may suggest: a Mastodon account (@user@host, user@host or its
# profile's address https://host/@user), a Bluesky handle (a domain name) or a DID.
_HOST = r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*"
_FEDI_USER = r"[a-z0-9_](?:[a-z0-9_.-]{0,62}[a-z0-9_])?"
_FEDI_ACCOUNT = re.compile(rf"^@?({_FEDI_USER})@({_HOST})$")
_FEDI_PROFILE = re.compile(rf"^https?://({_HOST})(?::\d{{1,5}})?/@({_FEDI_USER})/?$")
_BSKY_HANDLE = re.compile(rf"^@?((?:{_HOST})\.[a-z][a-z0-9-]{{0,62}})$")
_DID = re.compile(r"^did:[a-z]+:[a-z0-9._:%-]{1,2000}$")
_TELEGRAM_CHAT = re.compile(r"^(-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
WEEK_S = 7 * 86400


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """One site's settings, as PARLEY_SITES gives them, checked."""

    origins: tuple[str, ...] = ()
    moderation: Moderation = Moderation.NONE
    require_email: bool = True
    edit_window_s: int = 900  # 0 .. a week
    rate_limit_per_minute: int = 10  # 1 .. 1,000,000
    admin_token_hashes: tuple[str, ...] = ()
    webhook: str | None = None
    # Signs webhook bodies (X-Parley-Signature); without it, a secret derived from
    # PARLEY_SECRET_KEYS (`parley webhook-secret SITE` prints it).
    webhook_secret: str | None = None  # at least 16 characters
    # The body's shape: parley (default), slack, discord or telegram (then the webhook is the
    # bot's sendMessage URL, and telegram_chat_id names the chat it posts to).
    webhook_format: str = "parley"
    telegram_chat_id: int | str | None = None
    notify: str = "pending"  # all, pending or none
    notify_emails: tuple[str, ...] = ()  # the owner's addresses: new and held comments
    # Owner mail and chat presets: `instant` (one per comment), `capped` (the first 3 of an
    # hour at once, the rest in one digest at the end of the hour), `hourly` or `daily` (one
    # digest at the end of each hour or UTC day, held comments too; nothing at once).
    notify_digest: str = "capped"
    purge_pending_after_s: int = 30 * 86400
    # Replies from the open web (backend/inbound/): Webmentions accepted per hour (each one is
    # a fetch by the worker), and whether the fetcher may reach private addresses (only for
    # tests and local stand-ins: it turns off the SSRF guard's address check).
    webmentions_per_hour: int = 100  # 0 turns the receiver off
    fetch_private_addresses: bool = False
    # Whether the comments brought in from the open web count in the thread's count (the
    # heading, /api/v1/counts, the server-rendered thread): on by default.
    count_inbound: bool = True
    # Whose announcement posts a page may suggest (backend/inbound/suggest.py): Mastodon
    # accounts as `user@host` (the host the post's address names) and Bluesky handles or DIDs,
    # kept lowercase without a leading @. None named: a suggestion binds nothing (the owner
    # binds from the admin page).
    announce_accounts: tuple[str, ...] = ()
    # Spam (backend/spam/, docs/moderation.md). `proof`: a post carries a proof of work
    # (required) or not (off); the widget solves it while the reader types. Its difficulty:
    # PBKDF2 iterations per try and the counter's range (the median proof takes proof_max / 2
    # tries: 0.86 s in Chromium throttled x4, bench/proof_solve.py).
    proof: str = "required"
    proof_cost: int = 1000
    proof_max: int = 400
    # The learning filter: a new comment scoring at least `filter_hold_at` is held (pending),
    # at least `filter_spam_at` goes to spam; 1.0 turns either off.
    filter_hold_at: float = 0.82
    filter_spam_at: float = 0.995
    # Outside checks, off by default (backend/spam/outside.py; each sends the reader's data to a
    # third party: docs/moderation.md). Akismet's comment-check with the site's key, at
    # `akismet_url` (Akismet's own unless set); a Turnstile or hCaptcha token verified on the
    # server with `captcha_secret`, at `captcha_url` (the service's siteverify unless set).
    akismet_key: str | None = None
    akismet_url: str | None = None
    captcha: str = "off"  # off, turnstile or hcaptcha
    captcha_secret: str | None = None
    captcha_url: str | None = None

    @classmethod
    def parse(cls, data: object) -> SiteConfig:
        """Check one site's settings as read from JSON or TOML; raise SiteProblems."""
        if not isinstance(data, Mapping):
            raise SiteProblems({"value": "must be a table of settings"})
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            check = _CHECKS.get(key)
            if check is None:
                problems[str(key)] = "unknown setting"
                continue
            try:
                values[key] = check(raw)
            except ValueError as exc:
                problems[key] = str(exc)
        for key, why in _together(values).items():
            problems.setdefault(key, why)  # a value already refused says why first
        if problems:
            raise SiteProblems(problems)
        return cls(**values)

    def to_dict(self) -> dict[str, object]:
        """The settings as PARLEY_SITES spells them (what `parse` reads back)."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def page_origin(self) -> str | None:
        """Where the site's pages live: its first origin without a wildcard port."""
        return next((o for o in self.origins if not o.endswith(":*")), None)

    def allows_origin(self, origin: str) -> bool:
        origin = origin.lower()
        for allowed in self.origins:
            if allowed.endswith(":*"):
                prefix = allowed[:-1]
                if origin.startswith(prefix) and origin[len(prefix) :].isdigit():
                    return True
            elif origin == allowed:
                return True
        return False


# -- one check per key: the value as read, to the value kept, or ValueError(why) ------------


def _strings(value: object, each: Callable[[str], str]) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return tuple(each(v) for v in value)


def _whole(low: int, high: int | None = None) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if value < low or (high is not None and value > high):
            raise ValueError(
                f"must be at least {low}" if high is None else f"must be {low} to {high}"
            )
        return value

    return check


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if not 0.5 <= value <= 1:
        raise ValueError("must be 0.5 to 1")
    return float(value)


def _proof(value: object) -> str:
    if _text(value) not in _PROOF:
        raise ValueError("must be one of " + ", ".join(_PROOF))
    return str(value)


def _captcha(value: object) -> str:
    if _text(value) not in CAPTCHAS:
        raise ValueError("must be one of " + ", ".join(CAPTCHAS))
    return str(value)


def _secret(value: object) -> str | None:
    if value is not None and not 8 <= len(_text(value)) <= 200:
        raise ValueError("must be 8 to 200 characters")
    return None if value is None else str(value)


def _service_url(value: object) -> str | None:
    if value is not None and urlsplit(_text(value)).scheme not in ("http", "https"):
        raise ValueError("must be an http(s) URL")
    return None if value is None else str(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _origin(origin: str) -> str:
    if not ORIGIN.match(origin):
        raise ValueError(f"origin {origin!r} must look like https://example.com or http://host:*")
    return origin.lower()


def _token_hash(value: str) -> str:
    if not _TOKEN_HASH.match(value):
        raise ValueError("admin token hashes look like sha256:<64 hex digits>")
    return value


def _owner_email(email: str) -> str:
    if not EMAIL.match(email):
        raise ValueError(f"{email!r} is not an email address")
    return email


def _announce_account(value: str) -> str:
    """One account, as kept: `user@host` (Mastodon), a handle or a DID (Bluesky), lowercase."""
    text = value.strip().lower()
    if found := _FEDI_ACCOUNT.match(text):
        return f"{found.group(1)}@{found.group(2)}"
    if found := _FEDI_PROFILE.match(text):
        return f"{found.group(2)}@{found.group(1)}"
    if found := _BSKY_HANDLE.match(text):
        return found.group(1)
    if _DID.match(text):
        return text
    raise ValueError(f"{value!r} is not a Mastodon account (@user@host) or a Bluesky handle or DID")


def _moderation(value: object) -> Moderation:
    choices = ", ".join(m.value for m in Moderation)
    if not isinstance(value, str) or value not in Moderation._value2member_map_:
        raise ValueError(f"must be one of {choices}")
    return Moderation(value)


def _require_email(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _webhook(value: object) -> str | None:
    if value is None:
        return None
    if urlsplit(_text(value)).scheme not in ("http", "https"):
        raise ValueError("webhook must be an http(s) URL")
    return str(value)


def _webhook_secret(value: object) -> str | None:
    if value is not None and len(_text(value)) < 16:
        raise ValueError("must be at least 16 characters")
    return None if value is None else str(value)


def _webhook_format(value: object) -> str:
    if _text(value) not in WEBHOOK_FORMATS:
        raise ValueError("must be one of " + ", ".join(WEBHOOK_FORMATS))
    return str(value)


def _telegram_chat_id(value: object) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value != 0:
        return value
    if isinstance(value, str) and _TELEGRAM_CHAT.match(value):
        return int(value) if value[0] != "@" else value
    raise ValueError("must be a chat's numeric id or @channelusername")


def _together(values: Mapping[str, Any]) -> dict[str, str]:
    """Settings that only make sense with each other: a chat format needs a webhook; Telegram's
    needs the chat to post to, and its URL is the bot's sendMessage method."""
    out: dict[str, str] = {}
    form = values.get("webhook_format", "parley")
    chat = values.get("telegram_chat_id")
    if form != "parley" and not values.get("webhook"):
        out["webhook"] = f"is required with webhook_format {form}"
    if form == "telegram":
        if chat is None:
            out["telegram_chat_id"] = "is required with webhook_format telegram"
        hook = values.get("webhook")
        if hook and not urlsplit(hook).path.endswith("/sendMessage"):
            out["webhook"] = (
                "must be the bot's URL, https://api.telegram.org/bot<token>/sendMessage"
            )
    elif chat is not None:
        out["telegram_chat_id"] = "is only read with webhook_format telegram"
    if values.get("captcha", "off") != "off" and not values.get("captcha_secret"):
        out["captcha_secret"] = f"is required with captcha {values['captcha']}"
    return out


def _notify(value: object) -> str:
    if _text(value) not in _NOTIFY:
        raise ValueError("must be one of " + ", ".join(_NOTIFY))
    return str(value)


def _notify_digest(value: object) -> str:
    if _text(value) not in DIGESTS:
        raise ValueError("must be one of " + ", ".join(DIGESTS))
    return str(value)


_CHECKS: dict[str, Callable[[object], Any]] = {
    "origins": lambda v: _strings(v, _origin),
    "moderation": _moderation,
    "require_email": _require_email,
    "edit_window_s": _whole(0, WEEK_S),
    "rate_limit_per_minute": _whole(1, 1_000_000),
    "admin_token_hashes": lambda v: _strings(v, _token_hash),
    "webhook": _webhook,
    "webhook_secret": _webhook_secret,
    "webhook_format": _webhook_format,
    "telegram_chat_id": _telegram_chat_id,
    "notify": _notify,
    "notify_emails": lambda v: _strings(v, _owner_email),
    "notify_digest": _notify_digest,
    "purge_pending_after_s": _whole(0),
    "webmentions_per_hour": _whole(0, 100_000),
    "fetch_private_addresses": _require_email,  # a bool, checked the same way
    "count_inbound": _require_email,
    "announce_accounts": lambda v: _strings(v, _announce_account),
    "proof": _proof,
    "proof_cost": _whole(1, 1_000_000),
    "proof_max": _whole(1, 10_000_000),
    "filter_hold_at": _share,
    "filter_spam_at": _share,
    "akismet_key": _secret,
    "akismet_url": _service_url,
    "captcha": _captcha,
    "captcha_secret": _secret,
    "captcha_url": _service_url,
}

DEMO_SITE = SiteConfig(origins=("http://127.0.0.1:*", "http://localhost:*"))
