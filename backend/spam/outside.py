"""Optional checks by outside services, each off by default and each a site setting; each sends
a reader's data to a third party, so docs/moderation.md says what goes where.

- Akismet: `comment-check` on a new comment, as its REST API documents it (a form POST with
  the key, the site, the reader's IP and the comment; the answer is the body `true` or
  `false`). Spam goes to `spam` with the reason `akismet`. An answer Akismet did not give
  (a bad key, a timeout) is no opinion: the post goes on, and the log says why.
- Cloudflare Turnstile or hCaptcha: the token the owner's page obtained from the service's
  widget, sent as the post's `captcha`, verified on the server (`siteverify`: the secret, the
  token and the reader's IP). A missing or refused token is 422 `captcha`; a service that
  does not answer holds the comment (`pending`) rather than lose the reader's words.

Each is one POST through httpx with a short timeout, to the URL the site's settings name
(the services' own by default; another for a compatible service or a stand-in in tests).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from backend.domain import errors
from backend.domain.models import Comment
from backend.sites import SiteConfig

log = logging.getLogger("parley")

AKISMET_URL = "https://rest.akismet.com/1.1"
SITEVERIFY = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}
TIMEOUT_S = 4.0
MAX_TOKEN = 4096


class Outside:
    def __init__(self, http: httpx.Client | None = None) -> None:
        self._http = http

    @property
    def http(self) -> httpx.Client:
        if self._http is None:  # built on the first use: most sites never ask
            self._http = httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
        return self._http

    # -- Akismet ---------------------------------------------------------------------------------

    def akismet(self, site: SiteConfig, comment: Comment, client_ip: str) -> str | None:
        """Akismet's verdict on a new comment: a reason when it says spam, else None."""
        if not site.akismet_key:
            return None
        blog = site.page_origin or ""
        form = {
            "api_key": site.akismet_key,
            "blog": blog,
            "user_ip": client_ip,
            "permalink": blog + comment.uri,
            "comment_type": "reply" if comment.parent else "comment",
            "comment_author": comment.author,
            "comment_author_email": comment.email,
            "comment_author_url": comment.website or "",
            "comment_content": comment.text,
            "comment_date_gmt": comment.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "blog_charset": "UTF-8",
        }
        url = (site.akismet_url or AKISMET_URL).rstrip("/") + "/comment-check"
        try:
            answer = self.http.post(url, data={k: v for k, v in form.items() if v})
        except httpx.HTTPError as exc:
            log.warning("akismet did not answer for %s: %s", blog, type(exc).__name__)
            return None
        verdict = answer.text.strip()
        if answer.status_code != 200 or verdict not in ("true", "false"):
            why = answer.headers.get("X-akismet-debug-help") or verdict[:100]
            log.warning("akismet refused the check for %s (%s): %s", blog, answer.status_code, why)
            return None
        if verdict == "false":
            return None
        discard = answer.headers.get("X-akismet-pro-tip", "") == "discard"
        return "akismet: spam" + (" (blatant)" if discard else "")

    # -- Turnstile, hCaptcha ---------------------------------------------------------------------

    def captcha(self, site: SiteConfig, token: str, client_ip: str) -> str | None:
        """Verify the post's captcha token on a site that asks for one. Raises CaptchaRefused
        when the service refuses it; returns a reason to hold the comment when the service
        cannot say; None when it passed (or the site asks for none)."""
        if site.captcha == "off":
            return None
        if not token or len(token) > MAX_TOKEN:
            raise errors.CaptchaRefused(reason="missing")
        form = {"secret": site.captcha_secret or "", "response": token, "remoteip": client_ip}
        url = site.captcha_url or SITEVERIFY[site.captcha]
        try:
            answer = self.http.post(url, data=form)
            data: Any = answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("%s siteverify did not answer: %s", site.captcha, type(exc).__name__)
            return f"{site.captcha}: not verified, the service did not answer"
        if not isinstance(data, dict):
            log.warning("%s siteverify answered %s", site.captcha, answer.status_code)
            return f"{site.captcha}: not verified, the service did not answer"
        if data.get("success") is not True:
            codes = data.get("error-codes") or ["refused"]
            raise errors.CaptchaRefused(reason=str(codes[0])[:60])
        hostname = data.get("hostname")
        hosts = {urlsplit(o).hostname for o in site.origins}
        if isinstance(hostname, str) and hostname and hostname.lower() not in hosts:
            raise errors.CaptchaRefused(reason="solved on another site")
        return None
