"""Sending what the worker delivers: mail over SMTP or Amazon SES, and webhook POSTs.

Every sender raises `DeliveryFailed` and says whether trying again could help (a timeout, a
4xx SMTP reply, a 5xx HTTP answer) or not (a refused recipient, a 4xx HTTP answer). Clients
are imported on first use: most cold starts never send anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from backend.settings import MailTLS, MailURL

if TYPE_CHECKING:
    import smtplib

log = logging.getLogger("parley.notify")

TIMEOUT_S = 10.0
RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


class DeliveryFailed(Exception):
    def __init__(self, problem: str, *, retry: bool) -> None:
        super().__init__(problem)
        self.retry = retry


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message over for delivery, or raise DeliveryFailed."""


@dataclass
class SMTPMailer:
    url: MailURL
    timeout_s: float = TIMEOUT_S

    def _connect(self) -> smtplib.SMTP:
        import smtplib  # on first use: most cold starts send no mail
        import ssl

        context = ssl.create_default_context()
        if self.url.tls is MailTLS.IMPLICIT:
            return smtplib.SMTP_SSL(
                self.url.host, self.url.port, timeout=self.timeout_s, context=context
            )
        smtp = smtplib.SMTP(self.url.host, self.url.port, timeout=self.timeout_s)
        if self.url.tls is MailTLS.STARTTLS:
            smtp.starttls(context=context)
        return smtp

    def send(self, message: EmailMessage) -> None:
        import smtplib

        try:
            with self._connect() as smtp:
                if self.url.username:
                    smtp.login(self.url.username, self.url.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailed(f"recipient refused {codes}", retry=min(codes) < 500) from exc
        except smtplib.SMTPResponseException as exc:
            retry = exc.smtp_code < 500
            raise DeliveryFailed(f"SMTP {exc.smtp_code}", retry=retry) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retry=True) from exc


@dataclass
class SESMailer:
    """Amazon SES through the `sesv2` API, its client made on the first mail (cold start
    counts)."""

    region: str
    _client: Any = field(default=None, repr=False)

    def send(self, message: EmailMessage) -> None:
        if self._client is None:
            import botocore.session  # botocore's session: boto3's import costs more

            session = botocore.session.get_session()
            self._client = session.create_client("sesv2", region_name=self.region)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.send_email(
                FromEmailAddress=str(message["From"]),
                Destination={"ToAddresses": [str(message["To"])]},
                Content={"Raw": {"Data": message.as_bytes()}},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            # Most refusals are the account's state (an unverified identity in the sandbox,
            # sending paused, a quota), which its owner fixes: keep the mail and retry.
            retry = code != "BadRequestException"
            raise DeliveryFailed(f"SES {code or 'error'}: {exc}", retry=retry) from exc
        except BotoCoreError as exc:
            raise DeliveryFailed(f"SES {type(exc).__name__}", retry=True) from exc


def mailer_for(url: MailURL | None) -> Mailer | None:
    if url is None:
        return None
    if url.scheme == "ses":
        return SESMailer(url.region)
    return SMTPMailer(url)


def post_webhook(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> None:
    import httpx  # lazily: most cold starts never notify

    try:
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=timeout_s,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retry=True) from exc
    if response.status_code >= 300:
        retry = response.status_code in RETRYABLE_HTTP
        raise DeliveryFailed(f"status {response.status_code}{_why(response)}", retry=retry)


def _why(response: Any) -> str:
    """What a refusing service said, for the owner's log: Slack's plain-text reason, Discord's
    `message`, Telegram's `description` (such as "Bad Request: chat not found"); one short
    line, at most 200 characters, or nothing."""
    try:
        said = response.json()
        if isinstance(said, dict):
            said = said.get("description") or said.get("message") or ""
    except ValueError:
        said = response.text
    said = " ".join(str(said).split())[:200]
    return f": {said}" if said else ""
